"""The draw in bulk (ranks stored by one statement) and ``kairan points draw`` writing
audit records as the operators' page does."""

from datetime import timedelta

import pytest
from kairan_points.campaigns import services
from kairan_points.campaigns.models import WAITING, WON, Application
from sqlalchemy import select, text

from kairan.audit.models import AuditEntry
from kairan.db.meta import utcnow
from tests.addons.kairan_points.conftest import verify_ok

SEED = "the-seed-revealed-at-the-draw-2025"


@pytest.fixture
def closed_campaign(dbsession, programme, make_user):
    """make(capacity, applicants) -> a campaign whose window has just closed, with
    ``applicants`` applications and the seed committed."""

    def make(capacity, applicants, code="lottery"):
        now = utcnow()
        campaign = services.create_campaign(dbsession, {
            "code": code, "title": "抽選", "title_en": "Lottery", "programme_id": programme.id,
            "points": 500, "capacity": capacity, "opens_at": now - timedelta(days=2),
            "closes_at": now - timedelta(minutes=1), "min_level": 1,
            "excluded_campaign_id": None, "accept_days": 3})
        for _ in range(applicants):
            services.apply(dbsession, campaign, make_user().id, 2,
                           now=now - timedelta(days=1))
        services.commit_seed(dbsession, campaign, services.seed_hash(SEED))
        dbsession.commit()
        return campaign

    return make


def audit_entries(dbsession, campaign):
    dbsession.rollback()
    return [(e.action, e.outcome, e.actor_id, e.detail) for e in dbsession.scalars(
        select(AuditEntry).where(AuditEntry.target == f"points-campaign:{campaign.id}")
        .order_by(AuditEntry.id))]


def test_the_bulk_draw_stores_every_rank_offer_and_the_waiting_list(
        dbsession, closed_campaign):
    campaign = closed_campaign(capacity=4, applicants=30)
    winners = services.draw(dbsession, campaign, SEED)
    dbsession.commit()
    rows = list(dbsession.scalars(select(Application).order_by(Application.rank)))
    expected = [app_id for app_id, _user in services.ranking(
        SEED, [(row.id, row.user_id) for row in rows])]
    assert [row.id for row in rows] == expected
    assert [row.rank for row in rows] == list(range(1, 31))
    assert [w.id for w in winners] == expected[:4]
    assert {row.status for row in rows[:4]} == {WON}
    assert {row.status for row in rows[4:]} == {WAITING}
    assert all(row.accept_by == row.offered_at + timedelta(days=3) for row in rows[:4])
    assert all(row.accept_by is None and row.offered_at is None for row in rows[4:])
    assert services.verify_draw(dbsession, campaign).ok
    verify_ok(dbsession)


def test_the_command_audits_the_draw_a_refusal_and_the_promotion(
        kairan, dbsession, closed_campaign):
    campaign = closed_campaign(capacity=1, applicants=3)
    output = kairan("points", "draw", campaign.code, "--seed", "not-the-committed-seed",
                    expect=1)
    assert "does not match the committed SHA-256" in output
    entries = audit_entries(dbsession, campaign)
    assert [(a, o, actor) for a, o, actor, _d in entries] == [
        ("points.campaign.draw", "denied", None)]
    assert entries[0][3]["via"] == "cli"

    output = kairan("points", "draw", campaign.code, "--seed", SEED)
    assert "1 winners" in output
    entries = audit_entries(dbsession, campaign)
    assert [(a, o) for a, o, _actor, _d in entries][-1] == ("points.campaign.draw", "success")
    detail = entries[-1][3]
    dbsession.expire_all()
    assert detail == {"winners": 1, "result_hash": services.by_code(
        dbsession, campaign.code).result_hash, "via": "cli"}

    # the winner lets the date pass: the promotion offers the place to the next
    dbsession.execute(text("UPDATE points_campaign_applications SET accept_by = :t "
                           "WHERE status = 'won'"), {"t": utcnow() - timedelta(seconds=1)})
    dbsession.commit()
    assert "offered 1 places" in kairan("points", "draw", campaign.code, "--promote")
    entries = audit_entries(dbsession, campaign)
    assert entries[-1] == ("points.campaign.promote", "success", None,
                           {"offered": 1, "via": "cli"})
    # a second draw is refused and audited as such
    assert "drawn already" in kairan("points", "draw", campaign.code, "--seed", SEED,
                                     expect=1)
    assert audit_entries(dbsession, campaign)[-1][:2] == ("points.campaign.draw", "denied")
    assert len(audit_entries(dbsession, campaign)) == 4
    verify_ok(dbsession)
