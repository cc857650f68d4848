"""includeme wires the directive, the route and the core tiles."""

from pyramid.config import Configurator

from kairan.dashboard.services import registered_tiles


def test_includeme_adds_directive_route_and_core_tiles():
    config = Configurator(settings={"kairan.dashboard.order": []})
    config.include("pyramid_chameleon")
    config.include("kairan.dashboard")
    assert hasattr(config, "add_dashboard_tile")
    config.commit()
    assert sorted(registered_tiles(config.registry)) == ["account", "news"]
    mapper = config.get_routes_mapper()
    assert mapper.get_route("dashboard").pattern == "/dashboard"
