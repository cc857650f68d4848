"""The bridge's pages and webhook, with the bridge on (an application configured with the
fake service's URL) and off (the application of the other tests).

The service's webhook is delivered over real HTTP: the application is served on
loopback and the fake service posts to it, once or twice.
"""

import re

import pytest
from kairan_points import ledger, services
from kairan_points.bridge import services as bridge_services
from kairan_points.bridge.models import BridgeCredit, BridgeMove
from kairan_points.models import BRIDGE, Account, Transfer
from sqlalchemy import func, select

from kairan.audit.models import AuditEntry
from kairan.testing import KairanTestApp
from tests.addons.kairan_points.conftest import key, sign_in_at_level, verify_ok
from tests.addons.kairan_points.fakecurrency import SECRET

KEY_RE = re.compile(r'name="idempotency_key"\s+value="([^"]+)"')


@pytest.fixture(scope="module")
def bridge_config(app_config, kairan_settings, fake_server):
    from kairan.config import configure

    settings = dict(kairan_settings, **{
        "kairan.points.bridge.url": fake_server.url,
        "kairan.points.bridge.secret": SECRET,
        "kairan.points.bridge.timeout": "1",
        "kairan.points.bridge.max_amount": "5000",
    })
    config = configure(settings, environ={})
    yield config
    config.registry["db_engine"].dispose()


@pytest.fixture(scope="module")
def bridge_wsgi(bridge_config):
    return bridge_config.make_wsgi_app()


@pytest.fixture(scope="module")
def bridge_server(bridge_wsgi):
    """The application with the bridge on, served on loopback for the service's webhook."""
    from webtest.http import StopableWSGIServer

    server = StopableWSGIServer.create(bridge_wsgi, host="127.0.0.1")
    yield server
    server.shutdown()


@pytest.fixture
def webhook_url(bridge_server):
    return bridge_server.application_url.rstrip("/") + "/points/bridge/webhook"


@pytest.fixture
def bridge_app(bridge_wsgi, clean_db):
    return KairanTestApp(bridge_wsgi, extra_environ={"REMOTE_ADDR": "192.0.2.12",
                                                     "HTTP_HOST": "localhost"})


@pytest.fixture
def resident(dbsession, make_user, programme):
    user = make_user(roles=("Member",))
    services.grant(dbsession, programme, user.id, 1000, "", actor_id=None,
                   idempotency_key=key())
    dbsession.commit()
    return user


def wallet_balance(dbsession, programme, user):
    dbsession.expire_all()
    found = ledger.wallet_account(dbsession, programme.id, user.id, create=False)
    dbsession.rollback()
    return found.balance if found else 0


def count(dbsession, model):
    found = dbsession.scalar(select(func.count()).select_from(model))
    dbsession.rollback()
    return found


# -- off -----------------------------------------------------------------

def test_with_the_bridge_off_the_pages_say_so(testapp, dbsession, resident):
    sign_in_at_level(testapp, dbsession, resident)
    page = testapp.get("/points/bridge", status=404)
    assert "地域通貨アプリへのポイント移行は現在ご利用いただけません。" in page.text
    testapp.get("/points/bridge/confirm?programme=1&amount=1", status=404)
    testapp.post_form("/points/bridge/confirm", {"programme": "1", "amount": "1",
                                                 "idempotency_key": key() + "-form"},
                      status=404)
    testapp.post("/points/bridge/webhook", "{}", status=404)
    assert "/points/bridge" not in testapp.get("/points").text
    assert count(dbsession, BridgeMove) == 0


# -- the resident's pages ------------------------------------------------------------------

