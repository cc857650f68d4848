"""The accounts includeme, seen through the application's registry."""

from kairan.accounts.interfaces import IPersonalDataProvider


def test_includeme_registers_routes_directive_and_core_providers(app_config):
    registry = app_config.registry
    names = {name for name, _provider in registry.getUtilitiesFor(IPersonalDataProvider)}
    assert {"account", "roles", "sessions", "audit"} <= names
    mapper = app_config.get_routes_mapper()
    routes = {route.name: route.pattern for route in mapper.get_routes()}
    for name in ("accounts.login", "accounts.logout", "accounts.register", "accounts.verify",
                 "accounts.reset_request", "accounts.reset", "accounts.profile",
                 "accounts.password", "accounts.delete", "accounts.download",
                 "accounts.manage_users", "accounts.manage_user"):
        assert name in routes
    assert callable(getattr(app_config, "add_personal_data_provider"))
