"""The add-on's settings, read once at start-up into the registry's settings.

``kairan.merchants.programmes`` and ``kairan.merchants.areas`` are lists of
``code:日本語名[:English name]`` entries separated by spaces; they are parsed
into ``kairan.merchants.programme_list`` / ``area_list`` (lists of
``Choice``). The points add-on will own programmes when it exists; until then
a merchant's programmes are codes from this setting.
"""

from dataclasses import dataclass

from pyramid.settings import aslist

from kairan.settings import SettingsError

DEFAULTS = {
    # the point programmes a shop may join: code:日本語名[:English]
    "kairan.merchants.programmes": (
        "regional2025:県地域ポイント2025:Prefectural_regional_points_2025 "
        "community:地域活動ポイント:Community_activity_points"
    ),
    # the areas of the city the directory is searched by: code:日本語名[:English]
    "kairan.merchants.areas": (
        "chuo:中央地区:Central kita:北地区:North minami:南地区:South "
        "higashi:東地区:East nishi:西地区:West"
    ),
    # a map service's search URL; {query} is replaced by the URL-encoded address
    "kairan.merchants.map_url": "https://www.openstreetmap.org/search?query={query}",
    # if set (e.g. https://city.example.jp/pay?c=), the QR code holds this prefix and the
    # signed payload, so a phone camera opens the payment page; empty: the payload alone
    "kairan.merchants.qr_prefix": "",
    # how long the applicant's secret status link works, counted from the application
    "kairan.merchants.link_days": "365",
    # applications accepted per address per hour
    "kairan.merchants.apply_limit": "10",
}


@dataclass(frozen=True)
class Choice:
    code: str
    title: str
    title_en: str

    def label(self, locale):
        return self.title_en if locale == "en" and self.title_en else self.title


def parse_choices(value, key):
    """``[Choice]`` from ``code:名前[:Name]`` entries; '_' in a name stands for a space."""
    choices = []
    for entry in aslist(value) if isinstance(value, str) else value:
        parts = entry.split(":", 2)
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise SettingsError(f"{key}: {entry!r} is not code:name[:English name]")
        english = parts[2].replace("_", " ") if len(parts) == 3 else ""
        choices.append(Choice(parts[0], parts[1].replace("_", " "), english))
    if len({c.code for c in choices}) != len(choices):
        raise SettingsError(f"{key}: a code is listed twice")
    return choices


def read_settings(config):
    settings = config.get_settings()
    for key, value in DEFAULTS.items():
        if settings.get(key) in (None, ""):
            settings[key] = value
    for key in ("kairan.merchants.link_days", "kairan.merchants.apply_limit"):
        settings[key] = int(settings[key])
    settings["kairan.merchants.programme_list"] = parse_choices(
        settings["kairan.merchants.programmes"], "kairan.merchants.programmes")
    settings["kairan.merchants.area_list"] = parse_choices(
        settings["kairan.merchants.areas"], "kairan.merchants.areas")
    if "{query}" not in settings["kairan.merchants.map_url"]:
        raise SettingsError("kairan.merchants.map_url must contain {query}")
    return settings