def test_a_resident_moves_points_and_sees_them_go(bridge_app, dbsession, resident, programme,
                                                  fake, bridge_config):
    sign_in_at_level(bridge_app, dbsession, resident)
    wallet = bridge_app.get("/points")
    assert "/points/bridge" in wallet.text
    form = bridge_app.get("/points/bridge")
    assert programme.name in form.text and "1,000" in form.text
    assert "まだポイントを移行していません。" in form.text
    confirm = bridge_app.get("/points/bridge/confirm",
                             {"programme": str(programme.id), "amount": "300"})
    assert "300" in confirm.text
    form_key = KEY_RE.search(confirm.text).group(1)
    params = {"programme": str(programme.id), "amount": "300", "idempotency_key": form_key}
    done = bridge_app.post_form("/points/bridge/confirm", params, status=303)
    assert done.location.endswith("/points/bridge")
    # a double click: the same move, nothing more taken
    bridge_app.post_form("/points/bridge/confirm", params, status=303)
    page = bridge_app.get("/points/bridge")
    assert "300 ポイントを地域通貨アプリに送っています。" in page.text
    assert "送信待ち" in page.text and "-300" in page.text
    assert wallet_balance(dbsession, programme, resident) == 700
    assert count(dbsession, BridgeMove) == 1
    assert dbsession.scalars(select(AuditEntry.outcome).where(
        AuditEntry.action == "points.bridge.out")).all() == ["success"]
    dbsession.rollback()
    # the worker delivers it; the history says so, in English too
    connector = bridge_services.bridge_of(bridge_config.registry)
    assert bridge_services.send_due(bridge_config.registry["dbsession_factory"], connector,
                                    bridge_config.registry.settings) == {"sent": 1}
    assert "移行済み" in bridge_app.get("/points/bridge").text
    assert "Moved" in bridge_app.get("/points/bridge", {"_LOCALE_": "en"}).text
    assert fake.balances[str(resident.id)] == 300
    # the wallet's history names the move
    assert "地域通貨アプリへ移行" in bridge_app.get("/points").text
    assert "Sent to the regional currency app" in \
        bridge_app.get("/points", {"_LOCALE_": "en"}).text
    verify_ok(dbsession)


@pytest.mark.parametrize(("amount", "message"), [
    ("abc", "Enter a whole number of points greater than zero."),
    ("0", "Enter a whole number of points greater than zero."),
    ("-5", "Enter a whole number of points greater than zero."),
    ("1.5", "Enter a whole number of points greater than zero."),
    ("1001", "You can move at most 1,000 points of this programme."),
    ("5001", "The amount may be at most 5,000 points."),
])
def test_bad_input_gets_a_clear_message_and_changes_nothing(bridge_app, dbsession, resident,
                                                            programme, amount, message):
    sign_in_at_level(bridge_app, dbsession, resident)
    before = count(dbsession, Transfer)
    page = bridge_app.get("/points/bridge/confirm",
                          {"programme": str(programme.id), "amount": amount, "_LOCALE_": "en"},
                          status=400)
    assert message in page.text
    assert 'name="amount"' in page.text  # the form again, to correct
    response = bridge_app.post_form(
        "/points/bridge/confirm?_LOCALE_=en",
        {"programme": str(programme.id), "amount": amount, "idempotency_key": key() + "-f"},
        status=400)
    assert message in response.text
    assert count(dbsession, Transfer) == before
    assert count(dbsession, BridgeMove) == 0
    assert wallet_balance(dbsession, programme, resident) == 1000
    verify_ok(dbsession)


def test_an_unknown_programme_is_refused(bridge_app, dbsession, resident, programme):
    sign_in_at_level(bridge_app, dbsession, resident)
    page = bridge_app.get("/points/bridge/confirm", {"programme": "99999", "amount": "10",
                                                     "_LOCALE_": "en"}, status=400)
    assert "The points of this programme cannot be moved now." in page.text
    assert count(dbsession, BridgeMove) == 0


def test_moving_needs_a_step_up_and_a_csrf_token(bridge_app, dbsession, resident, programme):
    sign_in_at_level(bridge_app, dbsession, resident, level=1)
    page = bridge_app.get("/points/bridge/confirm",
                          {"programme": str(programme.id), "amount": "10"}, status=303)
    assert "/stepup" in page.location and "points.bridge" in page.location
    post = bridge_app.post_form("/points/bridge/confirm", {
        "programme": str(programme.id), "amount": "10", "idempotency_key": key() + "-f"},
        status=303)
    assert "/stepup" in post.location
    sign_in_at_level(bridge_app, dbsession, resident, level=2)
    bridge_app.post("/points/bridge/confirm", {
        "programme": str(programme.id), "amount": "10", "idempotency_key": key() + "-f"},
        status=400)
    assert count(dbsession, BridgeMove) == 0
    assert wallet_balance(dbsession, programme, resident) == 1000


