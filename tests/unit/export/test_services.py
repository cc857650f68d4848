"""The add_exporter directive and the core exporters' contracts."""

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationConflictError
from zope.interface.verify import verifyClass

from kairan.export.exporters import CORE_EXPORTERS
from kairan.export.interfaces import IExporter
from kairan.export.services import Exporter, add_exporter, get_exporter, registered_exporters


class Named(Exporter):
    def __init__(self, name):
        self.name, self.title = name, name


@pytest.fixture
def config():
    config = Configurator(settings={})
    config.add_directive("add_exporter", add_exporter)
    return config


@pytest.mark.parametrize("cls", [Exporter, *CORE_EXPORTERS])
def test_classes_provide_the_interface(cls):
    assert verifyClass(IExporter, cls)


def test_directive_registers_and_looks_up(config):
    config.add_exporter(Named("b"))
    config.add_exporter("kairan.export.exporters.UsersExporter")
    config.commit()
    assert list(registered_exporters(config.registry)) == ["b", "users"]
    assert get_exporter(config.registry, "users").name == "users"
    assert get_exporter(config.registry, "missing") is None


def first_addon(config):
    config.add_exporter(Named("dup"))


def second_addon(config):
    config.add_exporter(Named("dup"))


def test_two_addons_claiming_one_name_conflict(config):
    config.include(first_addon)
    config.include(second_addon)
    with pytest.raises(ConfigurationConflictError) as info:
        config.commit()
    assert "kairan.exporter" in str(info.value)


@pytest.mark.parametrize("name", ["all", "", "Bad", "a b", "../x", None])
def test_bad_or_reserved_names_are_refused(config, name):
    with pytest.raises(ValueError):
        config.add_exporter(Named(name))


def test_non_exporters_are_refused(config):
    with pytest.raises(TypeError):
        config.add_exporter(object())


def test_includeme_registers_directive_routes_and_core_exporters():
    config = Configurator(settings={})
    config.include("pyramid_chameleon")
    config.include("kairan.export")
    config.commit()
    assert list(registered_exporters(config.registry)) == ["audit", "content", "users"]
    mapper = config.get_routes_mapper()
    assert mapper.get_route("export.list").pattern == "/manage/export"
    assert mapper.get_route("export.download").pattern == "/manage/export/download"
