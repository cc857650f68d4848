"""The add_dashboard_tile directive, the base tile and the ordering rules."""

import pytest
from pyramid import testing
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationConflictError
from zope.interface.verify import verifyClass, verifyObject

from kairan.dashboard.interfaces import IDashboardTile
from kairan.dashboard.services import (
    DashboardTile,
    add_dashboard_tile,
    ordered_tiles,
    registered_tiles,
    render_tile,
    visible_tiles,
)


class Tile(DashboardTile):
    def __init__(self, name, order=100, permission=None, visible=True, html="<p>x</p>"):
        self.name, self.title, self.order, self.permission = name, name.title(), order, permission
        self.visible, self.html = visible, html

    def is_visible(self, request):
        if self.visible == "raise":
            raise RuntimeError("visible?")
        return self.visible

    def render(self, request):
        if self.html is None:
            raise RuntimeError("render")
        return self.html


@pytest.fixture
def config():
    # not testing.setUp(): that one autocommits, and conflicts only show at commit
    config = Configurator(settings={"kairan.dashboard.order": []})
    config.add_directive("add_dashboard_tile", add_dashboard_tile)
    return config


class NullSavepoint:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class NullSession:
    def begin_nested(self):
        return NullSavepoint()


def make_request(config, allowed=()):
    request = testing.DummyRequest()
    request.registry = config.registry
    request.dbsession = NullSession()
    request.has_permission = lambda permission, context=None: permission in allowed
    request.context = object()
    return request


def test_base_class_provides_the_interface():
    assert verifyClass(IDashboardTile, DashboardTile)
    assert verifyObject(IDashboardTile, Tile("a"))


def test_directive_registers_instances_classes_and_dotted_names(config):
    class ByClass(DashboardTile):
        name = "byclass"
        title = "By class"

    config.add_dashboard_tile(Tile("one"))
    config.add_dashboard_tile(ByClass)
    config.add_dashboard_tile("kairan.dashboard.tiles.AccountTile")
    config.commit()
    assert sorted(registered_tiles(config.registry)) == ["account", "byclass", "one"]


def first_addon(config):
    config.add_dashboard_tile(Tile("same"))


def second_addon(config):
    config.add_dashboard_tile(Tile("same"))


def test_two_addons_claiming_one_name_conflict_at_start_up(config):
    config.include(first_addon)
    config.include(second_addon)
    with pytest.raises(ConfigurationConflictError) as info:
        config.commit()
    assert "kairan.dashboard_tile" in str(info.value) and "same" in str(info.value)


@pytest.mark.parametrize("name", ["", "Has Space", "UPPER", "a/b", "<x>", None])
def test_bad_names_are_refused(config, name):
    with pytest.raises(ValueError):
        config.add_dashboard_tile(_named(name))


def _named(name):
    tile = Tile("placeholder")
    tile.name = name
    return tile


def test_objects_without_the_interface_are_refused(config):
    with pytest.raises(TypeError):
        config.add_dashboard_tile(object())


def test_order_setting_then_hint_then_name(config):
    for tile in (Tile("c", order=5), Tile("b", order=5), Tile("a", order=9), Tile("z", order=1)):
        config.add_dashboard_tile(tile)
    config.commit()
    assert [t.name for t in ordered_tiles(config.registry)] == ["z", "b", "c", "a"]
    config.registry.settings["kairan.dashboard.order"] = ["a", "missing", "c", "a"]
    assert [t.name for t in ordered_tiles(config.registry)] == ["a", "c", "z", "b"]
    config.registry.settings["kairan.dashboard.order"] = "c a"
    assert [t.name for t in ordered_tiles(config.registry)] == ["c", "a", "z", "b"]


def test_visible_tiles_checks_permission_visibility_and_survives_errors(config):
    config.add_dashboard_tile(Tile("public"))
    config.add_dashboard_tile(Tile("staff", permission="export"))
    config.add_dashboard_tile(Tile("empty", visible=False))
    config.add_dashboard_tile(Tile("crashy", visible="raise"))
    config.commit()
    assert [t.name for t in visible_tiles(make_request(config))] == ["public"]
    names = [t.name for t in visible_tiles(make_request(config, allowed=("export",)))]
    assert names == ["public", "staff"]


def test_render_tile_reports_failure_instead_of_raising(config):
    request = make_request(config)
    assert render_tile(request, Tile("fine")) == ("<p>x</p>", True)
    assert render_tile(request, Tile("broken", html=None)) == (None, False)
