"""Writing an exporter's rows as CSV, XLSX or a ZIP of several, without holding them all.

CSV is UTF-8 with a byte order mark, so Excel opens Japanese text cleanly;
it is produced chunk by chunk for a streamed response. XLSX comes from
openpyxl's write-only workbook (rows go to a temporary file as they come)
and ZIPs are built in a temporary file too, then streamed from it.

Every text cell that a spreadsheet would read as a formula (beginning with
``= + - @``, TAB or CR) is prefixed with ``'`` (OWASP "CSV injection").
"""

import csv
import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_CHUNK_ROWS = 500
YIELD_PER = 500
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}


def escape_text(text: str) -> str:
    """Neutralise a would-be formula by prefixing ``'``."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell_value(value):
    """A cell-ready value: numbers stay numbers, times become Asia/Tokyo ISO text,
    everything else becomes escaped text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(TOKYO)
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list, tuple)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return escape_text(str(value))


def _translate(request, text):
    localizer = getattr(request, "localizer", None)
    return localizer.translate(text) if localizer is not None else str(text)


def header_row(request, columns):
    return [cell_value(_translate(request, title)) for _key, title in columns]


def iter_rows(request, exporter, columns):
    """Each row of ``exporter`` as a list of cell values in column order."""
    keys = [key for key, _title in columns]
    for row in exporter.rows(request):
        if isinstance(row, dict):
            yield [cell_value(row.get(key)) for key in keys]
        else:
            yield [cell_value(value) for value in row]


def iter_csv(request, exporter):
    """Yield the CSV file as UTF-8 byte chunks, the BOM first."""
    columns = list(exporter.columns(request))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(header_row(request, columns))
    for count, row in enumerate(iter_rows(request, exporter, columns), start=1):
        writer.writerow(row)
        if count % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_csv(request, exporter, fileobj):
    for chunk in iter_csv(request, exporter):
        fileobj.write(chunk)


def _xlsx_text(value, illegal):
    # openpyxl refuses control characters that XML 1.0 cannot hold
    return illegal.sub("", value) if isinstance(value, str) else value


def write_xlsx(request, exporter, fileobj):
    """Write one sheet named after the exporter into the binary ``fileobj``."""
    # imported here: openpyxl costs a fifth of a second of every server's start-up
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE as illegal

    columns = list(exporter.columns(request))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=exporter.name[:31])
    sheet.append([_xlsx_text(v, illegal) for v in header_row(request, columns)])
    for row in iter_rows(request, exporter, columns):
        sheet.append([_xlsx_text(v, illegal) for v in row])
    workbook.save(fileobj)


WRITERS = {"csv": write_csv, "xlsx": write_xlsx}


def write_zip(request, exporters, fmt, fileobj):
    """Write every exporter as ``<name>.<fmt>`` into one ZIP archive in ``fileobj``."""
    write = WRITERS[fmt]
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for exporter in exporters:
            with archive.open(f"{exporter.name}.{fmt}", "w", force_zip64=True) as member:
                write(request, exporter, member)
