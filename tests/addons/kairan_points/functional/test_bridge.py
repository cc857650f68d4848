"""The regional currency bridge against a fake service on loopback: the outbox, retries,
refusals, timeouts, duplicate answers, concurrency, the reconciliation and the commands.

Every test moves real points through the ledger and proves it afterwards.
"""

import threading
from datetime import timedelta

import pytest
from kairan_points import ledger, services
from kairan_points.bridge import services as bridge_services
from kairan_points.bridge.connector import HttpCurrencyBridge
from kairan_points.bridge.interfaces import (
    BridgeRefusal,
    BridgeUnavailable,
    ICurrencyBridge,
    OutboundMove,
)
from kairan_points.bridge.models import BridgeMove, BridgeReconciliation
from kairan_points.errors import IdempotencyConflict, InsufficientPoints, InvalidAmount
from kairan_points.models import BRIDGE, Account, Transfer
from sqlalchemy import func, select
from zope.interface.verify import verifyClass, verifyObject

from kairan.db.meta import utcnow
from tests.addons.kairan_points.conftest import key, verify_ok
from tests.addons.kairan_points.fakecurrency import SECRET

SETTINGS = {"kairan.points.bridge.max_amount": 100_000,
            "kairan.points.bridge.max_attempts": 3,
            "kairan.points.bridge.backoff_seconds": 30,
            "kairan.points.bridge.programmes": []}


@pytest.fixture
def connector(fake):
    return HttpCurrencyBridge(fake.url, SECRET, timeout=1)


@pytest.fixture
def factory(registry):
    return registry["dbsession_factory"]


@pytest.fixture
def resident(dbsession, make_user, programme):
    user = make_user()
    services.grant(dbsession, programme, user.id, 1000, "", actor_id=None,
                   idempotency_key=key())
    dbsession.commit()
    return user


def balance(dbsession, account_id):
    dbsession.expire_all()
    return dbsession.get(Account, account_id).balance


def wallet_of(dbsession, programme, user):
    return ledger.wallet_account(dbsession, programme.id, user.id).id


def bridge_account(dbsession, programme):
    return ledger.system_account_id(dbsession, programme.id, BRIDGE)


def move(dbsession, programme, user, amount=300, form_key=None, **kw):
    outcome = bridge_services.move_out(dbsession, user_id=user.id, programme=programme,
                                       amount=amount, form_key=form_key or key() + "-form",
                                       settings=SETTINGS, **kw)
    dbsession.commit()
    return outcome.move


def row(dbsession, move_id):
    dbsession.expire_all()
    found = dbsession.get(BridgeMove, move_id)
    dbsession.rollback()
    return found


def test_the_connector_provides_the_interface(connector):
    assert verifyClass(ICurrencyBridge, HttpCurrencyBridge)
    assert verifyObject(ICurrencyBridge, connector)


def test_the_bridge_is_off_without_a_url(registry):
    assert bridge_services.bridge_of(registry) is None
    assert not registry.settings.get("kairan.points.bridge.enabled")


def test_a_move_out_debits_the_wallet_with_its_outbox_row(dbsession, programme, resident):
    moved = move(dbsession, programme, resident, 300)
    assert balance(dbsession, wallet_of(dbsession, programme, resident)) == 700
    assert balance(dbsession, bridge_account(dbsession, programme)) == 300
    assert moved.status == "pending" and moved.attempts == 0
    transfer = dbsession.get(Transfer, moved.transfer_id)
    assert transfer.reason_code == "bridge.out"
    verify_ok(dbsession)


def test_a_replayed_form_moves_once_and_other_values_conflict(dbsession, programme, resident):
    form_key = key() + "-form"
    first = move(dbsession, programme, resident, 300, form_key=form_key)
    again = bridge_services.move_out(dbsession, user_id=resident.id, programme=programme,
                                     amount=300, form_key=form_key, settings=SETTINGS)
    assert again.replayed and again.move.id == first.id
    with pytest.raises(IdempotencyConflict):
        bridge_services.move_out(dbsession, user_id=resident.id, programme=programme,
                                 amount=301, form_key=form_key, settings=SETTINGS)
    dbsession.rollback()
    assert balance(dbsession, wallet_of(dbsession, programme, resident)) == 700
    verify_ok(dbsession)


