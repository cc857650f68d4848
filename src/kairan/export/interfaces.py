"""The export extension point: tables an operator downloads as CSV or XLSX."""

from zope.interface import Attribute, Interface


class IExporter(Interface):
    """A table of rows, registered with ``config.add_exporter(exporter)``.

    An operator downloads it from ``/manage/export`` (CSV as UTF-8 with BOM,
    or XLSX; or every exporter at once as a ZIP) and the command line writes
    it with ``kairan export NAME``. Rows are streamed: ``rows`` must be a
    generator that fetches in batches (``.execution_options(yield_per=500)``)
    so that a million rows never sit in memory at once.

    Inside ``columns`` and ``rows``, ``request.dbsession`` is a short-lived,
    read-only session that the export machinery opens for the stream and
    closes after it: by the time a streamed response is written, pyramid_tm
    has already ended the request's own transaction. Query through
    ``request.dbsession`` and nothing else; never commit.

    Values may be str, int, float, Decimal, bool, None, date or datetime
    (aware datetimes are written in Asia/Tokyo, ISO 8601). Text beginning
    with ``= + - @``, TAB or CR is prefixed with ``'`` so that spreadsheet
    programs never run it as a formula.
    """

    name = Attribute(
        "Unique name: lower-case letters, digits, '_', '.', '-'; also the file name. "
        "'all' is reserved."
    )
    title = Attribute("A translatable title shown on the export page.")
    permission = Attribute("The permission needed to download it (usually Permission.EXPORT).")

    def columns(request):
        """The columns, in order: a list of ``(key, title)`` pairs (titles translatable)."""

    def rows(request):
        """Yield one row at a time: a dict keyed by column key, or a tuple in column order."""
