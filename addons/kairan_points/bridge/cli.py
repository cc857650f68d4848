"""``kairan points bridge ...``: the regional currency bridge's commands."""

import click

from kairan.cli.env import pass_env


@click.group("bridge")
def bridge():
    """Move points to and from the regional currency app."""


def _bridge_or_exit(env):
    from kairan_points.bridge.services import bridge_of

    found = bridge_of(env.registry)
    if found is None:
        raise click.ClickException("the bridge is off: set kairan.points.bridge.url")
    return found


@bridge.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="At most this many moves in this run.")
@pass_env
def send(env, limit):
    """Send the due moves of the outbox to the service (run it every minute from cron;
    several at once are safe). Exit status 1 if a move failed for good in this run."""
    from kairan_points.bridge.services import send_due

    connector = _bridge_or_exit(env)
    outcomes = send_due(env.registry["dbsession_factory"], connector, env.settings,
                        limit=limit)
    summary = ", ".join(f"{count} {name}" for name, count in sorted(outcomes.items()))
    click.echo(f"bridge: {summary or 'nothing due'}")
    if outcomes.get("failed"):
        raise SystemExit(1)


@bridge.command("reconcile")
@click.option("--day", required=True, metavar="YYYY-MM-DD", help="The JST date.")
@pass_env
def reconcile(env, day):
    """Compare the service's transactions of a day with ours and store the report.
    Exit status 1 on any discrepancy, 2 if the service cannot be reached."""
    from datetime import date

    from kairan_points.bridge import services
    from kairan_points.bridge.interfaces import BridgeUnavailable

    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        raise click.BadParameter("give the day as YYYY-MM-DD", param_hint="--day") from None
    connector = _bridge_or_exit(env)
    try:
        with env.transaction() as dbsession:
            report = services.reconcile(dbsession, connector, wanted)
            ok, ours, theirs, problems = (report.ok, report.ours, report.theirs,
                                          list(report.problems))
    except BridgeUnavailable as error:
        click.echo(f"the service cannot be reached: {error}")
        raise SystemExit(2) from None
    click.echo(f"{wanted}: {ours} transactions here, {theirs} at the service")
    for p in problems:
        click.echo(f"MISMATCH {p['kind']} {p['direction']} {p['reference']}: "
                   f"ours {p['ours']}, theirs {p['theirs']} {p['note']}".rstrip())
    if not ok:
        click.echo("THE SERVICE AND THE LEDGER DISAGREE")
        raise SystemExit(1)
    click.echo(f"{wanted}: the service and the ledger agree")
