def includeme(config):
    """The Digital Agency's authentication app (デジタル認証アプリ) as a MyNumber provider.

    An OpenID Connect relying party that asks for ``acr_values=aal3`` and accepts
    an ID token only if its ``acr`` says so; the account is bound to a hash of
    the provider's ``sub``. Off while ``kairan.stepup.oidc.issuer`` is empty.

    Settings: ``kairan.stepup.oidc.issuer``, ``.client_id``, ``.client_secret``
    (environment ``KAIRAN_STEPUP_OIDC_CLIENT_SECRET``), ``.redirect_uri``
    (default ``<kairan.base_url>/mynumber/app/callback``, to be registered with
    the provider), ``.acr`` (``aal3``), ``.scope`` (``openid``),
    ``.token_endpoint_auth_method`` (``client_secret_basic``),
    ``.timeout_seconds`` (10).
    """
    from kairan_stepup.oidc.provider import AuthenticationAppProvider
    from kairan_stepup.settings import coerce

    settings = coerce(config, DEFAULTS, ints=("kairan.stepup.oidc.timeout_seconds",))
    if not settings["kairan.stepup.oidc.redirect_uri"]:
        settings["kairan.stepup.oidc.redirect_uri"] = (
            settings["kairan.base_url"].rstrip("/") + CALLBACK_PATH)
    config.add_translation_dirs("kairan_stepup:oidc/locale")
    config.add_route("oidc.start", "/mynumber/app")
    config.add_route("oidc.callback", CALLBACK_PATH)
    config.add_mynumber_provider(AuthenticationAppProvider())
    config.scan(".views")


CALLBACK_PATH = "/mynumber/app/callback"

DEFAULTS = {
    "kairan.stepup.oidc.issuer": "",
    "kairan.stepup.oidc.client_id": "",
    "kairan.stepup.oidc.client_secret": "",
    "kairan.stepup.oidc.redirect_uri": "",
    "kairan.stepup.oidc.acr": "aal3",
    "kairan.stepup.oidc.scope": "openid",
    "kairan.stepup.oidc.token_endpoint_auth_method": "client_secret_basic",
    "kairan.stepup.oidc.timeout_seconds": "10",
}
