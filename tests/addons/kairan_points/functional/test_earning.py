"""Earning rules: an event class and a rule defined here, as the rides and health add-ons
will define theirs; awards, caps (JST day and month), budget, idempotency, audit."""

import threading
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from kairan_points import services
from kairan_points.earning.models import Award
from kairan_points.earning.services import Earning, add_points_rule, process, publish
from kairan_points.models import Transfer
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationConflictError
from sqlalchemy import func, select

from kairan.audit.models import AuditEntry
from tests.addons.kairan_points.conftest import verify_ok


class StepsWalked:
    """What a health add-on would publish: a day's walk of one resident."""

    def __init__(self, user_id, walk_id, steps, occurred_at=None):
        self.user_id = user_id
        self.event_key = f"walk:{walk_id}"
        self.steps = steps
        self.occurred_at = occurred_at


class LongWalk(StepsWalked):
    """A subclass: rules for ``StepsWalked`` run for it too."""


class RideCompleted:
    """Another add-on's event that no rule here listens to."""

    def __init__(self, user_id):
        self.user_id = user_id
        self.event_key = f"ride:{user_id}"


class StepsRule:
    """1 point per 100 steps from 1,000 steps on; at most 100 a day and 250 a month."""

    name = "test-steps"
    daily_cap = 100
    monthly_cap = 250

    def __init__(self, programme_code):
        self.programme_code = programme_code

    def award(self, event):
        if event.steps < 1000:
            return None
        return Earning(self.programme_code, event.steps // 100, reason="ウォーキング")


def jst(*args):
    from kairan_points.services import TOKYO

    return datetime(*args, tzinfo=TOKYO).astimezone(UTC)


def rules_registry(*pairs):
    config = Configurator(settings={})
    config.add_directive("add_points_rule", add_points_rule)
    for event_type, rule in pairs:
        config.add_points_rule(event_type, rule)
    config.commit()
    return config.registry


def fake_request(dbsession, registry):
    return SimpleNamespace(dbsession=dbsession, registry=registry, user=None,
                           client_addr="192.0.2.1")


@pytest.fixture
def registry_with_rule(programme):
    return rules_registry((StepsWalked, StepsRule(programme.code)))


def paid_to(dbsession, user):
    dbsession.expire_all()
    return sum(view.spendable for view in services.wallets_of(dbsession, user.id))


def test_an_event_earns_points_audited_and_in_the_history(dbsession, programme, make_user,
                                                          registry_with_rule):
    resident = make_user()
    request = fake_request(dbsession, registry_with_rule)
    awards = publish(request, StepsWalked(resident.id, 1, 4_200))
    dbsession.commit()
    assert [(a.points, a.status, a.rule) for a in awards] == [(42, "awarded", "test-steps")]
    assert paid_to(dbsession, resident) == 42
    rows, _more = services.history(dbsession, resident.id)
    assert [(t.reason_code, t.reason, amount) for t, _p, amount in rows] == \
        [("rule", "ウォーキング", 42)]
    entry = dbsession.scalars(select(AuditEntry).where(AuditEntry.action == "points.earn")).one()
    assert entry.target == f"user:{resident.id}"
    assert entry.detail["points"] == 42 and entry.detail["rule"] == "test-steps"
    # a walk too short earns nothing and records nothing
    assert publish(request, StepsWalked(resident.id, 2, 500)) == []
    dbsession.commit()
    assert dbsession.scalar(select(func.count()).select_from(Award)) == 1
    verify_ok(dbsession)


def test_a_republished_event_never_pays_twice(dbsession, programme, make_user,
                                              registry_with_rule):
    resident = make_user()
    request = fake_request(dbsession, registry_with_rule)
    first = publish(request, StepsWalked(resident.id, 7, 3_000))
    dbsession.commit()
    assert [a.replayed for a in first] == [False]
    again = publish(request, StepsWalked(resident.id, 7, 3_000))
    other_instance = process(dbsession, registry_with_rule, LongWalk(resident.id, 7, 9_000))
    dbsession.commit()
    assert [a.replayed for a in again + other_instance] == [True, True]
    assert {a.id for a in first + again + other_instance} == {first[0].id}
    assert paid_to(dbsession, resident) == 30
    assert dbsession.scalar(select(func.count()).select_from(Transfer)
                            .where(Transfer.reason_code == "rule")) == 1
    assert dbsession.scalar(select(func.count()).select_from(AuditEntry)
                            .where(AuditEntry.action == "points.earn")) == 1
    verify_ok(dbsession)


def test_caps_per_day_and_month_count_in_japan_time(dbsession, programme, make_user,
                                                    registry_with_rule):
    resident = make_user()
    other = make_user()
    registry = registry_with_rule

    def walk(walk_id, steps, when, user=resident):
        [award] = process(dbsession, registry, StepsWalked(user.id, walk_id, steps, when))
        dbsession.commit()
        return award.points, award.status, award.limit

    # 1 May JST: 60 + 60 → 60, then 40 (day cap), then nothing
    assert walk(1, 6_000, jst(2025, 5, 1, 8, 0)) == (60, "awarded", "")
    assert walk(2, 6_000, jst(2025, 5, 1, 12, 0)) == (40, "reduced", "day")
    assert walk(3, 6_000, jst(2025, 5, 1, 23, 59)) == (0, "skipped", "day")
    # 00:30 JST on 2 May is still 1 May in UTC, but a new day in Japan
    assert walk(4, 10_000, jst(2025, 5, 2, 0, 30)) == (100, "awarded", "")
    # the month cap (250) leaves 50 on 3 May and nothing on 4 May
    assert walk(5, 10_000, jst(2025, 5, 3, 9, 0)) == (50, "reduced", "month")
    assert walk(6, 10_000, jst(2025, 5, 4, 9, 0)) == (0, "skipped", "month")
    # June is a new month; another resident has caps of their own
    assert walk(7, 10_000, jst(2025, 6, 1, 0, 0)) == (100, "awarded", "")
    assert walk(8, 10_000, jst(2025, 5, 1, 9, 0), user=other) == (100, "awarded", "")
    assert paid_to(dbsession, resident) == 350
    assert paid_to(dbsession, other) == 100
    verify_ok(dbsession)


def test_budget_exhaustion_reduces_then_skips_without_an_error(dbsession, make_programme,
                                                              make_user):
    small = make_programme(budget=150)
    registry = rules_registry((StepsWalked, StepsRule(small.code)))
    residents = [make_user() for _ in range(3)]
    results = []
    for n, resident in enumerate(residents):
        [award] = process(dbsession, registry, StepsWalked(resident.id, n, 10_000))
        dbsession.commit()
        results.append((award.points, award.status, award.limit))
    assert results == [(100, "awarded", ""), (50, "reduced", "budget"), (0, "skipped", "budget")]
    from kairan_points import ledger

    assert ledger.issued(dbsession, small.id) == 150
    verify_ok(dbsession)


def test_only_rules_for_the_events_class_run(dbsession, programme, make_user,
                                             registry_with_rule):
    resident = make_user()
    assert process(dbsession, registry_with_rule, RideCompleted(resident.id)) == []
    [award] = process(dbsession, registry_with_rule, LongWalk(resident.id, 1, 2_000))
    dbsession.commit()
    assert award.points == 20
    verify_ok(dbsession)


def test_registry_notify_runs_the_rules_too(dbsession, programme, make_user,
                                            registry_with_rule):
    resident = make_user()
    event = StepsWalked(resident.id, 1, 5_000)
    event.request = fake_request(dbsession, registry_with_rule)
    registry_with_rule.notify(event)
    dbsession.commit()
    assert paid_to(dbsession, resident) == 50
    verify_ok(dbsession)


def test_two_rules_with_one_name_conflict_at_start_up(programme):
    with pytest.raises(ConfigurationConflictError):
        rules_registry((StepsWalked, StepsRule(programme.code)),
                       (RideCompleted, StepsRule(programme.code)))
    with pytest.raises(ValueError):
        rules = StepsRule(programme.code)
        rules.name = "no spaces allowed"
        rules_registry((StepsWalked, rules))


def test_the_app_registers_the_directive_and_the_check_in_rule(registry):
    from kairan_points.earning.services import RULES, ActivityCheckedIn

    names = {rule.name: event_type for event_type, rule in registry[RULES]}
    assert names["community-activity"] is ActivityCheckedIn


@pytest.mark.postgres_only
def test_concurrent_awards_never_pass_the_daily_cap(dbsession, engine, programme, make_user,
                                                    registry_with_rule):
    from sqlalchemy.orm import sessionmaker

    resident = make_user()
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    barrier = threading.Barrier(20)
    errors = []

    def one(n):
        try:
            barrier.wait()
            services.run_in_transaction(factory, lambda s: process(
                s, registry_with_rule, StepsWalked(resident.id, n, 1_500)), attempts=20)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # 20 walks of 15 points against a daily cap of 100: 6 × 15 + 10
    assert paid_to(dbsession, resident) == 100
    assert dbsession.scalar(select(func.count()).select_from(Award)) == 20
    verify_ok(dbsession)
