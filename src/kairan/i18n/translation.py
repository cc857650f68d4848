"""The message factory and the locale rules.

Message ids are English; Japanese is the default locale and has a catalogue
for every id. A visitor chooses the language with the switch in the header
(a cookie); otherwise Japanese.
"""

from pyramid.i18n import TranslationStringFactory

_ = TranslationStringFactory("kairan")

LOCALE_COOKIE = "kairan_locale"


def locale_negotiator(request):
    settings = request.registry.settings
    available = settings["kairan.locales"]
    # request.GET, not request.params: the locale must never make Pyramid read
    # (and buffer) a large POST body before the upload limit has refused it.
    for candidate in (request.GET.get("_LOCALE_"), request.cookies.get(LOCALE_COOKIE)):
        if candidate in available:
            return candidate
    # API clients have no language cookie: they say it in Accept-Language.
    # Browsers always send one, so pages keep Japanese unless switched.
    if request.path.startswith("/api/"):
        return request.accept_language.lookup(
            available, default_tag=settings["kairan.default_locale"])
    return settings["kairan.default_locale"]
