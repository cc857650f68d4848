"""Settings: read once, environment over .ini, production refuses unsafe values."""

import configparser
from pathlib import Path

import pytest
from plaster import get_settings
from pyramid.paster import get_appsettings

from kairan.settings import DEFAULTS, SettingsError, load_settings

ETC = Path(__file__).resolve().parents[2] / "etc"
INI_FILES = ("development.ini", "production.ini", "testing.ini")
GOOD_SECRET = "q7Yc9vT2kP4mW8xZ1nB6rD3sF5hJ0aLe"  # 32 random characters
PG_URL = "postgresql+psycopg://kairan@db.internal/kairan"


def production(**overrides):
    settings = {
        "kairan.env": "production",
        "kairan.secret": GOOD_SECRET,
        "sqlalchemy.url": PG_URL,
        "kairan.base_url": "https://portal.city.example.jp",
    }
    settings.update(overrides)
    return settings


# -- defaults and coercion ------------------------------------------------------

def test_defaults_apply_when_the_ini_says_nothing():
    settings = load_settings({}, environ={})
    assert settings["kairan.env"] == "development"
    assert settings["kairan.production"] is False
    assert settings["kairan.theme"] == "kairan_theme_default"
    assert settings["kairan.audit.retention_days"] == 365


def test_values_are_coerced_once():
    settings = load_settings({"kairan.addons": "a.one\n b.two", "kairan.search.page_size": "25",
                              "kairan.debug": "true"}, environ={})
    assert settings["kairan.addons"] == ["a.one", "b.two"]
    assert settings["kairan.search.page_size"] == 25
    assert settings["kairan.debug"] is True
    assert settings["kairan.locales"] == ["ja", "en"]


def test_a_malformed_number_is_refused():
    with pytest.raises(ValueError):
        load_settings({"kairan.upload.max_bytes": "ten megabytes"}, environ={})


def test_base_url_loses_its_trailing_slash():
    assert load_settings({"kairan.base_url": "https://x.example.jp/"},
                         environ={})["kairan.base_url"] == "https://x.example.jp"


def test_input_dict_is_not_modified():
    raw = {"kairan.addons": "a.one"}
    load_settings(raw, environ={})
    assert raw == {"kairan.addons": "a.one"}


# -- the environment overrides the .ini -----------------------------------------

def test_environment_overrides_the_ini():
    environ = {
        "KAIRAN_SECRET": "from-the-environment",
        "KAIRAN_DATABASE_URL": PG_URL,
        "KAIRAN_BASE_URL": "https://env.example.jp",
        "KAIRAN_ADDONS": "x.addon y.addon",
        "KAIRAN_THEME": "kairan_theme_sakura",
    }
    settings = load_settings({"kairan.secret": "from-the-ini", "sqlalchemy.url": "sqlite://",
                              "kairan.base_url": "http://ini", "kairan.addons": "",
                              "kairan.theme": "kairan_theme_default"}, environ=environ)
    assert settings["kairan.secret"] == "from-the-environment"
    assert settings["sqlalchemy.url"] == PG_URL
    assert settings["kairan.base_url"] == "https://env.example.jp"
    assert settings["kairan.addons"] == ["x.addon", "y.addon"]
    assert settings["kairan.theme"] == "kairan_theme_sakura"


def test_an_empty_environment_variable_does_not_erase_the_ini():
    settings = load_settings({"kairan.secret": "from-the-ini"}, environ={"KAIRAN_SECRET": ""})
    assert settings["kairan.secret"] == "from-the-ini"


def test_an_empty_ini_value_means_the_default():
    settings = load_settings({"kairan.site_title": "", "kairan.audit.retention_days": ""},
                             environ={})
    assert settings["kairan.site_title"] == DEFAULTS["kairan.site_title"]
    assert settings["kairan.audit.retention_days"] == 365


# -- production refuses unsafe settings, naming which ---------------------------

def test_production_accepts_safe_settings():
    settings = load_settings(production(), environ={})
    assert settings["kairan.production"] is True


@pytest.mark.parametrize("key", ["kairan.secret", "sqlalchemy.url", "kairan.base_url"])
def test_production_names_a_missing_setting(key):
    with pytest.raises(SettingsError, match=key.replace(".", r"\.")):
        load_settings(production(**{key: ""}), environ={})