def test_a_resident_sees_only_their_own_moves(bridge_app, dbsession, resident, programme,
                                              make_user):
    other = make_user(roles=("Member",))
    services.grant(dbsession, programme, other.id, 500, "", actor_id=None,
                   idempotency_key=key())
    dbsession.commit()
    bridge_services.move_out(dbsession, user_id=other.id, programme=programme, amount=123,
                             form_key=key() + "-form",
                             settings={"kairan.points.bridge.max_amount": 5000,
                                       "kairan.points.bridge.programmes": []})
    dbsession.commit()
    sign_in_at_level(bridge_app, dbsession, resident)
    assert "-123" not in bridge_app.get("/points/bridge").text


# -- the webhook -----------------------------------------------------------------

def test_a_credit_delivered_twice_is_credited_once(webhook_url, fake, dbsession, resident,
                                                    programme):
    answers = fake.deliver_credit(webhook_url, resident.id, programme.code, 500, twice=True)
    assert [status for status, _body in answers] == [200, 200]
    assert [body["replayed"] for _status, body in answers] == [False, True]
    assert answers[0][1]["transfer"] == answers[1][1]["transfer"]
    assert wallet_balance(dbsession, programme, resident) == 1500
    bridge = ledger.system_account_id(dbsession, programme.id, BRIDGE)
    assert dbsession.get(Account, bridge).balance == -500  # points born in the other app
    assert count(dbsession, BridgeCredit) == 1
    transfer = dbsession.get(Transfer, answers[0][1]["transfer"])
    assert transfer.reason_code == "bridge.in"
    dbsession.rollback()
    verify_ok(dbsession)


def test_the_webhook_refuses_what_is_not_signed_right(webhook_url, fake, dbsession, resident,
                                                     programme):
    wrong = fake.deliver_credit(webhook_url, resident.id, programme.code, 10,
                                secret="a-wrong-secret-of-some-length")
    late = fake.deliver_credit(webhook_url, resident.id, programme.code, 10, skew=-3600)
    assert [s for s, _b in wrong] == [401] and [s for s, _b in late] == [401]
    assert late[0][1]["error"] == "outside the time window"
    from urllib.error import HTTPError
    from urllib.request import Request, urlopen

    with pytest.raises(HTTPError) as unsigned:
        urlopen(Request(webhook_url, data=b"{}", method="POST",  # noqa: S310 - loopback
                        headers={"Content-Type": "application/json"}), timeout=5)
    assert unsigned.value.code == 400
    unsigned.value.close()
    assert wallet_balance(dbsession, programme, resident) == 1000
    assert count(dbsession, BridgeCredit) == 0
    assert dbsession.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "points.bridge.in", AuditEntry.outcome == "denied")) == 3
    dbsession.rollback()
    verify_ok(dbsession)


def test_a_flood_of_badly_signed_webhooks_is_cut_off_without_audit(webhook_url, fake,
                                                                    dbsession, resident,
                                                                    programme):
    from kairan_points.bridge import WEBHOOK_REJECTIONS

    def denied():
        dbsession.rollback()
        found = dbsession.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "points.bridge.in", AuditEntry.outcome == "denied"))
        dbsession.rollback()
        return found

    wrong = "a-wrong-secret-of-some-length"
    for _n in range(WEBHOOK_REJECTIONS):
        [(status, _body)] = fake.deliver_credit(webhook_url, resident.id, programme.code, 10,
                                                secret=wrong)
        assert status == 401
    assert denied() == WEBHOOK_REJECTIONS
    [(status, body)] = fake.deliver_credit(webhook_url, resident.id, programme.code, 10,
                                           secret=wrong)
    assert (status, body["error"]) == (429, "too many refused requests")
    # past the limit even a good signature from that address waits; nothing more audited
    [(status, _body)] = fake.deliver_credit(webhook_url, resident.id, programme.code, 10)
    assert status == 429
    assert denied() == WEBHOOK_REJECTIONS
    assert wallet_balance(dbsession, programme, resident) == 1000
    verify_ok(dbsession)


def test_the_webhook_refuses_unknown_residents_and_bad_amounts(webhook_url, fake, dbsession,
                                                               resident, programme):
    unknown = fake.deliver_credit(webhook_url, 999_999, programme.code, 10)
    nowhere = fake.deliver_credit(webhook_url, resident.id, "no-such-programme", 10)
    zero = fake.deliver_credit(webhook_url, resident.id, programme.code, 0)
    text = fake.deliver_credit(webhook_url, resident.id, programme.code, "10")
    assert [a[0][0] for a in (unknown, nowhere, zero, text)] == [422, 422, 422, 422]
    same_id = fake.deliver_credit(webhook_url, resident.id, programme.code, 10,
                                  remote_id="fx-fixed")
    conflict = fake.deliver_credit(webhook_url, resident.id, programme.code, 11,
                                   remote_id="fx-fixed")
    assert same_id[0][0] == 200 and conflict[0][0] == 409
    assert wallet_balance(dbsession, programme, resident) == 1010
    verify_ok(dbsession)


