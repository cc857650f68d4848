"""Campaigns: eligibility, one application per person, the committed-seed draw and its
verification, acceptance, promotion from the waiting list, capacity under concurrency."""

import threading
from datetime import timedelta

import pytest
from kairan_points.campaigns import services
from kairan_points.campaigns.models import (
    ACCEPTED,
    DECLINED,
    EXPIRED,
    WAITING,
    WON,
    Application,
    Campaign,
)
from kairan_points.models import Transfer
from sqlalchemy import func, select, text

from kairan.db.meta import utcnow
from tests.addons.kairan_points.conftest import verify_ok

SEED = "a-revealed-seed-of-the-operator-2025"


def count(dbsession, model, *where):
    dbsession.expire_all()
    return dbsession.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def outbox(dbsession):
    from kairan.mail.models import OutboxMessage

    def read():
        dbsession.expire_all()
        return list(dbsession.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    return read


@pytest.fixture
def make_campaign(dbsession, programme):
    counter = {"n": 0}

    def factory(**overrides):
        counter["n"] += 1
        now = utcnow()
        values = {"code": f"campaign-{counter['n']}", "title": "春の抽選",
                  "title_en": "Spring lottery", "programme_id": programme.id,
                  "points": 1000, "capacity": 2, "opens_at": now - timedelta(days=1),
                  "closes_at": now + timedelta(days=1), "min_level": 1,
                  "excluded_campaign_id": None, "accept_days": 7}
        values.update(overrides)
        campaign = services.create_campaign(dbsession, values)
        dbsession.commit()
        return campaign

    return factory


def applied(dbsession, campaign, users, level=2):
    for user in users:
        services.apply(dbsession, campaign, user.id, level)
    dbsession.commit()


def drawn(dbsession, campaign, seed=SEED, capacity_users=None):
    services.commit_seed(dbsession, campaign, services.seed_hash(seed))
    dbsession.commit()
    later = campaign.closes_at + timedelta(minutes=1)
    winners = services.draw(dbsession, campaign, seed, now=later)
    dbsession.commit()
    return winners, later


def test_eligibility_refusals_say_why_and_change_nothing(dbsession, make_campaign, make_user):
    earlier = make_campaign(capacity=1)
    lucky, other = make_user(), make_user()
    applied(dbsession, earlier, [lucky])
    _winners, later = drawn(dbsession, earlier)
    services.accept(dbsession, earlier, lucky.id, now=later)
    dbsession.commit()

    campaign = make_campaign(min_level=2, excluded_campaign_id=earlier.id)
    before = count(dbsession, Application)
    cases = [
        (lambda: services.apply(dbsession, campaign, other.id, 1), "identity level 2"),
        (lambda: services.apply(dbsession, campaign, lucky.id, 2), "earlier campaign"),
        (lambda: services.apply(dbsession, campaign, other.id, 2,
                                now=campaign.opens_at - timedelta(seconds=1)), "not open"),
        (lambda: services.apply(dbsession, campaign, other.id, 2,
                                now=campaign.closes_at), "closed"),
    ]
    for act, message in cases:
        with pytest.raises(services.CampaignRefused) as error:
            act()
        assert message in error.value.message.interpolate()
        dbsession.rollback()
    assert count(dbsession, Application) == before
    services.apply(dbsession, campaign, other.id, 2)
    dbsession.commit()
    with pytest.raises(services.CampaignRefused, match="applied for this campaign already"):
        services.apply(dbsession, campaign, other.id, 2)
    dbsession.rollback()
    assert count(dbsession, Application, Application.campaign_id == campaign.id) == 1
    verify_ok(dbsession)


def test_the_draw_is_reproducible_and_needs_the_committed_seed(dbsession, make_campaign,
                                                               make_user):
    campaign = make_campaign(capacity=3)
    users = [make_user() for _ in range(8)]
    applied(dbsession, campaign, users)
    later = campaign.closes_at + timedelta(minutes=1)
    with pytest.raises(services.CampaignRefused, match="Commit to a seed"):
        services.draw(dbsession, campaign, SEED, now=later)
    dbsession.rollback()
    services.commit_seed(dbsession, campaign, services.seed_hash(SEED))
    dbsession.commit()
    with pytest.raises(services.CampaignRefused, match="does not match"):
        services.draw(dbsession, campaign, SEED + "x", now=later)
    dbsession.rollback()
    with pytest.raises(services.CampaignRefused, match="after the application window"):
        services.draw(dbsession, campaign, SEED, now=campaign.closes_at - timedelta(seconds=1))
    dbsession.rollback()
    assert count(dbsession, Application, Application.rank.is_not(None)) == 0

    winners = services.draw(dbsession, campaign, SEED, now=later)
    dbsession.commit()
    assert len(winners) == 3
    rows = list(dbsession.scalars(select(Application).where(
        Application.campaign_id == campaign.id).order_by(Application.rank)))
    # Anyone can recompute the ranking from the revealed seed and the applications.
    expected = sorted(rows, key=lambda a: services.draw_key(SEED, a.id, a.user_id))
    assert [a.id for a in rows] == [a.id for a in expected]
    assert [a.status for a in rows] == [WON] * 3 + [WAITING] * 5
    assert all(a.accept_by == later + timedelta(days=7) for a in rows[:3])
    assert services.verify_draw(dbsession, campaign, SEED).ok
    assert not services.verify_draw(dbsession, campaign, SEED + "x").ok
    with pytest.raises(services.CampaignRefused, match="drawn already"):
        services.draw(dbsession, campaign, SEED, now=later)
    dbsession.rollback()
    verify_ok(dbsession)


def test_accepting_grants_once_and_declining_or_expiry_promotes(dbsession, make_campaign,
                                                                make_user, programme):
    from kairan_points import ledger

    campaign = make_campaign(capacity=2, accept_days=3)
    users = [make_user() for _ in range(5)]
    applied(dbsession, campaign, users)
    winners, later = drawn(dbsession, campaign)
    first, second = winners
    by_rank = list(dbsession.scalars(select(Application).where(
        Application.campaign_id == campaign.id).order_by(Application.rank)))

    services.accept(dbsession, campaign, first.user_id, now=later)
    dbsession.commit()
    again = services.accept(dbsession, campaign, first.user_id, now=later)
    dbsession.commit()
    assert again.status == ACCEPTED
    assert count(dbsession, Transfer, Transfer.reason_code == "campaign") == 1
    wallet = ledger.wallet_account(dbsession, programme.id, first.user_id, create=False)
    assert wallet.balance == 1000

    loser = by_rank[2]
    with pytest.raises(services.CampaignRefused, match="no place to accept"):
        services.accept(dbsession, campaign, loser.user_id, now=later)
    dbsession.rollback()

    promoted = services.decline(dbsession, campaign, second.user_id, now=later)
    dbsession.commit()
    assert [a.id for a in promoted] == [by_rank[2].id]
    assert dbsession.get(Application, second.id).status == DECLINED

    # Nobody accepts within three days: the offer expires and the next is promoted.
    past = later + timedelta(days=3, seconds=1)
    with pytest.raises(services.CampaignRefused, match="has passed"):
        services.accept(dbsession, campaign, by_rank[2].user_id, now=past)
    dbsession.rollback()
    promoted = services.promote(dbsession, campaign, now=past)
    dbsession.commit()
    assert [a.id for a in promoted] == [by_rank[3].id]
    assert dbsession.get(Application, by_rank[2].id).status == EXPIRED
    assert services.waiting_position(dbsession, dbsession.get(Application, by_rank[4].id)) == 1
    services.accept(dbsession, campaign, by_rank[3].user_id, now=past)
    dbsession.commit()
    assert count(dbsession, Application, Application.campaign_id == campaign.id,
                 Application.status == ACCEPTED) == 2
    assert services.promote(dbsession, campaign, now=past) == []
    verify_ok(dbsession)


def test_winners_are_mailed_in_their_language(dbsession, make_campaign, make_user, registry,
                                              outbox):
    campaign = make_campaign(capacity=1)
    english = make_user()
    english.locale = "en"
    dbsession.commit()
    applied(dbsession, campaign, [english])
    winners, _later = drawn(dbsession, campaign)
    services.notify(dbsession, registry, campaign, winners, "http://localhost:6543")
    dbsession.commit()
    message = outbox()[-1]
    assert message.recipient == english.email
    assert message.subject == "You have won a points campaign"
    assert "Spring lottery" in message.body and "/points/campaigns" in message.body


def test_the_budget_is_never_exceeded(dbsession, make_campaign, make_programme, make_user):
    from kairan_points.campaigns.models import Campaign as Model

    small = make_programme(budget=1500)
    campaign = make_campaign(programme_id=small.id, capacity=2)
    users = [make_user() for _ in range(2)]
    applied(dbsession, campaign, users)
    winners, later = drawn(dbsession, campaign)
    services.accept(dbsession, campaign, winners[0].user_id, now=later)
    dbsession.commit()
    with pytest.raises(services.PointsRefused):
        services.accept(dbsession, campaign, winners[1].user_id, now=later)
    dbsession.rollback()
    assert dbsession.get(Application, winners[1].id).status == WON
    assert dbsession.get(Model, campaign.id).capacity == 2
    verify_ok(dbsession)


def test_cli_draws_verifies_and_catches_a_tampered_application_list(
        kairan, dbsession, engine, make_campaign, make_user, outbox):
    now = utcnow()
    campaign = make_campaign(capacity=2, opens_at=now - timedelta(days=2),
                             closes_at=now - timedelta(days=1))
    for user in [make_user() for _ in range(6)]:
        dbsession.add(Application(campaign_id=campaign.id, user_id=user.id, level=2,
                                  applied_at=now - timedelta(days=1, hours=1)))
    dbsession.commit()
    output = kairan("points", "draw", campaign.code, "--seed", SEED, expect=1)
    assert "Commit to a seed" in output
    services.commit_seed(dbsession, campaign, services.seed_hash(SEED))
    dbsession.commit()
    output = kairan("points", "draw", campaign.code, "--seed", "wrong-seed-wrong-seed", expect=1)
    assert "does not match the committed SHA-256" in output
    assert count(dbsession, Application, Application.rank.is_not(None)) == 0

    output = kairan("points", "draw", campaign.code, "--seed", SEED)
    assert "2 winners" in output
    assert len([m for m in outbox() if "won" in m.subject or "当選" in m.subject]) == 2
    output = kairan("points", "draw", campaign.code, "--verify", "--seed", SEED)
    assert "matches" in output
    output = kairan("points", "draw", campaign.code, "--verify", "--seed", "another-seed-x",
                    expect=1)
    assert "does not match the committed SHA-256" in output

    # An application slipped in after the draw, then one changed hands: both caught.
    intruder = make_user()
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO points_campaign_applications (campaign_id, user_id, level, "
            "applied_at, status, rank) VALUES (:c, :u, 2, :t, 'won', 1)"),
            {"c": campaign.id, "u": intruder.id, "t": now})
    output = kairan("points", "draw", campaign.code, "--verify", "--seed", SEED, expect=1)
    assert "THE DRAW DOES NOT MATCH" in output
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM points_campaign_applications WHERE user_id = :u"),
                           {"u": intruder.id})
    kairan("points", "draw", campaign.code, "--verify", "--seed", SEED)
    with engine.begin() as connection:
        connection.execute(text(
            "UPDATE points_campaign_applications SET user_id = :u WHERE id = "
            "(SELECT MIN(id) FROM points_campaign_applications WHERE campaign_id = :c)"),
            {"u": intruder.id, "c": campaign.id})
    output = kairan("points", "draw", campaign.code, "--verify", "--seed", SEED, expect=1)
    assert "differs from the one recorded" in output
    output = kairan("points", "draw", "no-such-campaign", "--verify", expect=2)
    verify_ok(dbsession)


