def includeme(config):
    """Step-up sign-in: level 2 and 3 authenticators on the core's ``add_authenticator``.

    - TOTP with recovery codes (level 2, amr ``otp``): ``kairan_stepup.totp``
    - WebAuthn security keys (level 3, ``hwk``) and synced passkeys (level 2,
      ``swk``), passwordless sign-in: ``kairan_stepup.webauthn``
    - the MyNumber card's JPKI user certificate (level 3, ``sc``) and the
      Digital Agency's authentication app over OpenID Connect: ``kairan_stepup.jpki``
    - the resident's security settings page and the operator-assisted reset:
      ``kairan_stepup.account``

    Each part is a sub-package with its own ``includeme``, models, views and
    catalogue; ``config.add_factor_kind(kind)`` (an ``IFactorKind``) lists a
    part's factors on the security settings page.
    """
    from kairan_stepup.factors import add_factor_kind
    from kairan_stepup.settings import read_settings

    read_settings(config)
    config.add_translation_dirs("kairan_stepup:locale")
    config.add_directive("add_factor_kind", add_factor_kind)
    for part in PARTS:
        config.include(part)


# Each part registers its own routes, views, authenticators and factor kind.
PARTS = (
    "kairan_stepup.jpki",
    "kairan_stepup.oidc",
    "kairan_stepup.totp",
    "kairan_stepup.account",
    "kairan_stepup.webauthn",
)
