"""``config.add_merchant_page``: another add-on's page about one merchant.

The points add-on lists its sales and settlement pages on a merchant's home
page this way, without this add-on knowing it::

    config.add_route("points.merchant_sales", "/merchant/{merchant_id:\\d+}/sales",
                     factory=merchant_context_factory)  # IMerchantDirectory.context_for
    config.add_merchant_page("points.sales", "points.merchant_sales", _("Sales"))

The link's route gets ``merchant_id``; two pages with one name fail at start-up.
"""

from dataclasses import dataclass

from kairan_merchants.interfaces import IMerchantPage


@dataclass(frozen=True)
class MerchantPage:
    name: str
    route_name: str
    title: str  # translatable
    order: int = 100


def add_merchant_page(config, name, route_name, title, order=100):
    """Directive: list ``route_name`` under ``title`` on every merchant's home page."""
    page = MerchantPage(name, route_name, title, order)

    def register():
        config.registry.registerUtility(page, IMerchantPage, name=name)

    config.action(("kairan_merchants.page", name), register)


def merchant_pages(request, merchant_id):
    """``[(url, title)]`` of the registered pages, in order, for ``merchant_id``."""
    pages = sorted((p for _n, p in request.registry.getUtilitiesFor(IMerchantPage)),
                   key=lambda p: (p.order, p.name))
    translate = request.localizer.translate
    return [(request.route_path(p.route_name, merchant_id=merchant_id), translate(p.title))
            for p in pages]
