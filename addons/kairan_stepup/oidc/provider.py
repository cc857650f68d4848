"""The Digital Agency's authentication app as an ``IMyNumberProvider``."""

from zope.interface import implementer

from kairan.i18n.translation import _
from kairan_stepup.interfaces import IMyNumberProvider


@implementer(IMyNumberProvider)
class AuthenticationAppProvider:
    name = "oidc"
    title = _("Digital Agency's authentication app")
    description = _("Confirm with the Digital Agency's authentication app on your smartphone: "
                    "you will read your card with the phone and enter its PIN there.")
    order = 20

    def is_enabled(self, request):
        return bool(request.registry.settings["kairan.stepup.oidc.issuer"])

    def start_url(self, request):
        return request.route_path("oidc.start")
