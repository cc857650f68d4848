"""Reading and coercing settings once, at start-up.

Secrets and URLs come from the environment, which overrides the .ini file;
every other setting is read from the .ini with the same key in every file of
``etc/``. Production refuses to start with a missing or default secret.
"""

import os

from pyramid.settings import asbool, aslist

# environment variable -> setting key
ENVIRONMENT_OVERRIDES = {
    "KAIRAN_DATABASE_URL": "sqlalchemy.url",
    "KAIRAN_SECRET": "kairan.secret",
    "KAIRAN_BASE_URL": "kairan.base_url",
    "KAIRAN_SMTP_HOST": "kairan.mail.smtp_host",
    "KAIRAN_SMTP_USER": "kairan.mail.smtp_user",
    "KAIRAN_SMTP_PASSWORD": "kairan.mail.smtp_password",
    "KAIRAN_REDIS_URL": "kairan.redis_url",
    "KAIRAN_ADDONS": "kairan.addons",
    "KAIRAN_THEME": "kairan.theme",
    # the built-in add-ons' secrets
    "KAIRAN_STEPUP_KEYS": "kairan.stepup.encryption_keys",
    "KAIRAN_STEPUP_OIDC_CLIENT_SECRET": "kairan.stepup.oidc.client_secret",
    "KAIRAN_POINTS_BRIDGE_SECRET": "kairan.points.bridge.secret",
}

# Settings that must be set (and not left at an example value) in production.
PRODUCTION_SECRETS = ("kairan.secret", "sqlalchemy.url", "kairan.base_url")
DEFAULT_SECRET_MARKERS = ("change-me", "changeme", "development", "example", "secret")

DEFAULTS = {
    "kairan.env": "development",
    "kairan.site_title": "回覧板市",
    "kairan.base_url": "http://localhost:6543",
    "kairan.secret": "development-secret-change-me",
    "kairan.addons": "",
    "kairan.theme": "kairan_theme_default",
    "kairan.default_locale": "ja",
    "kairan.locales": "ja en",
    "kairan.audit.retention_days": "365",
    "kairan.session.idle_seconds": "43200",
    "kairan.session.max_seconds": "2592000",
    "kairan.session.aal2_idle_seconds": "3600",
    "kairan.session.aal2_max_seconds": "86400",
    "kairan.session.aal3_idle_seconds": "900",
    "kairan.session.aal3_max_seconds": "43200",
    "kairan.login.account_limit": "10",
    "kairan.login.address_limit": "100",
    "kairan.login.window_seconds": "900",
    "kairan.accounts.mail_limit": "5",
    "kairan.accounts.mail_window_seconds": "3600",
    "kairan.upload.max_bytes": str(10 * 1024 * 1024),
    "kairan.mail.sender": "noreply@kairan.example.jp",
    "kairan.mail.smtp_host": "",
    "kairan.mail.smtp_port": "587",
    "kairan.mail.smtp_user": "",
    "kairan.mail.smtp_password": "",
    "kairan.dashboard.order": "",
    "kairan.search.page_size": "10",
    "kairan.redis_url": "",
    "kairan.page_cache.entries": "1000",
    "kairan.page_cache.max_age": "60",
}

INT_KEYS = (
    "kairan.audit.retention_days",
    "kairan.session.idle_seconds",
    "kairan.session.max_seconds",
    "kairan.session.aal2_idle_seconds",
    "kairan.session.aal2_max_seconds",
    "kairan.session.aal3_idle_seconds",
    "kairan.session.aal3_max_seconds",
    "kairan.login.account_limit",
    "kairan.login.address_limit",
    "kairan.login.window_seconds",
    "kairan.accounts.mail_limit",
    "kairan.accounts.mail_window_seconds",
    "kairan.upload.max_bytes",
    "kairan.mail.smtp_port",
    "kairan.search.page_size",
    "kairan.page_cache.entries",
    "kairan.page_cache.max_age",
)
LIST_KEYS = ("kairan.addons", "kairan.locales", "kairan.dashboard.order")


class SettingsError(RuntimeError):
    """A setting is missing or unsafe; the message names it."""


def load_settings(settings, environ=None):
    """Return a new dict: defaults, then the .ini values, then the environment, coerced."""
    environ = os.environ if environ is None else environ
    result = dict(DEFAULTS)
    # an empty value in an .ini means "not set here": the default or the environment applies
    result.update({k: v for k, v in settings.items() if v not in (None, "")})
    for variable, key in ENVIRONMENT_OVERRIDES.items():
        if environ.get(variable):
            result[key] = environ[variable]
    for key in INT_KEYS:
        result[key] = int(result[key])
    for key in LIST_KEYS:
        value = result[key]
        result[key] = value if isinstance(value, list) else aslist(value)
    result["kairan.production"] = result["kairan.env"] == "production"
    result["kairan.debug"] = asbool(result.get("kairan.debug", False))
    result["kairan.base_url"] = result["kairan.base_url"].rstrip("/")
    check_production(result)
    return result


def check_production(settings):
    if not settings["kairan.production"]:
        return
    for key in PRODUCTION_SECRETS:
        value = str(settings.get(key) or "")
        # the development default of kairan.base_url counts as missing
        if not value or value == DEFAULTS.get(key, "").rstrip("/"):
            variable = next(v for v, k in ENVIRONMENT_OVERRIDES.items() if k == key)
            raise SettingsError(f"production needs the setting {key} (environment {variable})")
    if not settings["kairan.base_url"].startswith("https://"):
        # production cookies are Secure and __Host- prefixed: plain HTTP would lose them
        raise SettingsError("production needs an https:// kairan.base_url (KAIRAN_BASE_URL)")
    secret = settings["kairan.secret"]
    if len(secret) < 32 or any(marker in secret.lower() for marker in DEFAULT_SECRET_MARKERS):
        raise SettingsError(
            "production refuses the default or a weak kairan.secret: set KAIRAN_SECRET "
            "to at least 32 random characters"
        )
    if settings["sqlalchemy.url"].startswith("sqlite"):
        raise SettingsError("production needs PostgreSQL: set KAIRAN_DATABASE_URL")
