"""The WebAuthn part's wiring: includeme, interfaces, settings, the level rule, the
factor kind the security settings page uses, and its static script."""

import pytest
from kairan_stepup.factors import factor_kinds
from kairan_stepup.interfaces import IFactorKind
from kairan_stepup.webauthn.authenticators import (
    PasskeyAuthenticator,
    SecurityKeyAuthenticator,
    WebAuthnFactorKind,
)
from kairan_stepup.webauthn.services import PREFIX, strength
from zope.interface.verify import verifyObject

from kairan.security.interfaces import IAuthenticator
from kairan.settings import SettingsError

from .test_webauthn import credentials
from .webauthn_support import *  # noqa: F403 - fixtures and helpers
from .webauthn_support import ADDONS, SoftAuthenticator, audit_entries, register, step_up


def test_includeme_registers_two_authenticators_and_the_factor_kind(webauthn_config):
    registry = webauthn_config.registry
    hwk = registry.getUtility(IAuthenticator, name="hwk")
    swk = registry.getUtility(IAuthenticator, name="swk")
    assert isinstance(hwk, SecurityKeyAuthenticator) and hwk.level == 3
    assert isinstance(swk, PasskeyAuthenticator) and swk.level == 2
    assert verifyObject(IAuthenticator, hwk) and verifyObject(IAuthenticator, swk)
    kind = registry.getUtility(IFactorKind, name="webauthn")
    assert verifyObject(IFactorKind, kind)
    assert "webauthn" in [k.name for k in factor_kinds(registry)]


def configure(kairan_settings, **extra):
    from kairan.config import configure as configure_app

    return configure_app(dict(kairan_settings, **{"kairan.addons": ADDONS}, **extra),
                         environ={})


def test_the_relying_party_comes_from_the_base_url_by_default(webauthn_config):
    settings = webauthn_config.registry.settings
    assert settings[PREFIX + "rp_id"] == "localhost"
    assert settings[PREFIX + "origin"] == "http://localhost"
    assert settings[PREFIX + "rp_name"] == settings["kairan.site_title"]


def test_the_relying_party_and_levels_are_settings(kairan_settings, webauthn_config):
    config = configure(kairan_settings, **{
        "kairan.base_url": "https://portal.city.example.jp/kairan",
        PREFIX + "rp_id": "city.example.jp", PREFIX + "rp_name": "架空市ポータル",
        PREFIX + "synced_passkey_level": "1", PREFIX + "hardware_key_level": "2"})
    try:
        settings = config.registry.settings
        assert settings[PREFIX + "origin"] == "https://portal.city.example.jp"
        assert settings[PREFIX + "rp_id"] == "city.example.jp"
        assert config.registry.getUtility(IAuthenticator, name="hwk").level == 2
        assert config.registry.getUtility(IAuthenticator, name="swk").level == 1
    finally:
        config.registry["db_engine"].dispose()


@pytest.mark.parametrize("extra, named", [
    ({PREFIX + "rp_id": "other.example"}, "rp_id"),
    ({PREFIX + "hardware_key_level": "4"}, "hardware_key_level"),
    ({PREFIX + "synced_passkey_level": "0"}, "synced_passkey_level"),
])
def test_bad_settings_fail_at_start_up_naming_the_key(kairan_settings, webauthn_config, extra,
                                                      named):
    with pytest.raises(SettingsError, match=named):
        configure(kairan_settings, **extra)


def test_the_level_rule():
    settings = {PREFIX + "synced_passkey_level": 2, PREFIX + "hardware_key_level": 3}
    assert strength(settings, backup_eligible=False, user_verified=True) == ("hwk", 3)
    assert strength(settings, backup_eligible=True, user_verified=True) == ("swk", 2)
    assert strength(settings, backup_eligible=False, user_verified=False) == ("hwk", 2)


def test_the_step_up_page_offers_a_key_only_to_those_who_have_one(client, resident):
    page = client.get("/stepup?level=3&came_from=/test/webauthn/top")
    assert "/webauthn/stepup" not in page.text
    assert "/webauthn/keys" in page.text  # "set up: security key"
    register(client, SoftAuthenticator())
    page = client.get("/stepup?level=3&came_from=/test/webauthn/top")
    assert "/webauthn/stepup?kind=hwk" in page.text.replace("&amp;", "&")


def test_the_factor_kind_lists_and_removes_only_the_owners_keys(client, resident, dbsession,
                                                                webauthn_config, make_user):
    key, phone = SoftAuthenticator(), SoftAuthenticator(backup_eligible=True)
    register(client, key, nickname="キー")
    step_up(client, key)
    register(client, phone, nickname="スマホ")
    stranger = make_user(email="stranger@example.jp")

    class Request:
        registry = webauthn_config.registry
        user = resident
        client_addr = "192.0.2.1"

    request = Request()
    request.dbsession = dbsession
    request.session = None
    kind = WebAuthnFactorKind()
    factors = kind.factors(request, resident)
    assert [(f.kind, f.nickname, f.level) for f in factors] == [
        ("webauthn", "キー", 3), ("webauthn", "スマホ", 2)]
    assert factors[0].last_used is not None and factors[1].last_used is None
    assert kind.factors(request, stranger) == []
    assert kind.remove(request, stranger, factors[0].id) is False
    assert kind.remove(request, resident, "not-a-number") is False
    assert kind.remove(request, resident, factors[0].id) is True
    dbsession.commit()
    assert [c.nickname for c in credentials(dbsession)] == ["スマホ"]
    assert kind.remove_all(request, resident) == 1
    dbsession.commit()
    assert credentials(dbsession) == []
    assert [e.detail.get("count") for e in audit_entries(dbsession, "stepup.webauthn.remove_all")
            ] == [1]
    [removed] = audit_entries(dbsession, "stepup.webauthn.remove")
    assert removed.detail == {"credential": int(factors[0].id), "amr": "hwk", "level": 3}


def test_the_script_is_served_and_pages_load_it(client, resident):
    script = client.get("/stepup-webauthn-static/webauthn.js")
    assert "navigator.credentials.create" in script.text
    assert "X-CSRF-Token" in script.text
    page = client.get("/webauthn/keys")
    assert '<script src="/stepup-webauthn-static/webauthn.js" defer>' in page.text
    # the script's messages come translated from the page
    assert "data-msg-cancelled=\"キーから応答がなかったか" in page.text


def test_pages_say_that_javascript_is_needed_and_what_to_do_instead(client, resident):
    pages = [client.get("/webauthn/keys")]
    register(client, SoftAuthenticator())
    pages += [client.get("/webauthn/stepup?kind=hwk&came_from=/"),
              client.get("/webauthn/signin")]
    for page in pages:
        assert "JavaScript" in page.html.find(class_="webauthn-js-note").text
        assert page.html.find("noscript") is not None


def test_a_step_up_page_for_an_unknown_kind_is_a_clear_400(client, resident):
    page = client.get("/webauthn/stepup?kind=sms", status=400)
    assert "本人確認の方法を一覧から選んでください" in page.text
