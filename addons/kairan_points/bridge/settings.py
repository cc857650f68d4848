"""The bridge's settings (same keys in every ``etc/*.ini``; defaults below).

- ``kairan.points.bridge.url``: the service's base URL; empty: the bridge is off
  (unless ``connector`` names another connector).
- ``kairan.points.bridge.secret``: the shared HMAC secret (better: the
  environment variable ``KAIRAN_POINTS_BRIDGE_SECRET``); needed when the URL is set.
- ``kairan.points.bridge.connector``: ``http`` (built in) or the dotted name of
  a factory ``factory(settings) -> ICurrencyBridge``.
- ``kairan.points.bridge.programmes``: codes of the programmes that may be
  bridged (empty: every programme).
- ``kairan.points.bridge.max_amount``: the most one move may carry.
- ``kairan.points.bridge.timeout``: seconds to wait for the service (1 to 120).
- ``kairan.points.bridge.max_attempts``: attempts before a move is ``failed``.
- ``kairan.points.bridge.backoff_seconds``: the first retry's delay; doubled
  each attempt (at most six hours), with random jitter.
- ``kairan.points.bridge.webhook_window``: seconds an inbound request's
  timestamp may be off.
"""

from pyramid.settings import aslist

from kairan.settings import SettingsError
from kairan_points.settings import read_whole_numbers

# a worker's claim on a move lasts five minutes: a call must end well before
MAX_TIMEOUT = 120
INT_DEFAULTS = {
    "kairan.points.bridge.max_amount": "100000",
    "kairan.points.bridge.timeout": "10",
    "kairan.points.bridge.max_attempts": "8",
    "kairan.points.bridge.backoff_seconds": "30",
    "kairan.points.bridge.webhook_window": "300",
}
TEXT_DEFAULTS = {
    "kairan.points.bridge.url": "",
    "kairan.points.bridge.secret": "",
    "kairan.points.bridge.connector": "http",
}


def read_settings(settings):
    """Coerce the bridge's settings in place; a bad value fails at start-up naming the key."""
    read_whole_numbers(settings, INT_DEFAULTS,
                       maximums={"kairan.points.bridge.timeout": MAX_TIMEOUT})
    for key, default in TEXT_DEFAULTS.items():
        settings[key] = (settings.get(key) or default).strip()
    programmes = settings.get("kairan.points.bridge.programmes") or []
    settings["kairan.points.bridge.programmes"] = (
        programmes if isinstance(programmes, list) else aslist(programmes))
    url = settings["kairan.points.bridge.url"]
    if url:
        if not url.startswith(("https://", "http://")):
            raise SettingsError("setting kairan.points.bridge.url must be an http(s) URL")
        if settings.get("kairan.production") and not url.startswith("https://"):
            raise SettingsError("production needs an https:// kairan.points.bridge.url")
        if len(settings["kairan.points.bridge.secret"]) < 16:
            raise SettingsError("kairan.points.bridge.url needs kairan.points.bridge.secret "
                                "(environment KAIRAN_POINTS_BRIDGE_SECRET), at least 16 "
                                "characters")
    return settings
