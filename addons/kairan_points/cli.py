"""``kairan points verify`` proves the ledger; ``kairan points expire`` moves expired lots."""

import click

from kairan.cli.env import pass_env


@click.group()
def points():
    """The points wallet: verify the ledger, expire lots."""


@points.command("verify")
@pass_env
def verify(env):
    """Prove the ledger: every transfer balances, every balance equals its lines and
    lots, no lot is negative, all accounts sum to zero. Exit status 1 on any
    discrepancy."""
    from kairan_points.verify import verify_ledger

    with env.transaction() as dbsession:
        report = verify_ledger(dbsession)
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        raise SystemExit(1)


@points.command("expire")
@click.option("--batch", type=click.IntRange(min=1), default=200, show_default=True,
              help="Wallets per transaction.")
@click.option("--at", "at", default=None, metavar="ISO-8601",
              help="Expire as of this moment (default: now); an aware time, e.g. "
                   "2025-03-01T00:00+09:00.")
@pass_env
def expire(env, batch, at):
    """Move every lot past its expiry to its programme's expired account.

    Idempotent and resumable: each batch of wallets commits on its own, a lot
    moved once is never moved again, and a second run finds nothing. Safe to
    run while residents pay: each wallet is locked as a payment would lock it.
    """
    from datetime import datetime

    from kairan.db.meta import utcnow
    from kairan_points.ledger import accounts_with_expired_lots, expire_account
    from kairan_points.services import run_in_transaction

    if at is None:
        now = utcnow()
    else:
        try:
            now = datetime.fromisoformat(at)
        except ValueError:
            raise click.BadParameter("not an ISO 8601 time", param_hint="--at") from None
        if now.tzinfo is None:
            raise click.BadParameter("give a time zone, e.g. +09:00", param_hint="--at")
    factory = env.registry["dbsession_factory"]
    with env.transaction() as dbsession:
        waiting = len(accounts_with_expired_lots(dbsession, now, limit=10**9))
    click.echo(f"{waiting} wallets hold expired points as of {now.isoformat()}")
    moved = wallets = 0
    last_id = 0
    with click.progressbar(length=waiting, label="expiring") as bar:
        while True:
            ids = run_in_transaction(
                factory, lambda s, after=last_id: accounts_with_expired_lots(
                    s, now, after_id=after, limit=batch))
            if not ids:
                break

            def work(dbsession, ids=ids):
                return sum(expire_account(dbsession, account_id, now) for account_id in ids)

            moved += run_in_transaction(factory, work)
            wallets += len(ids)
            last_id = ids[-1]
            bar.update(len(ids))
    click.echo(f"expired {moved} points in {wallets} wallets")


from kairan_points.earning.cli import remind as _remind  # noqa: E402

points.add_command(_remind)
