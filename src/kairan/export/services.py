"""Exporters: the ``add_exporter`` directive, look-ups, and ``write_export`` for scripts.

Why exports open their own database session: a streamed response's body is
written by the WSGI server after the view has returned, and by then
pyramid_tm has committed (and closed) the request's transaction and
``request.dbsession`` with it. So the stream opens a short-lived session on
``request.registry["dbsession_factory"]``, reads through it in batches
(``yield_per``, a server-side cursor on PostgreSQL) and closes it when the
last row is written or the client goes away.
"""

import contextlib

from zope.interface import implementer

from kairan.directives import register_named
from kairan.export.interfaces import IExporter
from kairan.security.permissions import Permission

RESERVED_NAMES = frozenset({"all"})
FORMATS = ("csv", "xlsx")


@implementer(IExporter)
class Exporter:
    """Base class: set ``name``, ``title`` (and ``permission``); override ``columns``, ``rows``."""

    name = ""
    title = ""
    permission = Permission.EXPORT

    def columns(self, request):
        return []

    def rows(self, request):
        return iter(())


def add_exporter(config, exporter):
    """Directive: register an ``IExporter`` (see ``kairan.directives.register_named``)."""
    register_named(config, exporter, IExporter, "kairan.exporter", "exporter", "exporter",
                   reserved=RESERVED_NAMES)


def registered_exporters(registry) -> dict:
    """``{name: exporter}`` of every registered exporter, sorted by name."""
    return dict(sorted(registry.getUtilitiesFor(IExporter)))


def get_exporter(registry, name):
    """The exporter called ``name``, or None."""
    return registry.queryUtility(IExporter, name=name)


def allowed_exporters(request, context=None):
    """The exporters ``request``'s user may download, sorted by name."""
    context = context if context is not None else request.context
    return [e for e in registered_exporters(request.registry).values()
            if request.has_permission(getattr(e, "permission", Permission.EXPORT), context)]


class ExportRequest:
    """The request as an exporter sees it while streaming: everything of the real
    request, except that ``dbsession`` is the stream's own short-lived session."""

    def __init__(self, request, dbsession):
        self.__dict__["_request"] = request
        self.__dict__["dbsession"] = dbsession

    def __getattr__(self, name):
        return getattr(self._request, name)


@contextlib.contextmanager
def export_session(registry):
    """A short-lived read session for one export; rolled back and closed at the end."""
    session = registry["dbsession_factory"]()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


class _ProgressReporting:
    """An exporter that calls ``progress(name, rows_so_far)`` every ``every`` rows."""

    def __init__(self, exporter, progress, every=1000):
        self._exporter = exporter
        self._progress = progress
        self._every = every

    def __getattr__(self, name):
        return getattr(self._exporter, name)

    def columns(self, request):
        return self._exporter.columns(request)

    def rows(self, request):
        count = 0
        for count, row in enumerate(self._exporter.rows(request), start=1):
            if count % self._every == 0:
                self._progress(self._exporter.name, count)
            yield row
        self._progress(self._exporter.name, count)


def _as_request(request_or_env):
    """A Pyramid request: the one given, or a blank one on a CLI environment's registry."""
    if hasattr(request_or_env, "environ") and hasattr(request_or_env, "registry"):
        return request_or_env
    from pyramid.request import Request, apply_request_extensions

    request = Request.blank("/")
    request.registry = request_or_env.registry
    apply_request_extensions(request)
    return request


def write_export(request_or_env, name, fmt, fileobj, exporters=None, progress=None):
    """Write the export ``name`` as ``fmt`` ('csv' or 'xlsx') into the binary ``fileobj``.

    ``request_or_env`` is a Pyramid request or the CLI's ``Environment``
    (anything with ``.registry``). ``name='all'`` writes a ZIP holding every
    exporter (or those in ``exporters``) as ``<name>.<fmt>``. ``progress``,
    if given, is called as ``progress(exporter_name, rows_written)`` every
    1,000 rows and once at the end of each exporter. Reads through its own
    short-lived session (see the module docstring); checks no permission and
    writes no audit entry: callers do both. Raises ``LookupError`` for an
    unknown exporter and ``ValueError`` for an unknown format.
    """
    from kairan.export.writers import WRITERS, write_zip

    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}")
    request = _as_request(request_or_env)
    registry = request.registry
    if name == "all":
        chosen = list(exporters if exporters is not None
                      else registered_exporters(registry).values())
    else:
        exporter = get_exporter(registry, name)
        if exporter is None:
            known = ", ".join(registered_exporters(registry)) or "none"
            raise LookupError(f"no exporter named {name!r} (known: {known})")
        chosen = [exporter]
    if progress is not None:
        chosen = [_ProgressReporting(e, progress) for e in chosen]
    with export_session(registry) as session:
        stream_request = ExportRequest(request, session)
        if name == "all":
            write_zip(stream_request, chosen, fmt, fileobj)
        else:
            WRITERS[fmt](stream_request, chosen[0], fileobj)


def stream_csv(request, exporter):
    """A generator of CSV byte chunks for ``response.app_iter``, reading through
    its own session, which it closes when done or when the client goes away."""
    from kairan.export.writers import iter_csv

    with export_session(request.registry) as session:
        yield from iter_csv(ExportRequest(request, session), exporter)
