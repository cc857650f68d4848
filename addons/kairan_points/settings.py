"""The add-on's settings, read once at start-up into the registry's settings.

Keys (same in every ``etc/*.ini``; defaults below):

- ``kairan.points.grant_approval_threshold``: a manual grant above this many
  points waits for a second operator's approval.
- ``kairan.points.max_grant``: the most one manual grant or correction may move.
- ``kairan.points.history_page_size``: transfers per page of a wallet's history.
"""

from kairan.settings import SettingsError

DEFAULTS = {
    "kairan.points.grant_approval_threshold": "10000",
    "kairan.points.max_grant": "1000000",
    "kairan.points.history_page_size": "50",
}


def read_settings(settings):
    """Fill in defaults and coerce to int; a bad value fails at start-up naming the key."""
    for key, default in DEFAULTS.items():
        raw = settings.get(key)
        if raw in (None, ""):
            raw = default
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise SettingsError(f"setting {key} must be a whole number, not {raw!r}") from None
        if value < 1:
            raise SettingsError(f"setting {key} must be at least 1, not {value}")
        settings[key] = value
    return settings