def test_production_refuses_the_default_secret():
    # the default in DEFAULTS applies when the .ini leaves the secret empty
    settings = production()
    del settings["kairan.secret"]
    with pytest.raises(SettingsError, match=r"kairan\.secret") as info:
        load_settings(settings, environ={})
    assert "KAIRAN_SECRET" in str(info.value)


@pytest.mark.parametrize("secret", [
    "short-but-random-Xq9",                      # under 32 characters
    "please-change-me-before-going-live-0123456",  # an example value
    "SECRET" * 8,
])
def test_production_refuses_a_weak_secret(secret):
    with pytest.raises(SettingsError, match=r"kairan\.secret"):
        load_settings(production(**{"kairan.secret": secret}), environ={})


def test_production_refuses_sqlite():
    with pytest.raises(SettingsError, match="PostgreSQL") as info:
        load_settings(production(**{"sqlalchemy.url": "sqlite:///var/kairan.sqlite"}), environ={})
    assert "KAIRAN_DATABASE_URL" in str(info.value)


def test_development_tolerates_the_default_secret_and_sqlite():
    settings = load_settings({"sqlalchemy.url": "sqlite://"}, environ={})
    assert settings["kairan.secret"] == DEFAULTS["kairan.secret"]


# -- the files in etc/ -----------------------------------------------------------

def app_keys(name):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ETC / name, encoding="utf-8")
    return set(parser["app:main"])


def test_every_ini_file_has_the_same_keys():
    keys = {name: app_keys(name) for name in INI_FILES}
    assert keys["development.ini"] == keys["production.ini"] == keys["testing.ini"]


def addon_setting_keys(tmp_path):
    """The keys the built-in add-ons read: each puts its defaults into the settings."""
    from kairan.config import configure
    from tests.conftest import builtin_addons

    config = configure({"sqlalchemy.url": f"sqlite:///{tmp_path}/keys.sqlite",
                        "kairan.addons": " ".join(builtin_addons())}, environ={})
    try:
        return {k for k in config.registry.settings if k.startswith("kairan.")}
    finally:
        config.registry["db_engine"].dispose()


def test_every_kairan_key_in_the_ini_files_is_a_known_setting(tmp_path):
    known = set(DEFAULTS) | {"kairan.debug"} | addon_setting_keys(tmp_path)
    for name in INI_FILES:
        unknown = {k for k in app_keys(name) if k.startswith("kairan.")} - known
        assert not unknown, f"{name}: {sorted(unknown)} are read neither by the core " \
                            "(kairan.settings.DEFAULTS) nor by a built-in add-on"


def test_production_ini_refuses_to_load_without_its_environment():
    raw = dict(get_appsettings(str(ETC / "production.ini")))
    with pytest.raises(SettingsError, match=r"kairan\.secret|sqlalchemy\.url|kairan\.base_url"):
        load_settings(raw, environ={})


def test_production_ini_loads_with_its_environment():
    raw = dict(get_appsettings(str(ETC / "production.ini")))
    settings = load_settings(raw, environ={
        "KAIRAN_SECRET": GOOD_SECRET,
        "KAIRAN_DATABASE_URL": PG_URL,
        "KAIRAN_BASE_URL": "https://portal.city.example.jp",
        "KAIRAN_STEPUP_KEYS": "YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMzI=",
    })
    # the environment overrides the .ini for the add-on's secret too (coerced by the add-on)
    assert settings["kairan.stepup.encryption_keys"] == \
        "YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMzI="
    assert settings["kairan.production"] is True
    assert settings["kairan.debug"] is False
    assert settings["sqlalchemy.url"] == PG_URL
    assert settings["pyramid.reload_templates"] == "false"


def test_production_ini_trusts_proxy_headers_only_from_configured_addresses():
    server = get_settings(str(ETC / "production.ini"), "server:main")
    assert server["trusted_proxy"] == "127.0.0.1"
    assert server["clear_untrusted_proxy_headers"] == "true"
    assert "x-forwarded-proto" in server["trusted_proxy_headers"].split()
    assert server["listen"].startswith("127.0.0.1:")


@pytest.mark.parametrize("name", ["development.ini", "testing.ini"])
def test_development_and_testing_ini_load_without_any_environment(name):
    settings = load_settings(dict(get_appsettings(str(ETC / name))), environ={})
    assert settings["kairan.production"] is False
    assert settings["sqlalchemy.url"].startswith("sqlite:///")
