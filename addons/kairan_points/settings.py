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


def read_whole_numbers(settings, defaults, minimums=None, maximums=None):
    """Fill in ``defaults`` and coerce each key to an int of at least ``minimums[key]``
    (default 1) and at most ``maximums[key]`` (if given); a bad value fails at start-up
    naming the key. Every setting of the add-on that is a number is read by this."""
    minimums, maximums = minimums or {}, maximums or {}
    for key, default in defaults.items():
        raw = settings.get(key)
        raw = default if raw in (None, "") else raw
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise SettingsError(f"setting {key} must be a whole number, not {raw!r}") from None
        low, high = minimums.get(key, 1), maximums.get(key)
        if value < low or (high is not None and value > high):
            span = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise SettingsError(f"setting {key} must be {span}, not {value}")
        settings[key] = value
    return settings


def read_settings(settings):
    return read_whole_numbers(settings, DEFAULTS)
