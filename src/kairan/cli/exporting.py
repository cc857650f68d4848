"""Running exporters from the command line with a progress bar, through ``write_export``."""

import os
import tempfile

import click

from kairan.export.services import registered_exporters, write_export


def list_exporters(registry):
    """``[(name, title)]`` of every registered exporter, by name."""
    return [(name, str(e.title)) for name, e in registered_exporters(registry).items()]


def run_export(env, name, fmt, output):
    """Write the export ``name`` (or ``'all'``, a ZIP) to ``output``; return the rows written.

    The file appears only when complete: it is written next to ``output``
    and renamed, so a failed export never leaves half a file behind.
    """
    count = len(registered_exporters(env.registry)) if name == "all" else 1
    rows = {}
    directory = os.path.dirname(os.path.abspath(output))
    handle, partial = tempfile.mkstemp(prefix=".kairan-export-", dir=directory)
    try:
        with os.fdopen(handle, "wb") as fileobj, \
                click.progressbar(length=count, label="exporting", show_pos=True,
                                  item_show_func=lambda item: item) as bar:

            def progress(exporter_name, written):
                if exporter_name not in rows and rows:
                    bar.update(1)  # the previous exporter has finished
                rows[exporter_name] = written
                bar.update(0, f"{exporter_name}: {written} rows")

            write_export(env, name, fmt, fileobj, progress=progress)
            bar.update(count - bar.pos)
        os.replace(partial, output)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return sum(rows.values())


def audit_export(env, name, fmt, rows):
    """Exports are audited wherever they run; from the command line there is no actor."""
    from kairan.audit.models import AuditEntry
    from kairan.db.meta import utcnow

    with env.transaction() as dbsession:
        dbsession.add(AuditEntry(at=utcnow(), actor_id=None, action="export.download",
                                 target=name, address="cli", outcome="success",
                                 detail={"format": fmt, "rows": rows, "via": "cli"}))
