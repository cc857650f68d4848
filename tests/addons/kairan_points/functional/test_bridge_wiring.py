"""The bridge's includeme: which connector the settings or a directive choose, its routes,
protected action, exporters; and the Null connector for development."""

from datetime import date

import pytest
from kairan_points import services
from kairan_points.bridge import services as bridge_services
from kairan_points.bridge.connector import HttpCurrencyBridge, NullCurrencyBridge
from kairan_points.bridge.exporters import EXPORTERS
from kairan_points.bridge.interfaces import ICurrencyBridge, InboundRejected, OutboundMove
from pyramid.exceptions import ConfigurationConflictError
from zope.interface.verify import verifyClass, verifyObject

from kairan.db.meta import utcnow
from kairan.export.interfaces import IExporter
from tests.addons.kairan_points.conftest import key, verify_ok
from tests.addons.kairan_points.fakecurrency import SECRET

BASE = {"sqlalchemy.url": "sqlite://", "kairan.env": "testing",
        "kairan.addons": "kairan_points"}


def configured(**settings):
    from kairan.config import configure

    return configure({**BASE, **settings}, environ={})


def includeme(config):
    """This module as an add-on that brings its own bridge (for the conflict test)."""
    config.set_currency_bridge(NullCurrencyBridge())


def test_the_implementations_provide_their_interfaces():
    assert verifyClass(ICurrencyBridge, NullCurrencyBridge)
    assert verifyObject(ICurrencyBridge, NullCurrencyBridge())
    for exporter in EXPORTERS:
        assert verifyClass(IExporter, exporter)


def test_without_a_url_the_bridge_is_off_but_its_routes_answer():
    from kairan.security.assurance import assurance_action

    config = configured()
    try:
        registry = config.registry
        assert registry.queryUtility(ICurrencyBridge) is None
        assert assurance_action(registry, "points.bridge").level == 2
        routes = {i["introspectable"]["name"]
                  for i in registry.introspector.get_category("routes")}
        assert {"points.bridge", "points.bridge_confirm", "points.bridge_webhook",
                "points.bridge_manage", "points.bridge_retry"} <= routes
        from kairan.export.services import registered_exporters

        assert {"points_bridge_moves", "points_bridge_credits"} <= set(
            registered_exporters(registry))
    finally:
        config.registry["db_engine"].dispose()


def test_a_url_chooses_the_http_connector_and_a_setting_another():
    config = configured(**{"kairan.points.bridge.url": "https://currency.example.jp/api/",
                           "kairan.points.bridge.secret": SECRET})
    try:
        found = config.registry.getUtility(ICurrencyBridge)
        assert isinstance(found, HttpCurrencyBridge)
        assert found.url == "https://currency.example.jp/api" and found.base_path == "/api"
        assert config.registry.settings["kairan.points.bridge.enabled"] is True
    finally:
        config.registry["db_engine"].dispose()
    config = configured(**{"kairan.points.bridge.connector":
                           "kairan_points.bridge.connector.NullCurrencyBridge"})
    try:
        assert isinstance(config.registry.getUtility(ICurrencyBridge), NullCurrencyBridge)
    finally:
        config.registry["db_engine"].dispose()


def test_two_bridges_conflict_at_start_up():
    with pytest.raises(ConfigurationConflictError):
        configured(**{"kairan.addons": "kairan_points "
                      "tests.addons.kairan_points.functional.test_bridge_wiring",
                      "kairan.points.bridge.url": "https://currency.example.jp",
                      "kairan.points.bridge.secret": SECRET})


def test_the_null_bridge_accepts_once_per_key_and_lists_what_it_took():
    bridge = NullCurrencyBridge()
    move = OutboundMove("kp-1", "7", "p", 10)
    assert bridge.send(move) == bridge.send(move)
    today = services.tokyo_date(utcnow())
    assert [t.amount for t in bridge.transactions(today)] == [10]
    assert bridge.transactions(date(2000, 1, 1)) == []
    with pytest.raises(InboundRejected):
        bridge.verify_inbound("POST", "/", {}, b"{}", utcnow())


