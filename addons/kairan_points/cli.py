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
@click.option("--batch", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Wallets per transaction.")
@click.option("--jobs", type=click.IntRange(min=1, max=8), default=2, show_default=True,
              help="Batches at once (PostgreSQL; SQLite runs one).")
@click.option("--at", "at", default=None, metavar="ISO-8601",
              help="Expire as of this moment (default: now); an aware time, e.g. "
                   "2025-03-01T00:00+09:00.")
@pass_env
def expire(env, batch, jobs, at):
    """Move every lot past its expiry to its programme's expired account.

    Set-based: each batch of wallets (ascending ids) is one transaction with a
    transfer per programme and hundred wallets (a line per wallet, one to the
    expired account).
    Idempotent and resumable: each batch commits on its own, a lot moved once is
    never moved again, and a second run finds nothing. Safe to run while residents
    pay: the batch's wallets are locked in id order, as a payment locks them, and
    their expired lots read under the lock. With --jobs, batches of other wallets
    run at once; they wait on each other only to credit the expired account, the
    last statement of each.
    """
    from datetime import datetime

    from kairan.db.meta import utcnow
    from kairan_points.expiry import (
        accounts_with_expired_lots,
        count_wallets_with_expired_lots,
        expire_wallets,
    )
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
        waiting = count_wallets_with_expired_lots(dbsession, now)
    click.echo(f"{waiting} wallets hold expired points as of {now.isoformat()}")
    import threading

    if env.registry["db_engine"].dialect.name == "sqlite":
        jobs = 1  # one writer at a time anyway
    guard = threading.Lock()
    state = {"last": 0, "done": False, "points": 0, "wallets": 0, "errors": []}

    def next_batch():
        with guard:
            if state["done"] or state["errors"]:
                return None
            ids = run_in_transaction(factory, lambda s: accounts_with_expired_lots(
                s, now, after_id=state["last"], limit=batch))
            if not ids:
                state["done"] = True
                return None
            state["last"] = ids[-1]
            return ids

    def worker(bar):
        try:
            while (ids := next_batch()) is not None:
                outcome = run_in_transaction(
                    factory, lambda s, ids=ids: expire_wallets(s, ids, now))
                with guard:
                    state["points"] += outcome.points
                    state["wallets"] += outcome.wallets
                    bar.update(len(ids))
        except Exception as error:  # noqa: BLE001 - raised again below, after the others
            with guard:
                state["errors"].append(error)

    with click.progressbar(length=waiting, label="expiring") as bar:
        workers = [threading.Thread(target=worker, args=(bar,)) for _ in range(jobs)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
    moved, wallets = state["points"], state["wallets"]
    if state["errors"]:
        click.echo(f"expired {moved} points in {wallets} wallets before an error; "
                   "run the command again to go on")
        raise state["errors"][0]
    click.echo(f"expired {moved} points in {wallets} wallets")


from kairan_points.earning.cli import remind as _remind  # noqa: E402

points.add_command(_remind)


def _audit(env, action, campaign_id, outcome="success", detail=None, dbsession=None):
    """An audit entry of the command, as the operators' page writes one (actor: none, the
    command line; ``via``: cli). Without ``dbsession``: in a transaction of its own, so a
    refusal, whose transaction is rolled back, is still on record."""
    from kairan.audit.models import AuditEntry
    from kairan.db.meta import utcnow

    entry = AuditEntry(at=utcnow(), actor_id=None, action=action,
                       target=f"points-campaign:{campaign_id}", outcome=outcome,
                       detail={**(detail or {}), "via": "cli"})
    if dbsession is not None:
        dbsession.add(entry)
        return
    with env.transaction() as own:
        own.add(entry)


@points.command("draw")
@click.argument("campaign")
@click.option("--seed", default=None, help="The revealed seed (its SHA-256 was committed).")
@click.option("--verify", "check", is_flag=True,
              help="Recompute the draw from the stored applications; exit 1 if it differs.")
@click.option("--promote", is_flag=True,
              help="Expire unaccepted places past their date and offer them to the "
                   "waiting list.")
@pass_env
def draw(env, campaign, seed, check, promote):
    """Draw CAMPAIGN (its code) with the revealed seed, verify a draw, or promote.

    The draw and the promotion are audited (points.campaign.draw, .promote), refusals
    too (outcome denied), as on the operators' page."""
    from kairan_points.campaigns import services

    base_url = env.settings.get("kairan.base_url", "")
    action = "promote" if promote else "draw"
    target = {}
    try:
        with env.transaction() as dbsession:
            found = services.by_code(dbsession, campaign)
            if found is None:
                raise click.BadParameter(f"no campaign {campaign!r}", param_hint="CAMPAIGN")
            target["id"] = found.id
            if check:
                result = services.verify_draw(dbsession, found, seed)
                for problem in result.problems:
                    click.echo(f"FAIL {problem}")
                if not result.ok:
                    click.echo("THE DRAW DOES NOT MATCH")
                    raise SystemExit(1)
                click.echo(f"the draw of {found.code} matches: seed sha256 "
                           f"{found.seed_hash}, result sha256 {found.result_hash}")
                return
            if promote:
                offered = services.promote(dbsession, found)
                services.notify(dbsession, env.registry, found, offered, base_url)
                _audit(env, "points.campaign.promote", found.id, dbsession=dbsession,
                       detail={"offered": len(offered)})
                click.echo(f"offered {len(offered)} places to the waiting list")
                return
            if not seed:
                raise click.BadParameter("give the revealed seed", param_hint="--seed")
            winners = services.draw(dbsession, found, seed)
            services.notify(dbsession, env.registry, found, winners, base_url)
            _audit(env, "points.campaign.draw", found.id, dbsession=dbsession,
                   detail={"winners": len(winners), "result_hash": found.result_hash})
    except services.CampaignRefused as error:
        # the command's transaction is rolled back; the refusal is recorded on its own
        _audit(env, f"points.campaign.{action}", target["id"], outcome="denied",
               detail={"reason": str(error)})
        raise click.ClickException(error.message.interpolate()) from None
    click.echo(f"drew {found.code}: {len(winners)} winners; result sha256 "
               f"{found.result_hash}")


from kairan_points.settlement.cli import settle as _settle  # noqa: E402

points.add_command(_settle)


from kairan_points.bridge.cli import bridge as _bridge  # noqa: E402

points.add_command(_bridge)
