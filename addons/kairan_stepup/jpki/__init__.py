def includeme(config):
    """The MyNumber card: level 3, amr ``sc``.

    - ``config.add_mynumber_provider(provider)`` registers a route to the card
      (``IMyNumberProvider``); this part adds the card-reader app (``jpki``),
      ``kairan_stepup.oidc`` the Digital Agency's app.
    - ``config.set_revocation_checker(checker)`` replaces the CRL files with an
      operator's ``IRevocationChecker`` (an OCSP client).
    - one ``IAuthenticator`` ``sc`` and one ``IFactorKind`` ``jpki`` for every
      provider; the page ``/mynumber`` lists the enabled providers.

    Settings (lists of file paths, re-read when a file changes):
    ``kairan.stepup.jpki.trust_anchors`` (PEM: J-LIS's CA certificates; without
    them the card-reader route is off) and ``kairan.stepup.jpki.crl_files``
    (PEM or DER CRLs, fetched by cron; a certificate without a current CRL is
    refused).
    """
    from kairan_stepup.jpki.authenticators import (
        CardReaderProvider,
        MyNumberAuthenticator,
        MyNumberFactorKind,
    )
    from kairan_stepup.jpki.revocation import set_revocation_checker
    from kairan_stepup.jpki.services import add_mynumber_provider
    from kairan_stepup.settings import coerce

    coerce(config, DEFAULTS, lists=tuple(DEFAULTS))
    config.add_translation_dirs("kairan_stepup:jpki/locale")
    config.add_directive("add_mynumber_provider", add_mynumber_provider)
    config.add_directive("set_revocation_checker", set_revocation_checker)
    config.add_route("mynumber", "/mynumber")
    config.add_route("jpki.challenge", "/mynumber/card")
    config.add_route("jpki.verify", "/mynumber/card/verify")
    config.add_authenticator(MyNumberAuthenticator())
    config.add_factor_kind(MyNumberFactorKind())
    config.add_mynumber_provider(CardReaderProvider())
    config.scan(".views")


DEFAULTS = {
    "kairan.stepup.jpki.trust_anchors": "",
    "kairan.stepup.jpki.crl_files": "",
}
