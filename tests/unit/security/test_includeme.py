"""The security includeme, seen through the application's registry."""

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationConflictError
from pyramid.interfaces import IDefaultCSRFOptions, IDefaultPermission

from kairan.security.permissions import Permission
from kairan.security.ratelimit import DatabaseRateLimiter, register_rate_limiter
from kairan.security.roles import add_role, role_titles


def test_includeme_wires_policy_limiters_roles_and_defaults(app_config):
    registry = app_config.registry
    settings = registry.settings
    from kairan.security.interfaces import IRateLimiter

    account = registry.getUtility(IRateLimiter, name="login.account")
    assert (account.limit, account.window) == (settings["kairan.login.account_limit"],
                                               settings["kairan.login.window_seconds"])
    assert registry.getUtility(IRateLimiter, name="login.address").limit == \
        settings["kairan.login.address_limit"]
    assert {"Member", "Editor", "Reviewer", "Operator", "Manager"} <= set(role_titles(registry))
    assert registry.getUtility(IDefaultPermission) == Permission.MEMBER
    assert registry.getUtility(IDefaultCSRFOptions).require_csrf is True
    for directive in ("add_authenticator", "register_rate_limiter", "add_role"):
        assert callable(getattr(app_config, directive))


def test_two_rate_limiters_with_one_name_conflict():
    config = Configurator()
    config.add_directive("register_rate_limiter", register_rate_limiter)
    config.register_rate_limiter("x", 1, 60)
    config.register_rate_limiter("x", 2, 60)
    with pytest.raises(ConfigurationConflictError):
        config.commit()


def test_register_and_add_role():
    config = Configurator()
    config.add_directive("register_rate_limiter", register_rate_limiter)
    config.add_directive("add_role", add_role)
    config.register_rate_limiter("y", 3, 60)
    config.add_role("Driver", "運転手")
    config.commit()
    from kairan.security.interfaces import IRateLimiter

    limiter = config.registry.getUtility(IRateLimiter, name="y")
    assert isinstance(limiter, DatabaseRateLimiter) and limiter.limit == 3
    assert role_titles(config.registry) == {"Driver": "運転手"}
