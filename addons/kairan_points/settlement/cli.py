"""``kairan points settle``: a month's settlement, closing it, and its reconciliation."""

import click

from kairan.cli.env import pass_env


@click.command("settle")
@click.option("--period", required=True, metavar="YYYY-MM", help="The JST month.")
@click.option("--close", "close", is_flag=True,
              help="Close the month first: record every merchant's totals (once).")
@pass_env
def settle(env, period, close):
    """Show a month's totals per merchant and programme and reconcile the recorded
    statements of a closed month with the ledger. Exit status 1 when they disagree
    (or the month could not be closed)."""
    from kairan.audit.models import AuditEntry
    from kairan.db.meta import utcnow
    from kairan_points.errors import PointsRefused
    from kairan_points.settlement import services

    try:
        month = services.parse_period(period)
    except PointsRefused:
        raise click.BadParameter("give the month as YYYY-MM", param_hint="--period") from None
    with env.transaction() as dbsession:
        if close:
            try:
                closed = services.close_period(dbsession, month, None, utcnow())
            except PointsRefused as error:
                click.echo(f"REFUSED {error.message.interpolate()}")
                raise SystemExit(1) from None
            rows = services.recorded_rows(dbsession, closed)
            dbsession.add(AuditEntry(at=utcnow(), actor_id=None,
                                     action="points.settlement.close",
                                     target=f"points-period:{month.code}", outcome="success",
                                     detail={"period": month.code, "rows": len(rows),
                                             "net": sum(r.net for r in rows), "via": "cli"}))
            click.echo(f"closed {month.code}: {len(rows)} rows recorded")
        report = services.reconcile(dbsession, month)
        total = report.ledger.totals
    click.echo(f"{month.code}: ledger {len(report.ledger.rows)} merchant/programme rows, "
               f"{total.payments} payments {total.payment_points} points, "
               f"{total.refunds} refunds {total.refund_points} points, net {total.net}")
    if report.closed is None:
        click.echo(f"{month.code} is open: nothing recorded to reconcile")
        return
    for problem in report.problems:
        click.echo(f"MISMATCH {problem}")
    if not report.ok:
        click.echo("THE RECORDED STATEMENTS DO NOT AGREE WITH THE LEDGER")
        raise SystemExit(1)
    click.echo(f"{month.code} is closed and its recorded statements agree with the ledger")
