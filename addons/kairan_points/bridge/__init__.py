"""The bridge to an external regional currency app: points out and back in.

- settings ``kairan.points.bridge.*`` (see ``kairan_points.bridge.settings``);
  the bridge is on when ``kairan.points.bridge.url`` is set (the built-in
  HTTP connector) or ``kairan.points.bridge.connector`` names a factory, or
  when an add-on calls the directive ``config.set_currency_bridge(bridge)``
- the protected action ``points.bridge`` (level 2)
- routes: ``/points/bridge`` (the resident's form and history),
  ``/points/bridge/confirm`` (GET shows, POST moves; both behind the step-up),
  ``/points/bridge/webhook`` (POST, the service's signed credits),
  ``/manage/points/bridge`` (operators: the outbox by status, the
  reconciliations) and ``/manage/points/bridge/{id}/retry`` (POST, audited).
  With the bridge off the pages answer 404 saying so.
- exporters ``points_bridge_moves``, ``points_bridge_credits``; the personal data
  section ``points_bridge``
- CLI: ``kairan points bridge send`` and ``kairan points bridge reconcile``
"""

from pyramid.util import DottedNameResolver

BRIDGE_DISCRIMINATOR = "kairan_points.currency_bridge"


def set_currency_bridge(config, bridge):
    """Directive: make ``bridge`` (an ``ICurrencyBridge``, or a dotted name of one, or of a
    factory called with the settings) the registry's currency bridge. Two add-ons
    setting one each conflict at start-up."""
    from kairan_points.bridge.interfaces import ICurrencyBridge

    def register():
        found = DottedNameResolver().maybe_resolve(bridge)
        if not ICurrencyBridge.providedBy(found):
            found = found(config.get_settings())
        if not ICurrencyBridge.providedBy(found):
            raise TypeError(f"{bridge!r} does not provide ICurrencyBridge")
        config.registry.registerUtility(found, ICurrencyBridge)
        # what templates ask (the wallet's link) without importing the interface
        config.registry.settings["kairan.points.bridge.enabled"] = True

    config.action(BRIDGE_DISCRIMINATOR, register)


WEBHOOK_LIMITER = "points.bridge.webhook"
WEBHOOK_REJECTIONS = 30
WEBHOOK_WINDOW = 600


def includeme(config):
    from kairan.i18n.translation import _
    from kairan_points.bridge.exporters import EXPORTERS
    from kairan_points.bridge.providers import BridgeData
    from kairan_points.bridge.settings import read_settings
    from kairan_points.views import PointsManagement

    settings = read_settings(config.get_settings())
    config.add_directive("set_currency_bridge", set_currency_bridge)
    connector = settings["kairan.points.bridge.connector"]
    if connector != "http":
        config.set_currency_bridge(connector)
    elif settings["kairan.points.bridge.url"]:
        from kairan_points.bridge.connector import HttpCurrencyBridge

        config.set_currency_bridge(HttpCurrencyBridge.from_settings(settings))
    config.add_translation_dirs("kairan_points:bridge/locale")
    config.add_assurance_action("points.bridge", 2,
                                _("moving points to the regional currency app"))
    # Webhook requests refused for their signature, per address: past the limit they get
    # 429 and write no audit entry, so a flood cannot grow the audit log.
    config.register_rate_limiter(WEBHOOK_LIMITER, WEBHOOK_REJECTIONS, WEBHOOK_WINDOW)
    config.add_route("points.bridge", "/points/bridge")
    config.add_route("points.bridge_confirm", "/points/bridge/confirm")
    config.add_route("points.bridge_webhook", "/points/bridge/webhook")
    config.add_route("points.bridge_manage", "/manage/points/bridge", factory=PointsManagement)
    config.add_route("points.bridge_retry", "/manage/points/bridge/{id:\\d+}/retry",
                     factory=PointsManagement)
    for exporter in EXPORTERS:
        config.add_exporter(exporter)
    config.add_personal_data_provider(BridgeData())
    config.scan("kairan_points.bridge.views")