# -- operators -----------------------------------------------------------------

def test_operators_see_the_outbox_and_retry_a_failed_move(bridge_app, dbsession, resident,
                                                          programme, make_user, fake,
                                                          bridge_config):
    from datetime import timedelta

    from kairan.db.meta import utcnow

    outcome = bridge_services.move_out(
        dbsession, user_id=resident.id, programme=programme, amount=40,
        form_key=key() + "-form", settings=bridge_config.registry.settings)
    dbsession.commit()
    moved = outcome.move
    fake.down = True
    registry = bridge_config.registry
    connector = bridge_services.bridge_of(registry)
    now = utcnow()
    for _attempt in range(registry.settings["kairan.points.bridge.max_attempts"]):
        bridge_services.send_due(registry["dbsession_factory"], connector, registry.settings,
                                 now=now)
        now += timedelta(days=1)
    dbsession.expire_all()
    assert dbsession.get(BridgeMove, moved.id).status == "failed"
    dbsession.rollback()
    sign_in_at_level(bridge_app, dbsession, resident)
    bridge_app.get("/manage/points/bridge", status=403)
    operator = make_user(roles=("Member", "Operator"))
    sign_in_at_level(bridge_app, dbsession, operator)
    page = bridge_app.get("/manage/points/bridge", {"_LOCALE_": "en"})
    assert "HTTP 503" in page.text and f"/manage/points/bridge/{moved.id}/retry" in page.text
    bridge_app.post_form(f"/manage/points/bridge/{moved.id}/retry", {}, status=303)
    dbsession.expire_all()
    assert dbsession.get(BridgeMove, moved.id).status == "pending"
    bridge_app.post_form(f"/manage/points/bridge/{moved.id}/retry", {}, status=303)
    outcomes = dbsession.scalars(select(AuditEntry.outcome).where(
        AuditEntry.action == "points.bridge.retry").order_by(AuditEntry.id)).all()
    assert outcomes == ["success", "refused"]
    dbsession.rollback()
    fake.down = False
    assert bridge_services.send_due(registry["dbsession_factory"], connector,
                                    registry.settings, now=now) == {"sent": 1}
    assert "(1)" in bridge_app.get("/manage/points/bridge", {"status": "sent"}).text
    verify_ok(dbsession)


def test_the_pages_never_write_on_get_and_show_a_refusal(bridge_app, bridge_config, dbsession,
                                                         resident, programme, fake):
    from sqlalchemy import event

    outcome = bridge_services.move_out(
        dbsession, user_id=resident.id, programme=programme, amount=60,
        form_key=key() + "-form", settings=bridge_config.registry.settings)
    dbsession.commit()
    fake.refuse = True
    registry = bridge_config.registry
    assert bridge_services.send_due(registry["dbsession_factory"],
                                    bridge_services.bridge_of(registry),
                                    registry.settings) == {"reverted": 1}
    sign_in_at_level(bridge_app, dbsession, resident)
    bridge_app.get("/points")  # the session's own bookkeeping happens here
    writes = []

    def count_writes(conn, cursor, statement, parameters, context, executemany):
        if re.match(r"\s*(INSERT|UPDATE|DELETE)", statement, re.I) and \
                "sessions" not in statement.split("\n")[0]:
            writes.append(statement.split("\n")[0][:100])

    engine = registry["db_engine"]
    event.listen(engine, "before_cursor_execute", count_writes)
    try:
        page = bridge_app.get("/points/bridge", {"_LOCALE_": "en"})
        bridge_app.get("/points/bridge/confirm",
                       {"programme": str(programme.id), "amount": "10"})
        bridge_app.get("/points/bridge/confirm", {"programme": str(programme.id),
                                                  "amount": "0"}, status=400)
    finally:
        event.remove(engine, "before_cursor_execute", count_writes)
    assert writes == []
    assert "Refused by the app; points returned" in page.text and "-60" in page.text
    assert wallet_balance(dbsession, programme, resident) == 1000
    assert outcome.move.id
    verify_ok(dbsession)