def test_the_exporters_list_moves_and_credits(app_request, dbsession, make_user, programme):
    from kairan_points.bridge.exporters import BridgeCreditsExporter, BridgeMovesExporter
    from kairan_points.bridge.interfaces import InboundCredit

    settings = {"kairan.points.bridge.max_amount": 1000, "kairan.points.bridge.programmes": []}
    user = make_user()
    services.grant(dbsession, programme, user.id, 100, "", actor_id=None,
                   idempotency_key=key())
    moved = bridge_services.move_out(dbsession, user_id=user.id, programme=programme,
                                     amount=30, form_key=key() + "-form", settings=settings)
    bridge_services.credit_inbound(dbsession, InboundCredit(
        "fx-export", str(user.id), programme.code, 5, utcnow()), settings)
    dbsession.commit()
    moves = list(BridgeMovesExporter().rows(app_request))
    credits = list(BridgeCreditsExporter().rows(app_request))
    assert len(moves) == 1 and moves[0][0] == moved.move.id and moves[0][4] == 30
    assert moves[0][5] == "pending"
    assert len(credits) == 1 and credits[0][5] == "fx-export"
    assert len(BridgeMovesExporter().columns(app_request)) == len(moves[0])
    assert len(BridgeCreditsExporter().columns(app_request)) == len(credits[0])
    verify_ok(dbsession)


def test_a_broken_connector_is_retried_like_an_unavailable_service(
        registry, dbsession, make_user, programme):
    class Broken(NullCurrencyBridge):
        def send(self, move):
            raise RuntimeError("a bug in a third-party connector")

    settings = {"kairan.points.bridge.max_amount": 1000, "kairan.points.bridge.programmes": [],
                "kairan.points.bridge.max_attempts": 5,
                "kairan.points.bridge.backoff_seconds": 30}
    user = make_user()
    services.grant(dbsession, programme, user.id, 100, "", actor_id=None,
                   idempotency_key=key())
    moved = bridge_services.move_out(dbsession, user_id=user.id, programme=programme,
                                     amount=30, form_key=key() + "-form", settings=settings)
    dbsession.commit()
    outcomes = bridge_services.send_due(registry["dbsession_factory"], Broken(), settings)
    assert outcomes == {"retry later": 1}
    from kairan_points.bridge.models import BridgeMove

    dbsession.expire_all()
    row = dbsession.get(BridgeMove, moved.move.id)
    assert row.status == "pending" and row.last_error == "connector error: RuntimeError"
    dbsession.rollback()
    verify_ok(dbsession)


def test_the_personal_data_section_lists_moves_and_credits(app_request, dbsession, make_user,
                                                           programme):
    from kairan_points.bridge.interfaces import InboundCredit
    from kairan_points.bridge.providers import BridgeData

    from kairan.accounts.interfaces import IPersonalDataProvider

    assert verifyObject(IPersonalDataProvider, BridgeData())
    settings = {"kairan.points.bridge.max_amount": 1000, "kairan.points.bridge.programmes": []}
    user, other = make_user(), make_user()
    services.grant(dbsession, programme, user.id, 100, "", actor_id=None,
                   idempotency_key=key())
    bridge_services.move_out(dbsession, user_id=user.id, programme=programme, amount=30,
                             form_key=key() + "-form", settings=settings)
    bridge_services.credit_inbound(dbsession, InboundCredit(
        "fx-mine", str(user.id), programme.code, 5, utcnow()), settings)
    bridge_services.credit_inbound(dbsession, InboundCredit(
        "fx-theirs", str(other.id), programme.code, 7, utcnow()), settings)
    dbsession.commit()
    data = BridgeData().export(app_request, user)
    assert [(m["points"], m["status"]) for m in data["moves_out"]] == [(30, "pending")]
    assert [c["service_id"] for c in data["credits_in"]] == ["fx-mine"]
    assert BridgeData().export(app_request, other)["moves_out"] == []


def test_a_timeout_longer_than_a_claim_is_refused():
    from kairan_points.bridge.settings import read_settings

    from kairan.settings import SettingsError

    with pytest.raises(SettingsError, match="timeout"):
        read_settings({"kairan.points.bridge.timeout": "600"})
