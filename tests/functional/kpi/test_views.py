"""The KPI page and CSV downloads, and record_activity on both databases."""

import csv
import io
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from kairan.kpi.interfaces import IKpiProvider
from kairan.kpi.models import MonthlyActivity
from kairan.kpi.services import KpiProvider, add_months, month_of, record_activity


def read_csv(body):
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def activity(dbsession, *pairs):
    dbsession.add_all([MonthlyActivity(user_id=u, month=m) for u, m in pairs])
    dbsession.commit()


def test_record_activity_is_idempotent_and_uses_tokyo_months(dbsession):
    when = datetime(2025, 1, 31, 16, 0, tzinfo=UTC)  # 1 February in Tokyo
    record_activity(dbsession, 7, when)
    record_activity(dbsession, 7, when)
    record_activity(dbsession, 8, when)
    dbsession.commit()
    rows = dbsession.execute(select(MonthlyActivity.user_id, MonthlyActivity.month)
                             .order_by(MonthlyActivity.user_id)).all()
    assert [tuple(r) for r in rows] == [(7, "2025-02"), (8, "2025-02")]


def test_record_activity_concurrently(engine, dbsession):
    from sqlalchemy.orm import Session

    errors = []
    barrier = threading.Barrier(5)

    def sign_in():
        with Session(engine) as session:
            try:
                barrier.wait()
                record_activity(session, 42)
                session.commit()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=sign_in) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if engine.dialect.name == "sqlite":
        # SQLite serialises writers; a busy writer waits (busy_timeout), never duplicates
        errors = [e for e in errors if "locked" not in str(e)]
    assert errors == []
    count = dbsession.scalar(select(func.count()).select_from(MonthlyActivity))
    assert count == 1


def test_member_may_not_see_kpis(testapp, login):
    login()
    testapp.get("/manage/kpi", status=403)
    testapp.get("/manage/kpi/mau.csv", status=403)
    testapp.get("/manage/kpi/all.csv", status=403)


def section(text, name):
    """The HTML of one KPI's section (add-ons add sections of their own)."""
    start = text.index(f'<section class="kpi" id="kpi-{name}"')
    return text[start:text.index("</section>", start)]


def test_operator_sees_mau_chart_and_table(testapp, login, dbsession):
    login("Operator")
    this = month_of()
    last = add_months(this, -1)
    activity(dbsession, (1, this), (2, this), (3, this), (1, last), (9, add_months(this, -20)))
    page = testapp.get("/manage/kpi", status=200)
    assert page.headers["Cache-Control"] == "no-store"
    text = page.text
    assert "月間アクティブ利用者数" in text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="kpi-chart" role="img"' in text
    assert 'aria-labelledby="kpi-mau-chart-title kpi-mau-chart-desc"' in text
    assert f"<th scope=\"row\">{this}</th><td>3</td>" in text
    assert f"<th scope=\"row\">{last}</th><td>1</td>" in text
    assert section(text, "mau").count('<th scope="row">') == 12
    assert "style=" not in text
    assert f"/manage/kpi/mau.csv?start={add_months(this, -11)}&amp;end={this}" in text


def test_range_is_selectable(testapp, login, dbsession):
    login("Operator")
    activity(dbsession, (1, "2024-02"), (2, "2024-02"), (1, "2024-03"))
    page = testapp.get("/manage/kpi", {"start": "2024-01", "end": "2024-04"})
    assert section(page.text, "mau").count('<th scope="row">') == 4
    assert '<th scope="row">2024-02</th><td>2</td>' in page.text
    assert 'value="2024-01"' in page.text


def test_bad_range_is_400_with_a_message_tied_to_the_field(testapp, login):
    login("Operator")
    page = testapp.get("/manage/kpi", {"start": "2024-13"}, status=400)
    assert "YYYY-MM の形式で入力してください" in page.text
    assert 'aria-describedby="kpi-start-hint kpi-start-error"' in page.text
    assert 'id="kpi-start-error"' in page.text
    assert 'aria-invalid="true"' in page.text
    assert "<svg" not in page.text
    page = testapp.get("/manage/kpi", {"start": "2024-05", "end": "2024-01"}, status=400)
    assert "終了月は開始月以降にしてください" in page.text
    response = testapp.get("/manage/kpi/mau.csv", {"start": "x"}, status=400)
    assert "YYYY-MM" in response.text


def test_csv_downloads(testapp, login, dbsession):
    login("Operator")
    activity(dbsession, (1, "2024-02"), (2, "2024-02"), (1, "2024-03"))
    response = testapp.get("/manage/kpi/mau.csv", {"start": "2024-01", "end": "2024-03"})
    assert response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert read_csv(response.body) == [["年月", "月間アクティブ利用者数 (人)"],
                                       ["2024-01", "0"], ["2024-02", "2"], ["2024-03", "1"]]
    rows = read_csv(testapp.get("/manage/kpi/all.csv",
                                {"start": "2024-02", "end": "2024-03"}).body)
    assert rows[0][0] == "年月" and "月間アクティブ利用者数 (人)" in rows[0]
    assert [r[0] for r in rows[1:]] == ["2024-02", "2024-03"]
    testapp.get("/manage/kpi/nope.csv", status=404)


class HostileKpi(KpiProvider):
    name = "hostile"
    title = "=<b>bold</b>"
    unit = ""

    def monthly(self, request, start, end):
        return {start: 5}


class BrokenKpi(KpiProvider):
    name = "broken"
    title = "Broken"

    def monthly(self, request, start, end):
        raise RuntimeError("boom")


@pytest.fixture
def extra_kpis(registry):
    providers = [HostileKpi(), BrokenKpi()]
    for provider in providers:
        registry.registerUtility(provider, IKpiProvider, name=provider.name)
    yield
    for provider in providers:
        registry.unregisterUtility(provided=IKpiProvider, name=provider.name)


def test_add_on_kpis_are_escaped_and_failures_contained(testapp, login, extra_kpis):
    login("Operator")
    page = testapp.get("/manage/kpi", status=200)
    assert "<b>bold</b>" not in page.text
    assert "=&lt;b&gt;bold&lt;/b&gt;" in page.text
    assert "この指標は現在集計できません" in page.text
    assert "月間アクティブ利用者数" in page.text
    rows = read_csv(testapp.get("/manage/kpi/hostile.csv").body)
    assert rows[0][1] == "'=<b>bold</b>"
    rows = read_csv(testapp.get("/manage/kpi/all.csv").body)
    # columns in title order; enabled add-ons add their own KPIs among them
    header = rows[0]
    assert header[0] == "年月"
    assert {"Broken", "'=<b>bold</b>", "月間アクティブ利用者数 (人)"} <= set(header)
    assert header.index("Broken") < header.index("'=<b>bold</b>")
    broken, hostile = header.index("Broken"), header.index("'=<b>bold</b>")
    assert len(rows) == 13 and rows[1][broken] == "" and rows[1][hostile] == "5"