@pytest.mark.parametrize("amount", [0, -5, "ten", 10.0, True, 1001, 100_001])
def test_bad_amounts_are_refused_and_change_nothing(dbsession, programme, resident, amount):
    before = dbsession.scalar(select(func.count()).select_from(Transfer))
    with pytest.raises((InvalidAmount, InsufficientPoints)):
        bridge_services.move_out(dbsession, user_id=resident.id, programme=programme,
                                 amount=amount, form_key=key() + "-form", settings=SETTINGS)
    dbsession.rollback()
    assert dbsession.scalar(select(func.count()).select_from(Transfer)) == before
    assert dbsession.scalar(select(func.count()).select_from(BridgeMove)) == 0
    verify_ok(dbsession)


def test_send_delivers_once_and_a_second_run_sends_nothing(dbsession, programme, resident,
                                                           fake, connector, factory):
    moved = move(dbsession, programme, resident, 300)
    outcomes = bridge_services.send_due(factory, connector, SETTINGS)
    assert outcomes == {"sent": 1}
    sent = row(dbsession, moved.id)
    assert sent.status == "sent" and sent.attempts == 1 and sent.remote_id.startswith("fx-")
    assert fake.balances[str(resident.id)] == 300
    assert bridge_services.send_due(factory, connector, SETTINGS) == {}
    assert fake.posts[sent.idempotency_key] == 1
    verify_ok(dbsession)


def test_the_service_down_then_up_moves_the_points_once(dbsession, programme, resident, fake,
                                                        connector, factory):
    moved = move(dbsession, programme, resident, 250)
    now = utcnow()
    fake.down = True
    assert bridge_services.send_due(factory, connector, SETTINGS, now=now) == {
        "retry later": 1}
    waiting = row(dbsession, moved.id)
    assert waiting.status == "pending" and waiting.attempts == 1
    assert waiting.last_error == "HTTP 503"
    # exponential back-off with jitter: 30 s * 2**0 * [0.5, 1]
    assert now + timedelta(seconds=15) <= waiting.next_attempt_at <= now + timedelta(seconds=30)
    # not due yet: nothing is sent
    assert bridge_services.send_due(factory, connector, SETTINGS, now=now) == {}
    fake.stop()  # now nothing even listens
    later = waiting.next_attempt_at + timedelta(seconds=1)
    assert bridge_services.send_due(factory, connector, SETTINGS, now=later) == {
        "retry later": 1}
    refused = row(dbsession, moved.id)
    assert refused.attempts == 2 and refused.last_error.startswith("cannot connect")
    assert refused.next_attempt_at - later >= timedelta(seconds=30)  # 60 s * [0.5, 1]
    fake.start()
    fake.down = False
    outcomes = bridge_services.send_due(factory, connector, SETTINGS,
                                        now=refused.next_attempt_at)
    assert outcomes == {"sent": 1}
    assert row(dbsession, moved.id).status == "sent"
    assert fake.processed[moved.idempotency_key] == 1
    assert fake.balances[str(resident.id)] == 250
    assert balance(dbsession, wallet_of(dbsession, programme, resident)) == 750
    verify_ok(dbsession)


