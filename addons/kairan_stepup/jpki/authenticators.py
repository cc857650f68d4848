"""The MyNumber card as the core sees it (one level 3 ``IAuthenticator``, amr ``sc``), as
the settings page lists it (``IFactorKind`` ``jpki``), and the card-reader app
route (``IMyNumberProvider`` ``jpki``)."""

from zope.interface import implementer

from kairan.i18n.translation import _
from kairan.security.interfaces import IAuthenticator
from kairan_stepup.factors import Factor
from kairan_stepup.interfaces import IFactorKind, IMyNumberProvider
from kairan_stepup.jpki.services import (
    AMR,
    LEVEL,
    bindings_of,
    enabled_providers,
    providers,
    remove_bindings,
)


def _mynumber_url(request, mode, came_from):
    return request.route_url("mynumber", _query={"mode": mode, "came_from": came_from})


@implementer(IAuthenticator)
class MyNumberAuthenticator:
    """Every MyNumber provider behind one entry on the step-up and sign-in pages."""

    name = AMR
    level = LEVEL
    title = _("MyNumber card")
    description = _("Use your MyNumber card and its four-digit PIN, with a card reader or "
                    "the Digital Agency's authentication app.")

    def is_available(self, request):
        if request.user is None:
            return False
        names = [p.name for p in enabled_providers(request)]
        return bool(names) and bool(bindings_of(request.dbsession, request.user.id, names))

    def start_url(self, request, came_from, level):
        return _mynumber_url(request, "stepup", came_from)

    def enrol_url(self, request):
        return _mynumber_url(request, "enrol", request.path_qs) \
            if enabled_providers(request) else None

    def sign_in_url(self, request, came_from):
        return _mynumber_url(request, "signin", came_from) \
            if enabled_providers(request) else None


@implementer(IFactorKind)
class MyNumberFactorKind:
    """Linked cards, whichever provider linked them."""

    name = "jpki"
    title = _("MyNumber card")
    order = 30

    def factors(self, request, user):
        titles = {p.name: request.localizer.translate(p.title)
                  for p in providers(request.registry)}
        return [Factor(kind=self.name, id=str(b.id), nickname=titles.get(b.provider, b.provider),
                       level=LEVEL, added=b.created, last_used=b.last_used)
                for b in bindings_of(request.dbsession, user.id)]

    def add_url(self, request):
        return _mynumber_url(request, "enrol", request.path_qs) \
            if enabled_providers(request) else None

    def remove(self, request, user, factor_id):
        try:
            binding_id = int(factor_id)
        except (TypeError, ValueError):
            return False
        return remove_bindings(request, user, binding_id) == 1

    def remove_all(self, request, user):
        return remove_bindings(request, user)


@implementer(IMyNumberProvider)
class CardReaderProvider:
    """The card-reader app signs our challenge with the card's user certificate."""

    name = "jpki"
    title = _("Card-reader app")
    description = _("Sign a request with the card-reader app on this computer or "
                    "smartphone; you will copy a line of text into the app and paste its "
                    "answer back.")
    order = 10

    def is_enabled(self, request):
        return bool(request.registry.settings["kairan.stepup.jpki.trust_anchors"])

    def start_url(self, request):
        return request.route_path("jpki.challenge")