def test_cli_promote_offers_expired_places(kairan, dbsession, make_campaign, make_user):
    campaign = make_campaign(capacity=1, accept_days=1)
    applied(dbsession, campaign, [make_user(), make_user()])
    winners, later = drawn(dbsession, campaign)
    dbsession.execute(text("UPDATE points_campaign_applications SET accept_by = :t "
                           "WHERE id = :id"), {"t": utcnow() - timedelta(seconds=1),
                                               "id": winners[0].id})
    dbsession.commit()
    output = kairan("points", "draw", campaign.code, "--promote")
    assert "offered 1 places" in output
    assert count(dbsession, Application, Application.status == WON) == 1
    assert count(dbsession, Application, Application.status == EXPIRED) == 1


@pytest.mark.postgres_only
def test_twenty_concurrent_acceptances_never_pass_capacity(dbsession, engine, make_campaign,
                                                          make_user, programme):
    from kairan_points.errors import PointsRefused
    from kairan_points.services import run_in_transaction
    from sqlalchemy.orm import sessionmaker

    campaign = make_campaign(capacity=5)
    users = [make_user() for _ in range(20)]
    applied(dbsession, campaign, users)
    _winners, later = drawn(dbsession, campaign)
    # Every applicant holds an offer (as if promotions had raced): the lock and the
    # count under it must still stop at the capacity.
    dbsession.execute(text("UPDATE points_campaign_applications SET status = 'won', "
                           "accept_by = :t WHERE campaign_id = :c"),
                      {"t": later + timedelta(days=7), "c": campaign.id})
    dbsession.commit()
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    barrier = threading.Barrier(20)
    outcomes = []

    def one(user):
        barrier.wait()
        try:
            run_in_transaction(factory, lambda s: services.accept(
                s, s.get(Campaign, campaign.id), user.id, now=later), attempts=20)
            outcomes.append("accepted")
        except PointsRefused:
            outcomes.append("refused")

    threads = [threading.Thread(target=one, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted"] * 5 + ["refused"] * 15
    assert count(dbsession, Application, Application.status == ACCEPTED) == 5
    assert count(dbsession, Transfer, Transfer.reason_code == "campaign") == 5
    verify_ok(dbsession)
