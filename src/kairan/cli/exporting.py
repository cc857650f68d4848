"""Running exporters from the command line, with progress, through the export writers."""

import os
import tempfile

import click
from pyramid.scripting import prepare

from kairan.export.services import ExportRequest, export_session, registered_exporters
from kairan.export.writers import WRITERS, write_zip


def list_exporters(registry):
    """``[(name, title)]`` of every registered exporter, by name."""
    return [(name, str(e.title)) for name, e in registered_exporters(registry).items()]


class _Counted:
    """An exporter seen through a row counter, so the progress bar can follow it."""

    def __init__(self, exporter, bar, counter):
        self._exporter, self._bar, self._counter = exporter, bar, counter
        self.name = exporter.name

    def __getattr__(self, name):
        return getattr(self._exporter, name)

    def rows(self, request):
        for row in self._exporter.rows(request):
            self._counter["rows"] += 1
            if self._counter["rows"] % 1000 == 0:
                self._bar.render_progress()
            yield row

    def columns(self, request):
        return self._exporter.columns(request)


def run_export(env, names, fmt, output, zipped=False):
    """Write the exporters ``names`` to ``output``; returns the number of rows written.

    The file appears only when complete: it is written next to ``output``
    and renamed, so a failed export never leaves half a file behind.
    """
    registry = env.registry
    exporters = registered_exporters(registry)
    counter = {"rows": 0, "current": ""}
    directory = os.path.dirname(os.path.abspath(output))
    scripting = prepare(registry=registry)
    handle, partial = tempfile.mkstemp(prefix=".kairan-export-", dir=directory)
    try:
        with os.fdopen(handle, "wb") as fileobj, export_session(registry) as dbsession, \
                click.progressbar(length=len(names), label="exporting",
                                  item_show_func=lambda _: f"{counter['current']} "
                                                           f"{counter['rows']} rows") as bar:
            request = ExportRequest(scripting["request"], dbsession)
            counted = [_Counted(exporters[name], bar, counter) for name in names]
            if zipped:
                write_zip(request, _Progress(counted, bar, counter), fmt, fileobj)
            else:
                counter["current"] = names[0]
                WRITERS[fmt](request, counted[0], fileobj)
                bar.update(1)
        os.replace(partial, output)
    finally:
        scripting["closer"]()
        if os.path.exists(partial):
            os.unlink(partial)
    return counter["rows"]


class _Progress:
    """Iterates the exporters for ``write_zip``, advancing the bar as each one finishes."""

    def __init__(self, exporters, bar, counter):
        self.exporters, self.bar, self.counter = exporters, bar, counter

    def __iter__(self):
        for exporter in self.exporters:
            self.counter["current"] = exporter.name
            yield exporter
            self.bar.update(1)
