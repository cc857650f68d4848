"""Months in Asia/Tokyo, the range form, and the add_kpi directive."""

from datetime import UTC, datetime

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationConflictError
from zope.interface.verify import verifyClass

from kairan.kpi.interfaces import IKpiProvider
from kairan.kpi.providers import MonthlyActiveUsers
from kairan.kpi.services import (
    KpiProvider,
    add_kpi,
    add_months,
    kpi_series,
    month_of,
    months_between,
    parse_month,
    parse_range,
    registered_kpis,
)


def test_month_is_the_tokyo_month():
    assert month_of(datetime(2025, 1, 31, 15, 0, tzinfo=UTC)) == "2025-02"
    assert month_of(datetime(2025, 1, 31, 14, 59, tzinfo=UTC)) == "2025-01"
    with pytest.raises(ValueError):
        month_of(datetime(2025, 1, 1))


def test_month_arithmetic():
    assert add_months("2025-01", -1) == "2024-12"
    assert add_months("2024-12", 1) == "2025-01"
    assert add_months("2025-06", -11) == "2024-07"
    assert months_between("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert months_between("2025-02", "2025-01") == []


@pytest.mark.parametrize("value", ["2025-13", "2025-00", "25-01", "2025-1", "", None,
                                   "1999-12", "2025-01x", "<script>"])
def test_parse_month_refuses_bad_values(value):
    with pytest.raises(ValueError):
        parse_month(value)


NOW = datetime(2025, 6, 15, 3, 0, tzinfo=UTC)


def test_parse_range_defaults_to_the_last_twelve_months():
    assert parse_range({}, now=NOW) == ("2024-07", "2025-06", {})
    assert parse_range({"start": "2025-01", "end": "2025-03"}, now=NOW) == (
        "2025-01", "2025-03", {})


def test_parse_range_errors():
    _s, _e, errors = parse_range({"start": "nope"}, now=NOW)
    assert list(errors) == ["start"]
    _s, _e, errors = parse_range({"start": "2025-05", "end": "2025-01"}, now=NOW)
    assert list(errors) == ["end"]
    start, end, errors = parse_range({"start": "2000-01", "end": "2025-01"}, now=NOW)
    assert list(errors) == ["end"] and (start, end) == ("2024-07", "2025-06")


def test_series_fills_missing_months_with_zero():
    class Sparse(KpiProvider):
        name = "sparse"

        def monthly(self, request, start, end):
            return {"2025-02": 7, "2024-01": 99}

    assert kpi_series(None, Sparse(), "2025-01", "2025-03") == [
        ("2025-01", 0), ("2025-02", 7), ("2025-03", 0)]


@pytest.mark.parametrize("cls", [KpiProvider, MonthlyActiveUsers])
def test_classes_provide_the_interface(cls):
    assert verifyClass(IKpiProvider, cls)


class Named(KpiProvider):
    def __init__(self, name):
        self.name, self.title = name, name


def first_addon(config):
    config.add_kpi(Named("dup"))


def second_addon(config):
    config.add_kpi(Named("dup"))


@pytest.fixture
def config():
    config = Configurator(settings={})
    config.add_directive("add_kpi", add_kpi)
    return config


def test_two_addons_claiming_one_kpi_conflict(config):
    config.include(first_addon)
    config.include(second_addon)
    with pytest.raises(ConfigurationConflictError) as info:
        config.commit()
    assert "kairan.kpi" in str(info.value)


@pytest.mark.parametrize("name", ["all", "", "A", "a b", '"x"', None])
def test_bad_or_reserved_names_are_refused(config, name):
    with pytest.raises(ValueError):
        config.add_kpi(Named(name))


def test_non_providers_are_refused(config):
    with pytest.raises(TypeError):
        config.add_kpi(object())


def test_includeme_registers_directive_routes_and_mau():
    config = Configurator(settings={})
    config.include("pyramid_chameleon")
    config.include("kairan.kpi")
    config.commit()
    assert list(registered_kpis(config.registry)) == ["mau"]
    mapper = config.get_routes_mapper()
    assert mapper.get_route("kpi.list").pattern == "/manage/kpi"
    assert mapper.get_route("kpi.csv").pattern == "/manage/kpi/{name}.csv"