def test_after_the_last_attempt_the_move_fails_until_an_operator_retries(
        dbsession, programme, resident, fake, connector, factory):
    moved = move(dbsession, programme, resident, 100)
    fake.down = True
    now = utcnow()
    for _attempt in range(3):
        bridge_services.send_due(factory, connector, SETTINGS, now=now)
        now = row(dbsession, moved.id).next_attempt_at
    failed = row(dbsession, moved.id)
    assert failed.status == "failed" and failed.attempts == 3
    assert bridge_services.send_due(factory, connector, SETTINGS,
                                    now=now + timedelta(days=1)) == {}
    # the points stay out of the wallet (they may still be delivered), in the bridge account
    assert balance(dbsession, wallet_of(dbsession, programme, resident)) == 900
    fake.down = False
    assert bridge_services.retry_failed(dbsession, moved.id, now)
    assert not bridge_services.retry_failed(dbsession, moved.id, now)  # twice: once
    dbsession.commit()
    assert bridge_services.send_due(factory, connector, SETTINGS, now=now) == {"sent": 1}
    assert fake.balances[str(resident.id)] == 100
    verify_ok(dbsession)


def test_a_definitive_refusal_returns_the_points_with_a_new_transfer(
        dbsession, programme, resident, fake, connector, factory):
    moved = move(dbsession, programme, resident, 400)
    fake.refuse = True
    assert bridge_services.send_due(factory, connector, SETTINGS) == {"reverted": 1}
    reverted = row(dbsession, moved.id)
    assert reverted.status == "reverted" and "422" in reverted.last_error
    back = dbsession.get(Transfer, reverted.revert_transfer_id)
    assert back.reason_code == "bridge.revert"
    assert back.related_transfer_id == moved.transfer_id
    assert dbsession.get(Transfer, moved.transfer_id).reason_code == "bridge.out"  # untouched
    assert balance(dbsession, wallet_of(dbsession, programme, resident)) == 1000
    assert balance(dbsession, bridge_account(dbsession, programme)) == 0
    assert fake.balances[str(resident.id)] == 0
    # nothing is sent again, nothing reverted twice
    assert bridge_services.send_due(factory, connector, SETTINGS,
                                    now=utcnow() + timedelta(days=1)) == {}
    verify_ok(dbsession)


def test_the_fake_checks_the_signature_a_wrong_secret_is_refused(
        dbsession, programme, resident, fake, factory):
    moved = move(dbsession, programme, resident, 200)
    wrong = HttpCurrencyBridge(fake.url, "not-the-shared-secret-at-all", timeout=1)
    with pytest.raises(BridgeRefusal, match="401"):
        wrong.send(OutboundMove("kp-probe", str(resident.id), programme.code, 1))
    assert bridge_services.send_due(factory, wrong, SETTINGS) == {"reverted": 1}
    assert fake.unauthorized == 2
    assert fake.balances == {} and fake.processed == {}
    assert row(dbsession, moved.id).status == "reverted"
    assert balance(dbsession, wallet_of(dbsession, programme, resident)) == 1000
    verify_ok(dbsession)


def test_a_timeout_is_retried_with_the_same_key_and_the_service_answers_the_same(
        dbsession, programme, resident, fake, factory):
    moved = move(dbsession, programme, resident, 300)
    impatient = HttpCurrencyBridge(fake.url, SECRET, timeout=0.3)
    fake.slow = 1.0  # the service does the work, then answers too late
    now = utcnow()
    assert bridge_services.send_due(factory, impatient, SETTINGS, now=now) == {
        "retry later": 1}
    waiting = row(dbsession, moved.id)
    assert "no answer" in waiting.last_error or "timed out" in waiting.last_error
    assert fake.processed[moved.idempotency_key] == 1  # it happened there
    fake.slow = 0
    assert bridge_services.send_due(factory, impatient, SETTINGS,
                                    now=waiting.next_attempt_at) == {"sent": 1}
    sent = row(dbsession, moved.id)
    assert fake.posts[moved.idempotency_key] == 2
    assert fake.processed[moved.idempotency_key] == 1  # answered twice, done once
    assert fake.balances[str(resident.id)] == 300
    assert sent.remote_id == fake.transactions[0]["id"]
    verify_ok(dbsession)


