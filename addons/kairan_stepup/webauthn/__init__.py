def includeme(config):
    """WebAuthn: security keys and passkeys, for step-up and passwordless sign-in.

    - settings ``kairan.stepup.webauthn.{rp_id,rp_name,origin}`` (by default from
      ``kairan.base_url`` and ``kairan.site_title``; never from the request) and
      ``...synced_passkey_level`` (2) / ``...hardware_key_level`` (3)
    - authenticators ``hwk`` (a device-bound key that checks a PIN or fingerprint)
      and ``swk`` (a synced passkey; also the sign-in page's passwordless way in)
    - factor kind ``webauthn`` for the security settings page
    - pages: ``/webauthn/keys`` (register), ``/webauthn/stepup``, ``/webauthn/signin``,
      each with JSON ``options`` / verify endpoints for ``static/webauthn.js``
    """
    from kairan_stepup.webauthn.authenticators import (
        PasskeyAuthenticator,
        SecurityKeyAuthenticator,
        WebAuthnFactorKind,
    )
    from kairan_stepup.webauthn.services import PREFIX, read_settings

    settings = read_settings(config)
    config.add_translation_dirs("kairan_stepup.webauthn:locale")
    config.add_static_view("stepup-webauthn-static", "kairan_stepup.webauthn:static",
                           cache_max_age=3600)
    config.add_authenticator(SecurityKeyAuthenticator(settings[PREFIX + "hardware_key_level"]))
    config.add_authenticator(PasskeyAuthenticator(settings[PREFIX + "synced_passkey_level"]))
    config.add_factor_kind(WebAuthnFactorKind())

    add = config.add_route
    add("stepup.webauthn.keys", "/webauthn/keys")
    add("stepup.webauthn.register_options", "/webauthn/keys/options")
    add("stepup.webauthn.register", "/webauthn/keys/register")
    add("stepup.webauthn.stepup", "/webauthn/stepup")
    add("stepup.webauthn.stepup_options", "/webauthn/stepup/options")
    add("stepup.webauthn.stepup_verify", "/webauthn/stepup/verify")
    add("stepup.webauthn.signin", "/webauthn/signin")
    add("stepup.webauthn.signin_options", "/webauthn/signin/options")
    add("stepup.webauthn.signin_verify", "/webauthn/signin/verify")
    config.scan(".views")
