"""``IPersonalDataProvider`` and the ``add_personal_data_provider`` directive."""

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationConflictError
from zope.interface import implementer
from zope.interface.verify import verifyClass

from kairan.accounts.interfaces import IPersonalDataProvider
from kairan.accounts.providers import (
    CORE_PROVIDERS,
    AccountData,
    AuditData,
    RoleData,
    SessionData,
    add_personal_data_provider,
    personal_data,
)


@pytest.mark.parametrize("cls", [AccountData, RoleData, SessionData, AuditData])
def test_core_providers_implement_the_interface(cls):
    assert verifyClass(IPersonalDataProvider, cls)


def test_core_provider_names():
    assert [p.name for p in CORE_PROVIDERS] == ["account", "roles", "sessions", "audit"]


@implementer(IPersonalDataProvider)
class Points:
    name = "points"

    def export(self, request, user):
        return {"balance": 100, "user": user}


def _config():
    config = Configurator()
    config.add_directive("add_personal_data_provider", add_personal_data_provider)
    return config


def test_a_provider_adds_a_section():
    config = _config()
    config.add_personal_data_provider(Points())
    config.commit()

    class Request:
        registry = config.registry

    assert personal_data(Request(), "u1") == {"points": {"balance": 100, "user": "u1"}}


def test_two_providers_with_one_name_conflict():
    config = _config()
    config.add_personal_data_provider(Points())
    config.add_personal_data_provider(Points())
    with pytest.raises(ConfigurationConflictError):
        config.commit()


def test_a_non_provider_is_refused():
    with pytest.raises(TypeError):
        _config().add_personal_data_provider(object())
