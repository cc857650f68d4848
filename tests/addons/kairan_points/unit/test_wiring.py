"""The add-on's includeme and its implementations of the core's interfaces."""

import pytest
from kairan_points.exporters import EXPORTERS
from kairan_points.kpis import KPIS
from kairan_points.providers import PointsData
from kairan_points.settings import read_settings
from kairan_points.tiles import PointsTile
from zope.interface.verify import verifyClass, verifyObject

from kairan.accounts.interfaces import IPersonalDataProvider
from kairan.dashboard.interfaces import IDashboardTile
from kairan.export.interfaces import IExporter
from kairan.kpi.interfaces import IKpiProvider
from kairan.settings import SettingsError


def test_the_implementations_provide_the_core_interfaces():
    assert verifyObject(IDashboardTile, PointsTile())
    for exporter in EXPORTERS:
        assert verifyClass(IExporter, exporter)
    for kpi in KPIS:
        assert verifyClass(IKpiProvider, kpi)
    assert verifyObject(IPersonalDataProvider, PointsData())


def test_settings_have_defaults_and_refuse_nonsense():
    settings = read_settings({})
    assert settings["kairan.points.grant_approval_threshold"] == 10_000
    assert read_settings({"kairan.points.max_grant": "500"})["kairan.points.max_grant"] == 500
    for bad in ("ten", "0", "-1"):
        with pytest.raises(SettingsError, match="kairan.points.max_grant"):
            read_settings({"kairan.points.max_grant": bad})


def test_whole_number_settings_keep_to_their_bounds():
    from kairan_points.settings import read_whole_numbers

    days = {"kairan.points.remind_days": "14"}
    most = {"kairan.points.remind_days": 365}
    assert read_whole_numbers({}, days, maximums=most)["kairan.points.remind_days"] == 14
    assert read_whole_numbers({"kairan.points.remind_days": "365"}, days,
                              maximums=most)["kairan.points.remind_days"] == 365
    for bad, message in (("366", "from 1 to 365, not 366"), ("0", "from 1 to 365, not 0"),
                         ("2.5", "a whole number, not '2.5'")):
        with pytest.raises(SettingsError, match=message):
            read_whole_numbers({"kairan.points.remind_days": bad}, days, maximums=most)
    zero_ok = read_whole_numbers({"k": "0"}, {"k": "5"}, minimums={"k": 0})
    assert zero_ok["k"] == 0


def test_includeme_registers_everything():
    from kairan.config import configure
    from kairan.dashboard.services import registered_tiles
    from kairan.export.services import registered_exporters
    from kairan.kpi.services import registered_kpis
    from kairan.security.assurance import assurance_action

    config = configure({"sqlalchemy.url": "sqlite://", "kairan.env": "testing",
                        "kairan.addons": "kairan_points",
                        "kairan.assurance.points.pay": "3"}, environ={})
    try:
        registry = config.registry
        assert "points" in registered_tiles(registry)
        assert {"points_transfers", "points_balances", "points_programmes",
                "points_pending_grants"} <= set(registered_exporters(registry))
        assert {"points.issued", "points.spent"} <= set(registered_kpis(registry))
        assert assurance_action(registry, "points.grant").level == 2
        assert assurance_action(registry, "points.pay").level == 3
        routes = {i["introspectable"]["name"]
                  for i in registry.introspector.get_category("routes")}
        assert {"points.wallet", "points.transfer", "points.manage", "points.grant",
                "points.correct", "points.approvals", "points.decide"} <= routes
    finally:
        config.registry["db_engine"].dispose()
