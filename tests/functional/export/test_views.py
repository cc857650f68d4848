"""Export page and downloads: permissions, audit, CSV/XLSX/ZIP contents, hostile cells."""

import csv
import io
import zipfile

import openpyxl
import pytest
from sqlalchemy import select

from kairan.audit.models import AuditEntry
from kairan.export.interfaces import IExporter
from kairan.export.services import Exporter, write_export
from kairan.security.permissions import Permission

HOSTILE = ["=HYPERLINK(\"http://evil\")", "+1+2", "-3", "@SUM(A1)", "\tTAB", "\rCR"]


def download(testapp, name, fmt, status=200):
    return testapp.post_form("/manage/export/download", {"name": name, "format": fmt},
                             status=status)


def read_csv(body: bytes):
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.fixture
def hostile_users(make_user):
    return [make_user(email=f"h{i}@example.jp", display_name=value)
            for i, value in enumerate(HOSTILE)]


def test_anonymous_is_sent_to_sign_in(testapp):
    assert "/login" in testapp.get("/manage/export", status=303).location


def test_member_may_neither_see_nor_download(testapp, login):
    login()
    testapp.get("/manage/export", status=403)
    download(testapp, "users", "csv", status=403)
    download(testapp, "all", "csv", status=403)


def test_operator_sees_core_exporters_with_forms(testapp, login):
    login("Operator")
    page = testapp.get("/manage/export", status=200)
    for name in ("content", "users", "audit"):
        assert f'value="{name}"' in page.text
    assert 'name="csrf_token"' in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert "データの書き出し" in page.text


def test_download_needs_csrf(testapp, login):
    login("Operator")
    testapp.post("/manage/export/download", {"name": "users", "format": "csv"}, status=400)


def test_bad_format_and_unknown_exporter_are_400_with_a_message(testapp, login, dbsession):
    login("Operator")
    page = download(testapp, "users", "pdf", status=400)
    assert "CSV または XLSX を選んでください" in page.text
    page = download(testapp, "nothing-here", "csv", status=400)
    assert "指定された書き出しはありません" in page.text
    assert dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "export.download")).all() == []


def test_users_csv_is_bom_utf8_escaped_without_secrets_and_audited(testapp, login,
                                                                     hostile_users, dbsession):
    operator = login("Operator", display_name="運用 太郎")
    response = download(testapp, "users", "csv")
    assert response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "users" in response.headers["Content-Disposition"]
    rows = read_csv(response.body)
    # headers are translated (the texts are shared with other catalogues in one domain)
    assert len(rows[0]) == 6 and rows[0][0] == "ID" and rows[0][1] == "メールアドレス"
    names = [row[2] for row in rows[1:]]
    for value in HOSTILE:
        assert "'" + value in names
    assert "運用 太郎" in names
    operator_row = next(row for row in rows if row[1] == operator.email)
    assert operator_row[4] == "Operator"
    assert operator_row[5].endswith("+09:00")
    assert b"argon2" not in response.body
    entry = dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "export.download")).one()
    assert entry.actor_id == operator.id and entry.target == "users"
    assert entry.detail == {"exporter": "users", "format": "csv"}


def test_users_xlsx_opens_and_has_the_rows(testapp, login, hostile_users):
    login("Operator")
    response = download(testapp, "users", "xlsx")
    assert response.content_type.startswith("application/vnd.openxmlformats")
    assert int(response.headers["Content-Length"]) == len(response.body)
    workbook = openpyxl.load_workbook(io.BytesIO(response.body), read_only=True)
    sheet = workbook["users"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    assert rows[0][1] == "メールアドレス"
    assert len(rows) == 1 + len(HOSTILE) + 1
    names = {row[2] for row in rows[1:]}
    assert "'=HYPERLINK(\"http://evil\")" in names and "'@SUM(A1)" in names
    assert "'\tTAB" in names


def exporter_names(testapp):
    """Every registered exporter: the core's and the enabled add-ons'."""
    registry = testapp.app.registry
    return sorted(name for name, _exporter in registry.getUtilitiesFor(IExporter))


def test_all_as_zip_contains_every_exporter(testapp, login, hostile_users):
    login("Operator")
    for fmt in ("xlsx", "csv"):
        response = download(testapp, "all", fmt)
        assert response.content_type == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(response.body))
        assert sorted(archive.namelist()) == [f"{name}.{fmt}" for name in exporter_names(testapp)]
        assert {f"audit.{fmt}", f"content.{fmt}", f"users.{fmt}"} <= set(archive.namelist())
        if fmt == "csv":
            users = read_csv(archive.read("users.csv"))
            assert len(users) == 1 + len(HOSTILE) + 1
            # the XLSX download a moment ago is already in the audit log
            audit = read_csv(archive.read("audit.csv"))
            assert any(row[4] == "export.download" for row in audit[1:])


def test_content_export_uses_tokyo_times(testapp, login, dbsession):
    from kairan.content.models import Folder
    from kairan.db.meta import utcnow

    now = utcnow()
    dbsession.add(Folder(type="folder", name="", path="/", title="=cmd|' /C calc'!A0",
                         state="published", created=now, modified=now))
    dbsession.commit()
    login("Operator")
    rows = read_csv(download(testapp, "content", "csv").body)
    assert rows[1][1] == "/" and rows[1][2] == "folder"
    assert rows[1][3] == "'=cmd|' /C calc'!A0"
    assert rows[1][6].endswith("+09:00") and rows[1][7].endswith("+09:00")


class SecretExporter(Exporter):
    name = "secret"
    title = "Secret"
    permission = Permission.MANAGE

    def columns(self, request):
        return [("n", "N")]

    def rows(self, request):
        yield (1,)


@pytest.fixture
def secret_exporter(registry):
    registry.registerUtility(SecretExporter(), IExporter, name="secret")
    yield
    registry.unregisterUtility(provided=IExporter, name="secret")


def test_exporter_permission_is_checked(testapp, login, dbsession, make_user, secret_exporter):
    from tests.functional.dashboard.helpers import sign_in

    login("Operator")
    assert 'value="secret"' not in testapp.get("/manage/export").text
    download(testapp, "secret", "csv", status=403)
    archive = zipfile.ZipFile(io.BytesIO(download(testapp, "all", "csv").body))
    assert "secret.csv" not in archive.namelist()
    testapp.reset()
    sign_in(testapp, dbsession, make_user(roles=("Manager",)))
    assert 'value="secret"' in testapp.get("/manage/export").text
    assert read_csv(download(testapp, "secret", "csv").body) == [["N"], ["1"]]


class Env:
    """What the CLI hands over: anything with a registry."""

    def __init__(self, registry):
        self.registry = registry


def test_write_export_for_scripts(registry, hostile_users):
    out = io.BytesIO()
    seen = []
    write_export(Env(registry), "users", "csv", out, progress=lambda n, c: seen.append((n, c)))
    rows = read_csv(out.getvalue())
    assert len(rows) == 1 + len(HOSTILE)
    assert seen == [("users", len(HOSTILE))]
    out = io.BytesIO()
    write_export(Env(registry), "all", "xlsx", out)
    names = sorted(name for name, _e in registry.getUtilitiesFor(IExporter))
    assert sorted(zipfile.ZipFile(out).namelist()) == [f"{name}.xlsx" for name in names]
    assert {"audit", "content", "users"} <= set(names)
    with pytest.raises(LookupError):
        write_export(Env(registry), "nope", "csv", io.BytesIO())
    with pytest.raises(ValueError):
        write_export(Env(registry), "users", "pdf", io.BytesIO())
