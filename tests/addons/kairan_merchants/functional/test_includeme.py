"""What ``includeme`` registers."""

from kairan_merchants.interfaces import IMerchantDirectory

from kairan.export.services import registered_exporters
from kairan.security.roles import role_titles


def test_includeme_registers_the_role_the_directory_and_the_exporters(registry):
    assert "MerchantStaff" in role_titles(registry)
    assert IMerchantDirectory.providedBy(registry.getUtility(IMerchantDirectory))
    assert "merchants" in registered_exporters(registry)
    settings = registry.settings
    assert [p.code for p in settings["kairan.merchants.programme_list"]] == [
        "regional2025", "community"]


def test_another_addon_can_list_a_page_on_the_merchant_home(app_config):
    """``add_merchant_page`` on a throw-away configurator (the app's own is committed)."""
    from kairan_merchants.interfaces import IMerchantPage
    from kairan_merchants.pages import add_merchant_page
    from pyramid.config import Configurator

    config = Configurator(settings={})
    config.add_directive("add_merchant_page", add_merchant_page)
    config.add_merchant_page("points.sales", "points.merchant_sales", "Sales")
    config.commit()
    page = config.registry.getUtility(IMerchantPage, name="points.sales")
    assert page.route_name == "points.merchant_sales"