def test_a_key_answered_twice_is_the_same_transaction(fake, connector):
    move_ = OutboundMove("kp-twice-" + key()[5:], "7", "p", 50)
    first = connector.send(move_)
    second = connector.send(move_)
    assert first == second
    assert fake.processed[move_.idempotency_key] == 1 and fake.balances["7"] == 50


def test_a_lapsed_claim_taken_over_never_records_twice(dbsession, programme, resident, fake,
                                                       connector, factory):
    moved = move(dbsession, programme, resident, 120)
    now = utcnow()
    stale = bridge_services.run_in_transaction(
        factory, lambda s: bridge_services.claim(s, now))
    assert [m for m, _t in stale] == [moved.id]
    # the first worker "died"; after the lease another takes the move over and sends it
    later = now + bridge_services.CLAIM_LEASE + timedelta(seconds=1)
    assert bridge_services.send_due(factory, connector, SETTINGS, now=later) == {"sent": 1}
    # the first worker wakes up with the service's answer (the same, same key): ignored
    accepted = connector.send(OutboundMove(moved.idempotency_key, str(resident.id),
                                           programme.code, 120))
    assert not bridge_services.run_in_transaction(
        factory, lambda s: bridge_services.record_accepted(s, moved.id, stale[0][1], accepted,
                                                           later))
    assert not bridge_services.run_in_transaction(
        factory, lambda s: bridge_services.record_refused(s, moved.id, stale[0][1],
                                                          "late", later))
    assert row(dbsession, moved.id).status == "sent"
    assert fake.processed[moved.idempotency_key] == 1
    assert balance(dbsession, wallet_of(dbsession, programme, resident)) == 880
    verify_ok(dbsession)


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    class Low:
        def uniform(self, a, b):
            return a

    class High:
        def uniform(self, a, b):
            return b

    assert bridge_services.backoff(1, 30, High()) == timedelta(seconds=30)
    assert bridge_services.backoff(3, 30, High()) == timedelta(seconds=120)
    assert bridge_services.backoff(3, 30, Low()) == timedelta(seconds=60)
    assert bridge_services.backoff(40, 30, High()) == bridge_services.MAX_BACKOFF


@pytest.mark.postgres_only
def test_many_workers_at_once_deliver_every_move_exactly_once(
        dbsession, make_programme, make_user, fake, factory):
    # a generous timeout: a slow answer under this load is not what this test is about
    connector = HttpCurrencyBridge(fake.url, SECRET, timeout=10)
    programme = make_programme(code="bridge-concurrency")
    users = [make_user() for _ in range(6)]
    for user in users:
        services.grant(dbsession, programme, user.id, 1000, "", actor_id=None,
                       idempotency_key=key())
    dbsession.commit()
    moves = [move(dbsession, programme, users[i % 6], 10 + i) for i in range(30)]
    barrier = threading.Barrier(8)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(bridge_services.send_due(factory, connector, SETTINGS, batch=3))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(r.get("sent", 0) for r in results) == 30, results
    assert set(fake.posts.values()) == {1} and len(fake.posts) == 30
    statuses = dbsession.scalars(select(BridgeMove.status)).all()
    dbsession.rollback()
    assert statuses == ["sent"] * 30
    assert sum(fake.balances.values()) == sum(m.amount for m in moves)
    assert balance(dbsession, bridge_account(dbsession, programme)) == sum(
        m.amount for m in moves)
    verify_ok(dbsession)


# -- reconciliation ------------------------------------------------------------------------

def _sent_today(dbsession, programme, resident, fake, connector, factory, amounts=(100, 200)):
    moved = [move(dbsession, programme, resident, a) for a in amounts]
    assert bridge_services.send_due(factory, connector, SETTINGS) == {"sent": len(amounts)}
    return moved


def test_reconciliation_agrees_when_both_sides_have_the_same(dbsession, programme, resident,
                                                            fake, connector, factory):
    _sent_today(dbsession, programme, resident, fake, connector, factory)
    today = services.tokyo_date(utcnow())
    report = bridge_services.reconcile(dbsession, connector, today)
    dbsession.commit()
    assert report.ok and report.ours == 2 and report.theirs == 2 and report.problems == []
    verify_ok(dbsession)


