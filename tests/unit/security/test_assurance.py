"""Assurance levels computed from recorded factors, and the return-address rule."""

from datetime import UTC, datetime, timedelta

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationConflictError
from pyramid.testing import DummyRequest
from zope.interface import implementer
from zope.interface.verify import verifyClass, verifyObject

from kairan.security.assurance import add_authenticator, evaluate, safe_came_from
from kairan.security.interfaces import IAuthenticator
from kairan.security.policy import KairanSecurityPolicy
from kairan.security.sessions import DatabaseSession

SETTINGS = {
    "kairan.session.idle_seconds": 43200, "kairan.session.max_seconds": 2592000,
    "kairan.session.aal2_idle_seconds": 3600, "kairan.session.aal2_max_seconds": 86400,
    "kairan.session.aal3_idle_seconds": 900, "kairan.session.aal3_max_seconds": 43200,
}
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def _factor(level, ago):
    return {"level": level, "at": (NOW - ago).isoformat()}


def test_levels_from_factors():
    factors = {"pwd": _factor(1, timedelta(hours=2)), "otp": _factor(2, timedelta(minutes=5))}
    assurance = evaluate(SETTINGS, factors, NOW - timedelta(minutes=1), NOW)
    assert assurance.level == 2 and assurance.acr == "aal2"
    assert assurance.amr == ["otp", "pwd"]
    assert assurance.satisfies(2, max_age=600, now=NOW)
    assert not assurance.satisfies(2, max_age=60, now=NOW)
    assert not assurance.satisfies(3)


@pytest.mark.parametrize("level, idle, total", [(2, 3600, 86400), (3, 900, 43200)])
def test_each_level_lapses_after_its_idle_and_total_limits(level, idle, total):
    factors = {"pwd": _factor(1, timedelta(0)), "f": _factor(level, timedelta(seconds=10))}
    within = evaluate(SETTINGS, factors, NOW - timedelta(seconds=idle - 1), NOW)
    assert within.level == level
    idle_out = evaluate(SETTINGS, factors, NOW - timedelta(seconds=idle + 1), NOW)
    assert idle_out.level < level
    old = {"pwd": _factor(1, timedelta(0)), "f": _factor(level, timedelta(seconds=total + 1))}
    assert evaluate(SETTINGS, old, NOW, NOW).level < level


def test_no_factor_no_level():
    assert evaluate(SETTINGS, {}, None, NOW).level == 0


@pytest.mark.parametrize("came_from, expected", [
    ("/account", "http://example.com/account"),
    ("/a?b=c", "http://example.com/a?b=c"),
    ("//evil.example/", "http://example.com/dashboard"),
    ("https://evil.example/", "http://example.com/dashboard"),
    ("/\\evil.example", "http://example.com/dashboard"),
    ("", "http://example.com/dashboard"),
    (None, "http://example.com/dashboard"),
])
def test_safe_came_from(came_from, expected):
    assert safe_came_from(DummyRequest(), came_from) == expected


@implementer(IAuthenticator)
class Card:
    name, level, title, description = "sc", 3, "Card", "Use your card."

    def is_available(self, request):
        return True

    def start_url(self, request, came_from, level):
        return "/card"


def test_add_authenticator_conflicts_on_one_name():
    assert verifyObject(IAuthenticator, Card())
    config = Configurator()
    config.add_directive("add_authenticator", add_authenticator)
    config.add_authenticator(Card())
    config.add_authenticator(Card())
    with pytest.raises(ConfigurationConflictError):
        config.commit()


def test_add_authenticator_refuses_non_authenticators():
    config = Configurator()
    config.add_directive("add_authenticator", add_authenticator)
    with pytest.raises(TypeError):
        config.add_authenticator(object())


def test_policy_and_session_implement_their_interfaces():
    from pyramid.interfaces import ISecurityPolicy, ISession

    assert verifyClass(ISecurityPolicy, KairanSecurityPolicy)
    assert verifyClass(ISession, DatabaseSession)
