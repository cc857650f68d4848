def includeme(config):
    """TOTP authenticator apps and recovery codes: level 2, amr ``otp``.

    - ``IAuthenticator`` ``otp`` (level 2): the step-up page ``/stepup/otp`` takes a
      code from the app or a recovery code; enrolment at ``/account/security/totp``
    - factor kinds ``totp`` and ``recovery`` for the security settings page
    - rate limiters ``stepup.otp`` (``kairan.stepup.otp.limit`` failures per
      ``kairan.stepup.otp.window_seconds``) and ``stepup.otp.day``
      (``kairan.stepup.otp.daily_limit`` per 24 hours), per account, shared by
      TOTP and recovery codes
    """
    from kairan_stepup.crypto import cipher
    from kairan_stepup.settings import coerce
    from kairan_stepup.totp.factors import OtpAuthenticator, RecoveryCodeKind, TotpKind

    settings = coerce(config, {
        "kairan.stepup.otp.limit": "5",
        "kairan.stepup.otp.window_seconds": "900",
        "kairan.stepup.otp.daily_limit": "20",
    }, ints=("kairan.stepup.otp.limit", "kairan.stepup.otp.window_seconds",
             "kairan.stepup.otp.daily_limit"))
    cipher(config.registry)  # a malformed encryption key fails at start-up, not at sign-in
    config.add_translation_dirs("kairan_stepup:totp/locale")
    config.register_rate_limiter("stepup.otp", settings["kairan.stepup.otp.limit"],
                                 settings["kairan.stepup.otp.window_seconds"])
    config.register_rate_limiter("stepup.otp.day", settings["kairan.stepup.otp.daily_limit"],
                                 86400)
    config.add_route("stepup.otp", "/stepup/otp")
    config.add_route("stepup.recovery", "/stepup/otp/recovery")
    config.add_route("stepup.totp.enrol", "/account/security/totp")
    config.add_authenticator(OtpAuthenticator())
    config.add_factor_kind(TotpKind())
    config.add_factor_kind(RecoveryCodeKind())
    config.scan(".views")
