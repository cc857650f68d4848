"""Scheduled and by-hand jobs: ``export``, ``audit purge``, ``mail send``,
``search reindex``, ``cache clear``."""

import importlib
from datetime import timedelta

import click
from sqlalchemy import func, select

from kairan.cli.env import pass_env
from kairan.pagecache.services import bump_generation


def _optional(module, name, what):
    """``module.name``, or a clear error naming the feature that is missing."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as e:
        raise click.ClickException(f"{what} is not available in this installation "
                                   f"({module}.{name} is missing)") from e


@click.group()
def audit():
    """The audit log: remove entries older than the retention period."""


@audit.command("purge")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Keep this many days (default: kairan.audit.retention_days).")
@pass_env
def audit_purge(env, days):
    """Delete audit entries older than the retention period."""
    from kairan.db.meta import utcnow

    purge_audit = _optional("kairan.audit.services", "purge_audit", "the audit purge")
    days = days or env.settings["kairan.audit.retention_days"]
    now = utcnow()
    cutoff = now - timedelta(days=days)
    click.echo(f"removing audit entries from before {cutoff:%Y-%m-%d %H:%M} UTC ({days} days)")
    with click.progressbar(length=1, label="purging", show_percent=False) as bar, \
            env.transaction() as dbsession:
        count = purge_audit(dbsession, days, now=now)
        bar.update(1)
    click.echo(f"{count} audit entries removed")


@click.group()
def mail():
    """The mail outbox: deliver the messages waiting in it."""


@mail.command("send")
@click.option("--batch", type=click.IntRange(min=1), default=100, show_default=True,
              help="Messages sent per transaction.")
@pass_env
def mail_send(env, batch):
    """Deliver the messages waiting in the outbox (SMTP, or the log in development)."""
    from kairan.mail.models import OutboxMessage
    from kairan.mail.services import mailer_from_settings, send_pending

    settings = env.settings
    mailer = mailer_from_settings(settings)
    with env.transaction() as dbsession:
        waiting = dbsession.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
    sent = failed = 0
    # Each batch commits on its own: a crash half-way leaves the sent ones marked sent.
    with click.progressbar(length=waiting, label="sending") as bar:
        while sent + failed < waiting:
            with env.transaction() as dbsession:
                done, errors = send_pending(dbsession, settings, mailer=mailer,
                                            limit=min(batch, waiting - sent - failed))
            if done + errors == 0:
                break
            sent, failed = sent + done, failed + errors
            bar.update(done + errors)
    click.echo(f"sent {sent}, failed {failed}, waiting before {waiting}")
    if failed:
        raise click.ClickException(f"{failed} message(s) could not be sent; they will be retried")


@click.group()
def search():
    """The full-text search index: rebuild it from the content tree."""


@search.command("reindex")
@pass_env
def search_reindex(env):
    """Rebuild the search index from the content tree."""
    reindex_all = _optional("kairan.content.search.services", "reindex_all", "search")
    with click.progressbar(length=1, label="reindexing") as bar, \
            env.transaction() as dbsession:

        def progress(done, total):
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        count = reindex_all(dbsession, env.registry, progress=progress)
        bump_generation(dbsession)  # cached search pages are out of date
    click.echo(f"search index rebuilt: {count} documents")


@click.group()
def cache():
    """The per-process cache of anonymous pages."""


@cache.command("clear")
@pass_env
def cache_clear(env):
    """Make every server process drop its cached pages (after a change made by hand)."""
    with env.transaction() as dbsession:
        bump_generation(dbsession)
    click.echo("cached pages will be rendered again")


@click.command()
@click.argument("name", required=False)
@click.option("--all", "everything", is_flag=True, help="Every exporter, as one ZIP file.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv",
              show_default=True, help="File format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="File to write (default: NAME.csv / NAME.xlsx / kairan-export.zip).")
@click.option("--list", "list_only", is_flag=True, help="List the exporters and stop.")
@pass_env
def export(env, name, everything, fmt, output, list_only):
    """Export NAME (or --all) as CSV (UTF-8 with BOM) or XLSX."""
    from kairan.cli.exporting import audit_export, list_exporters, run_export

    exporters = list_exporters(env.registry)
    if list_only:
        for exporter_name, title in exporters:
            click.echo(f"{exporter_name:<30} {title}")
        return
    if everything == bool(name):
        raise click.UsageError("give one exporter NAME or --all (see --list)")
    known = [n for n, _ in exporters]
    if name and name not in known:
        raise click.ClickException(f"no exporter named {name!r}; known: {', '.join(known)}")
    output = output or (f"{name}.{fmt}" if name else "kairan-export.zip")
    target = name or "all"
    rows = run_export(env, target, fmt, output)
    audit_export(env, target, fmt, rows)
    click.echo(f"wrote {output} ({rows} rows)")
