"""kairan.config.configure: the core, then the add-ons named in the settings.

Two add-ons claiming one authenticator or rate-limiter name must stop the
application at start-up, naming both, instead of one silently winning.
"""

import sys
import types

import pkg_resources
import pytest
from _pytest.assertion.rewrite import AssertionRewritingHook
from pyramid.exceptions import ConfigurationConflictError
from zope.interface import implementer

from kairan.config import configure
from kairan.security.interfaces import IAuthenticator, IRateLimiter

# pytest rewrites the asserts of every module of the package that ships its
# plugin (kairan), and pkg_resources, which Pyramid uses for asset specs such
# as "kairan.content:locale", does not know that loader. Belongs in
# kairan.testing; harmless to repeat.
pkg_resources.register_loader_type(AssertionRewritingHook, pkg_resources.DefaultProvider)


@implementer(IAuthenticator)
class FakeAuthenticator:
    level = 2
    title = "test factor"
    description = "a factor defined in the tests"

    def __init__(self, name):
        self.name = name

    def is_available(self, request):
        return True

    def start_url(self, request, came_from, level):
        return "/test-factor"


@pytest.fixture
def settings(tmp_path):
    return {
        "sqlalchemy.url": f"sqlite:///{tmp_path}/config.sqlite",
        "kairan.env": "testing",
        "kairan.secret": "config-test-secret-0123456789abcdef",
    }


@pytest.fixture
def addon(monkeypatch):
    """addon(name, includeme) puts a tiny add-on module named ``name`` on the import path."""

    def make(name, includeme):
        module = types.ModuleType(name)
        module.includeme = includeme
        monkeypatch.setitem(sys.modules, name, module)
        return name

    return make


def build(settings, *addons):
    config = configure(dict(settings, **{"kairan.addons": " ".join(addons)}), environ={})
    config.registry["db_engine"].dispose()
    return config


def test_listed_addons_are_included(settings, addon):
    seen = []
    one = addon("kairan_test_addon_one", lambda config: seen.append("one"))
    two = addon("kairan_test_addon_two", lambda config: seen.append("two"))
    build(settings, one, two)
    assert seen == ["one", "two"]


def test_addons_use_core_directives(settings, addon):
    def includeme(config):
        config.add_authenticator(FakeAuthenticator("test-otp"))
        config.register_rate_limiter("test.limiter", 5, 60)

    config = build(settings, addon("kairan_test_addon_directives", includeme))
    registry = config.registry
    assert registry.getUtility(IAuthenticator, name="test-otp").level == 2
    limiter = registry.getUtility(IRateLimiter, name="test.limiter")
    assert (limiter.limit, limiter.window) == (5, 60)


def test_an_addon_not_listed_is_not_included(settings, addon):
    seen = []
    addon("kairan_test_addon_unlisted", lambda config: seen.append("unlisted"))
    build(settings)
    assert seen == []


def test_a_missing_addon_fails_at_start_up(settings):
    with pytest.raises(ModuleNotFoundError, match="kairan_no_such_addon"):
        build(settings, "kairan_no_such_addon")


def test_two_addons_claiming_one_authenticator_fail_at_start_up(settings, addon):
    first = addon("kairan_test_addon_first",
                  lambda config: config.add_authenticator(FakeAuthenticator("otp")))
    second = addon("kairan_test_addon_second",
                   lambda config: config.add_authenticator(FakeAuthenticator("otp")))
    with pytest.raises(ConfigurationConflictError) as info:
        build(settings, first, second)
    message = str(info.value)
    assert "kairan.authenticator" in message and "otp" in message


def test_two_addons_claiming_one_rate_limiter_fail_at_start_up(settings, addon):
    first = addon("kairan_test_addon_first",
                  lambda config: config.register_rate_limiter("points.pay", 10, 60))
    second = addon("kairan_test_addon_second",
                   lambda config: config.register_rate_limiter("points.pay", 20, 60))
    with pytest.raises(ConfigurationConflictError) as info:
        build(settings, first, second)
    assert "kairan.rate_limiter" in str(info.value)
    assert "points.pay" in str(info.value)


def test_an_addon_cannot_take_over_a_core_rate_limiter(settings, addon):
    # the core registers login.account; an add-on re-using the name would
    # silently change the brute-force limit of every sign-in
    hijack = addon("kairan_test_addon_hijack",
                   lambda config: config.register_rate_limiter("login.account", 10**6, 1))
    with pytest.raises(ConfigurationConflictError, match="login.account"):
        build(settings, hijack)


def test_different_names_do_not_conflict(settings, addon):
    first = addon("kairan_test_addon_first",
                  lambda config: config.add_authenticator(FakeAuthenticator("otp")))
    second = addon("kairan_test_addon_second",
                   lambda config: config.add_authenticator(FakeAuthenticator("hwk")))
    registry = build(settings, first, second).registry
    names = sorted(name for name, _a in registry.getUtilitiesFor(IAuthenticator))
    assert {"otp", "hwk"} <= set(names)


def test_the_configured_theme_is_included_after_the_default(settings):
    from pyramid.interfaces import IPackageOverrides

    plain = build(settings).registry
    themed = build(dict(settings, **{"kairan.theme": "kairan_theme_sakura"})).registry
    assert plain.queryUtility(IPackageOverrides, name="kairan_theme_default") is None
    assert themed.queryUtility(IPackageOverrides, name="kairan_theme_default") is not None


def test_an_unknown_theme_fails_at_start_up(settings):
    with pytest.raises(ModuleNotFoundError):
        build(dict(settings, **{"kairan.theme": "kairan_theme_nowhere"}))


def test_production_settings_are_checked_before_anything_is_built(settings):
    from kairan.settings import SettingsError

    with pytest.raises(SettingsError, match=r"kairan\.base_url"):
        configure(dict(settings, **{"kairan.env": "production"}), environ={})
