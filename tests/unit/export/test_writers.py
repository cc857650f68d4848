"""Cell escaping and the CSV / XLSX / ZIP writers, without a database."""

import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
from pyramid import testing

from kairan.export.services import Exporter
from kairan.export.writers import cell_value, escape_text, iter_csv, write_xlsx, write_zip


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_formula_starts_are_escaped(value):
    assert escape_text(value) == "'" + value
    assert cell_value(value) == "'" + value


@pytest.mark.parametrize("value", ["a=1", "東京", "", " =1", "'already"])
def test_harmless_text_is_kept(value):
    assert escape_text(value) == value


def test_cell_values():
    assert cell_value(None) == ""
    assert cell_value(True) == "true"
    assert cell_value(-5) == -5
    assert cell_value(Decimal("1.5")) == Decimal("1.5")
    assert cell_value(datetime(2025, 3, 31, 15, 30, tzinfo=UTC)) == "2025-04-01T00:30:00+09:00"
    assert cell_value(date(2025, 4, 1)) == "2025-04-01"
    assert cell_value({"b": 1, "a": "=x"}) == '{"a": "=x", "b": 1}'
    assert cell_value(["=x"]) == '["=x"]'


class Numbers(Exporter):
    name = "numbers"
    title = "Numbers"

    def __init__(self, count, as_dict=False):
        self.count, self.as_dict = count, as_dict

    def columns(self, request):
        return [("n", "N"), ("text", "Text")]

    def rows(self, request):
        for n in range(self.count):
            yield {"text": f"={n}", "n": n} if self.as_dict else (n, f"={n}")


def test_csv_has_bom_header_and_is_chunked():
    request = testing.DummyRequest()
    chunks = list(iter_csv(request, Numbers(1200)))
    assert len(chunks) == 3  # 500 + 500 + the rest: never the whole file at once
    body = b"".join(chunks)
    assert body.startswith(b"\xef\xbb\xbfN,Text\r\n0,'=0\r\n")
    assert body.count(b"\r\n") == 1201


def test_dict_rows_follow_the_column_order():
    body = b"".join(iter_csv(testing.DummyRequest(), Numbers(2, as_dict=True)))
    assert body.decode("utf-8-sig").splitlines()[1:] == ["0,'=0", "1,'=1"]


def test_xlsx_round_trip_with_control_characters():
    class Odd(Numbers):
        def rows(self, request):
            yield (1, "bell\x07ring")
            yield (2, "+81")

    out = io.BytesIO()
    write_xlsx(testing.DummyRequest(), Odd(0), out)
    workbook = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    rows = list(workbook["numbers"].iter_rows(values_only=True))
    assert rows == [("N", "Text"), (1, "bellring"), (2, "'+81")]


def test_zip_holds_one_file_per_exporter():
    class Other(Numbers):
        name = "other"

    out = io.BytesIO()
    write_zip(testing.DummyRequest(), [Numbers(3), Other(1)], "csv", out)
    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    assert sorted(archive.namelist()) == ["numbers.csv", "other.csv"]
    assert archive.read("other.csv").startswith(b"\xef\xbb\xbf")


def test_csv_is_produced_lazily():
    produced = []

    class Counting(Numbers):
        def rows(self, request):
            for n in range(10_000):
                produced.append(n)
                yield (n, "x")

    chunks = iter_csv(testing.DummyRequest(), Counting(0))
    first = next(chunks)
    # the first chunk is out after 500 rows: the other 9,500 have not been fetched yet
    assert len(produced) == 500
    assert first.count(b"\r\n") == 501
    chunks.close()