def test_reconciliation_finds_every_kind_of_discrepancy(dbsession, programme, resident, fake,
                                                        connector, factory):
    first, second, third = _sent_today(dbsession, programme, resident, fake, connector,
                                       factory, amounts=(100, 200, 300))
    fake.tamper(first.idempotency_key, 999)
    fake.forget(second.idempotency_key)
    invented = fake.invent(resident.id, 77)
    today = services.tokyo_date(utcnow())
    report = bridge_services.reconcile(dbsession, connector, today)
    dbsession.commit()
    assert not report.ok
    found = {(p["kind"], p["reference"]) for p in report.problems}
    assert found == {("amount", first.idempotency_key),
                     ("missing_there", second.idempotency_key),
                     ("missing_here", invented)}
    assert dbsession.scalar(select(func.count()).select_from(BridgeReconciliation)) == 1
    verify_ok(dbsession)


def test_reconciliation_of_an_unreachable_service_raises(dbsession, fake, connector):
    fake.down = True
    with pytest.raises(BridgeUnavailable):
        bridge_services.reconcile(dbsession, connector, services.tokyo_date(utcnow()))


# -- the commands ------------------------------------------------------------------------------

def _extra(fake):
    return (f"kairan.points.bridge.url = {fake.url}", f"kairan.points.bridge.secret = {SECRET}",
            "kairan.points.bridge.timeout = 1")


def test_the_commands_send_and_reconcile(kairan, dbsession, programme, resident, fake):
    moved = move(dbsession, programme, resident, 150)
    output = kairan("points", "bridge", "send", extra=_extra(fake))
    assert "1 sent" in output
    assert row(dbsession, moved.id).status == "sent"
    today = services.tokyo_date(utcnow()).isoformat()
    output = kairan("points", "bridge", "reconcile", "--day", today, extra=_extra(fake))
    assert "agree" in output
    fake.tamper(moved.idempotency_key, 151)
    output = kairan("points", "bridge", "reconcile", "--day", today, expect=1,
                    extra=_extra(fake))
    assert f"MISMATCH amount out {moved.idempotency_key}: ours 150, theirs 151" in output
    reports = dbsession.scalars(select(BridgeReconciliation).order_by(
        BridgeReconciliation.id)).all()
    assert [r.ok for r in reports] == [True, False]
    kairan("points", "bridge", "reconcile", "--day", "2025-13-01", expect=2,
           extra=_extra(fake))
    fake.down = True
    assert "cannot be reached" in kairan("points", "bridge", "reconcile", "--day", today,
                                         expect=2, extra=_extra(fake))
    verify_ok(dbsession)


def test_the_commands_say_when_the_bridge_is_off(kairan):
    assert "the bridge is off" in kairan("points", "bridge", "send", expect=1)


def test_the_secret_can_come_from_the_environment(monkeypatch):
    from kairan.settings import load_settings

    monkeypatch.setenv("KAIRAN_POINTS_BRIDGE_SECRET", "from-the-environment-0123")
    settings = load_settings({"kairan.points.bridge.secret": "in-the-ini"})
    assert settings["kairan.points.bridge.secret"] == "from-the-environment-0123"


def test_a_url_without_a_secret_fails_at_start_up():
    from kairan_points.bridge.settings import read_settings

    from kairan.settings import SettingsError

    with pytest.raises(SettingsError, match="secret"):
        read_settings({"kairan.points.bridge.url": "https://currency.example.jp"})
    with pytest.raises(SettingsError, match="timeout"):
        read_settings({"kairan.points.bridge.timeout": "soon"})
    with pytest.raises(SettingsError, match="https"):
        read_settings({"kairan.points.bridge.url": "http://currency.example.jp",
                       "kairan.points.bridge.secret": SECRET, "kairan.production": True})
