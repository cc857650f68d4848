"""The one place where a Kairan application is assembled."""

from pyramid.config import Configurator

from kairan.settings import load_settings

# The order matters: the database first (everything queries it), then i18n
# and security (views and directives below rely on both), then the features
# that register directives add-ons use, and the generic views last so that
# a feature's own route wins over the content traversal fallback.
CORE_FEATURES = (
    "kairan.db",
    "kairan.i18n",
    "kairan.security",
    "kairan.audit",
    "kairan.mail",
    "kairan.accounts",
    "kairan.content",
    "kairan.pagecache",
    "kairan.dashboard",
    "kairan.export",
    "kairan.kpi",
    "kairan.api",
    "kairan.demo",
    "kairan.views",
)

DEFAULT_THEME = "kairan_theme_default"


def configure(settings, environ=None):
    """Return a committed Configurator for ``settings`` (a dict from an .ini)."""
    settings = load_settings(settings, environ)
    config = Configurator(settings=settings)
    for feature in CORE_FEATURES:
        config.include(feature)
    # Add-ons see every core directive; each one is included like a third
    # party's would be, by its dotted name.
    for addon in settings["kairan.addons"]:
        config.include(addon)
    config.include(DEFAULT_THEME)
    if settings["kairan.theme"] != DEFAULT_THEME:
        config.include(settings["kairan.theme"])
    config.commit()
    return config
