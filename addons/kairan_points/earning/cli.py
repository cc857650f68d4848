"""``kairan points remind``: mail residents whose points expire soon."""

import click

from kairan.cli.env import pass_env


@click.command("remind")
@click.option("--days", type=click.IntRange(min=1, max=365), default=None,
              help="Remind of points expiring within this many days (default: the setting "
                   "kairan.points.remind_days, 14).")
@click.option("--batch", type=click.IntRange(min=1), default=200, show_default=True,
              help="Residents per transaction.")
@pass_env
def remind(env, days, batch):
    """Mail (outbox, in each resident's language) every resident whose points expire
    within N days. Each lot is mentioned in one reminder only, ever: a second run,
    or a run resumed after a failure, mails nobody twice."""
    from kairan.db.meta import utcnow
    from kairan_points.earning.services import remind as remind_one
    from kairan_points.earning.services import residents_to_remind
    from kairan_points.services import run_in_transaction

    registry = env.registry
    days = days or registry.settings["kairan.points.remind_days"]
    base_url = registry.settings.get("kairan.base_url", "")
    now = utcnow()
    factory = registry["dbsession_factory"]
    waiting = len(run_in_transaction(
        factory, lambda s: residents_to_remind(s, days, now, limit=10**9)))
    click.echo(f"{waiting} residents have points expiring within {days} days")
    mailed = lots = 0
    last_id = 0
    with click.progressbar(length=waiting, label="reminding") as bar:
        while True:
            ids = run_in_transaction(factory, lambda s, after=last_id: residents_to_remind(
                s, days, now, after_id=after, limit=batch))
            if not ids:
                break

            def work(dbsession, ids=ids):
                return [remind_one(dbsession, registry, uid, days, now, base_url)
                        for uid in ids]

            counts = run_in_transaction(factory, work)
            mailed += sum(1 for c in counts if c)
            lots += sum(counts)
            last_id = ids[-1]
            bar.update(len(ids))
    click.echo(f"mailed {mailed} residents about {lots} lots")
