"""Residents' campaign pages: applying with the session's identity level, statuses,
accepting and declining, no access to anyone else's application, the dashboard tile."""

from kairan_points.campaigns import services
from kairan_points.campaigns.models import ACCEPTED, DECLINED, WAITING, WON, Application
from sqlalchemy import func, select

from kairan.audit.models import AuditEntry
from kairan.testing import sign_in_directly
from tests.addons.kairan_points.conftest import sign_in_at_level, verify_ok
from tests.addons.kairan_points.functional.test_campaigns import (  # noqa: F401
    SEED,
    drawn,
    make_campaign,
    outbox,
)


def applications(dbsession, *where):
    dbsession.expire_all()
    return list(dbsession.scalars(select(Application).where(*where).order_by(Application.id)))


def test_a_resident_applies_at_their_level_and_sees_the_status(
        testapp, dbsession, make_campaign, make_user):  # noqa: F811
    campaign = make_campaign(min_level=2)
    resident = make_user()
    sign_in_directly(testapp, dbsession, resident)
    page = testapp.get("/points/campaigns")
    assert "春の抽選" in page.text and "応募する" in page.text
    refused = testapp.post_form(f"/points/campaigns/{campaign.id}/apply", {}, status=409)
    assert 'role="alert"' in refused.text and "本人確認レベル2" in refused.text
    assert applications(dbsession) == []
    assert dbsession.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "points.campaign.apply", AuditEntry.outcome == "denied")) == 1

    sign_in_at_level(testapp, dbsession, resident, level=2)
    testapp.post_form(f"/points/campaigns/{campaign.id}/apply", {}, status=303)
    [application] = applications(dbsession)
    assert application.user_id == resident.id and application.level == 2
    again = testapp.post_form(f"/points/campaigns/{campaign.id}/apply", {}, status=409)
    assert "既に応募" in again.text
    assert len(applications(dbsession)) == 1
    page = testapp.get("/points/campaigns")
    assert "応募済み：抽選前" in page.text
    dashboard = testapp.get("/dashboard")
    assert "応募済み：抽選前" in dashboard.text
    # without the CSRF token: refused
    testapp.post(f"/points/campaigns/{campaign.id}/apply", {}, status=400)
    testapp.post_form("/points/campaigns/999999/apply", {}, status=404)


def test_winners_accept_or_decline_and_nobody_touches_another_application(
        testapp, dbsession, make_campaign, make_user, programme, outbox):  # noqa: F811
    campaign = make_campaign(capacity=1)
    first, second = make_user(), make_user()
    for user in (first, second):
        services.apply(dbsession, campaign, user.id, 1)
    dbsession.commit()
    drawn(dbsession, campaign)
    winner_id = applications(dbsession, Application.status == WON)[0].user_id
    winner = first if winner_id == first.id else second
    other = second if winner is first else first

    # The one on the waiting list sees their position and cannot accept the winner's place.
    sign_in_directly(testapp, dbsession, other)
    page = testapp.get("/points/campaigns")
    assert "補欠：1番目" in page.text
    assert "受け取る" not in page.text
    refused = testapp.post_form(f"/points/campaigns/{campaign.id}/accept", {}, status=409)
    assert "受諾できる当選枠がありません" in refused.text
    testapp.post_form(f"/points/campaigns/{campaign.id}/decline", {}, status=409)
    assert {a.user_id: a.status for a in applications(dbsession)} == {
        winner.id: WON, other.id: WAITING}

    # The winner declines: the place goes to the other, who is mailed and accepts.
    sign_in_directly(testapp, dbsession, winner)
    testapp.post_form(f"/points/campaigns/{campaign.id}/decline", {}, status=303)
    assert outbox()[-1].recipient == other.email
    sign_in_directly(testapp, dbsession, other)
    page = testapp.get("/points/campaigns")
    assert "当選" in page.text and "受け取る" in page.text
    testapp.post_form(f"/points/campaigns/{campaign.id}/accept", {}, status=303)
    statuses = {a.user_id: a.status for a in applications(dbsession)}
    assert statuses == {winner.id: DECLINED, other.id: ACCEPTED}
    assert "受諾済み" in testapp.get("/points/campaigns").text
    assert f"{campaign.points:,}" in testapp.get("/points").text
    verify_ok(dbsession)


def test_the_campaign_pages_need_a_signed_in_resident(testapp, make_campaign):  # noqa: F811
    campaign = make_campaign()
    response = testapp.get("/points/campaigns", status=(302, 303, 403))
    assert "/login" in response.headers.get("Location", "/login")
    testapp.post(f"/points/campaigns/{campaign.id}/apply", {}, status=(302, 303, 400, 403))


def test_exporters_list_the_campaign_tables_and_the_account_page_links(
        testapp, dbsession, make_campaign, make_user, registry):  # noqa: F811
    from types import SimpleNamespace

    from kairan_points.campaigns.exporters import EXPORTERS

    from kairan.export.services import registered_exporters

    campaign = make_campaign(capacity=1)
    resident = make_user()
    services.apply(dbsession, campaign, resident.id, 1)
    dbsession.commit()
    drawn(dbsession, campaign)
    request = SimpleNamespace(dbsession=dbsession)
    rows = {exporter.name: list(exporter.rows(request)) for exporter in EXPORTERS}
    assert set(rows) == {"points_campaigns", "points_campaign_applications"}
    assert set(rows) <= set(registered_exporters(registry))
    assert [r[2] for r in rows["points_campaign_applications"]] == [resident.id]
    assert rows["points_campaigns"][0][12] == SEED
    for exporter in EXPORTERS:
        assert len(exporter.columns(request)) == len(rows[exporter.name][0])
    sign_in_directly(testapp, dbsession, resident)
    assert 'href="/points/campaigns"' in testapp.get("/account").text


def test_an_acceptance_check_past_the_date_promotes_the_waiting_list(
        testapp, dbsession, make_campaign, make_user, outbox):  # noqa: F811
    from sqlalchemy import text

    from kairan.db.meta import utcnow

    campaign = make_campaign(capacity=1)
    first, second = make_user(), make_user()
    for user in (first, second):
        services.apply(dbsession, campaign, user.id, 1)
    dbsession.commit()
    drawn(dbsession, campaign)
    [winner] = applications(dbsession, Application.status == WON)
    dbsession.execute(text("UPDATE points_campaign_applications SET accept_by = :t "
                           "WHERE id = :id"), {"t": utcnow(), "id": winner.id})
    dbsession.commit()
    late = first if winner.user_id == first.id else second
    other = second if late is first else first
    sign_in_directly(testapp, dbsession, late)
    refused = testapp.post_form(f"/points/campaigns/{campaign.id}/accept", {}, status=409)
    assert 'role="alert"' in refused.text
    statuses = {a.user_id: a.status for a in applications(dbsession)}
    assert statuses == {late.id: "expired", other.id: WON}
    assert outbox()[-1].recipient == other.email
    assert "期限内に受諾されませんでした" in testapp.get("/points/campaigns").text
    verify_ok(dbsession)
