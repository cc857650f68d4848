"""``kairan export``, ``audit purge``, ``mail send``, ``search reindex``."""

import csv
import io
import zipfile
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kairan.accounts.models import User
from kairan.audit.models import AuditEntry
from kairan.db.meta import utcnow
from kairan.mail.models import OutboxMessage


def test_export_lists_the_core_exporters(kairan):
    listing = kairan("export", "--list").output
    for name in ("content", "users", "audit"):
        assert name in listing


def test_export_one_as_csv_and_xlsx(kairan, tmp_path, cli_engine):
    kairan("demo")
    out = tmp_path / "users.csv"
    result = kairan("export", "users", "-o", out)
    # the demo's users, and those of the enabled add-ons' demo data (a shop's staff)
    with Session(cli_engine) as session:
        users = session.scalar(select(func.count()).select_from(User))
    assert users >= 5
    assert "wrote" in result.output and f"({users} rows)" in result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == users + 1
    assert any("resident@example.jp" in row for row in rows)
    xlsx = tmp_path / "content.xlsx"
    kairan("export", "content", "--format", "xlsx", "-o", xlsx)
    sheet = load_workbook(xlsx, read_only=True).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert any("回覧板市" in str(value) for value in values)
    with Session(cli_engine) as session:
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "export.download")).all()
    assert {(e.target, e.address) for e in entries} == {("users", "cli"), ("content", "cli")}


def test_export_all_as_a_zip(kairan, tmp_path):
    kairan("demo")
    out = tmp_path / "all.zip"
    kairan("export", "--all", "-o", out)
    with zipfile.ZipFile(out) as archive:
        assert {"content.csv", "users.csv", "audit.csv"} <= set(archive.namelist())


def test_export_refusals(kairan, tmp_path):
    assert "no exporter named 'nope'" in kairan("export", "nope", expect=1).output
    assert "NAME or --all" in kairan("export", expect=2).output
    assert "NAME or --all" in kairan("export", "users", "--all", expect=2).output
    kairan("export", "users", "--format", "pdf", expect=2)
    assert not any(p.name.startswith(".kairan-export-") for p in tmp_path.iterdir())


def _add_audit(engine, days_ago):
    with Session(engine) as session:
        session.add(AuditEntry(at=utcnow() - timedelta(days=days_ago), action="test.entry",
                               outcome="success", detail={}))
        session.commit()


def _audit_count(engine):
    with Session(engine) as session:
        return len(session.scalars(select(AuditEntry).where(
            AuditEntry.action == "test.entry")).all())


def test_audit_purge_keeps_the_retention_period(kairan, cli_engine):
    for days in (400, 366, 100, 1):
        _add_audit(cli_engine, days)
    result = kairan("audit", "purge")
    assert "2 audit entries removed" in result.output
    assert _audit_count(cli_engine) == 2
    assert "1 audit entries removed" in kairan("audit", "purge", "--days", "30").output
    assert _audit_count(cli_engine) == 1
    kairan("audit", "purge", "--days", "0", expect=2)


def _queue(engine, count):
    with Session(engine) as session:
        for n in range(count):
            session.add(OutboxMessage(recipient=f"r{n}@example.jp", subject="件名",
                                      body="本文", created=utcnow()))
        session.commit()


def _unsent(engine):
    with Session(engine) as session:
        return session.scalars(select(OutboxMessage).where(
            OutboxMessage.sent_at.is_(None))).all()


def test_mail_send_delivers_in_batches(kairan, cli_engine):
    _queue(cli_engine, 5)
    result = kairan("mail", "send", "--batch", "2")
    assert "sent 5, failed 0" in result.output
    assert _unsent(cli_engine) == []
    assert "sent 0, failed 0" in kairan("mail", "send").output


def test_mail_send_reports_failures_with_a_non_zero_status(kairan, cli_engine, tmp_path):
    from tests.functional.cli.conftest import Kairan, write_ini

    _queue(cli_engine, 2)
    # nothing listens on port 1: every delivery fails and is kept for a retry
    ini = write_ini(tmp_path / "smtp.ini", kairan.url, **{"kairan.mail.smtp_host": "127.0.0.1",
                                                          "kairan.mail.smtp_port": "1"})
    result = Kairan(ini, kairan.url)("mail", "send", expect=1)
    assert "sent 0, failed 2" in result.output
    unsent = _unsent(cli_engine)
    assert len(unsent) == 2 and all(m.attempts == 1 and m.last_error for m in unsent)


def test_search_reindex(kairan, cli_engine):
    from kairan.content.search.services import search

    kairan("demo")
    with Session(cli_engine) as session:
        session.execute(__import__("sqlalchemy").text("DELETE FROM search_fts"))
        session.commit()
        assert search(session, "保育所").total == 0
    result = kairan("search", "reindex")
    assert "search index rebuilt" in result.output
    with Session(cli_engine) as session:
        assert search(session, "保育所").total >= 1
