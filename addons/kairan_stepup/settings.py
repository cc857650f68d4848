"""The add-on's settings, read once at start-up into the registry's settings.

Each part calls ``coerce`` in its ``includeme`` with its own defaults, so a
key is documented next to the code that reads it. Secrets come from the
environment, which the core's ``kairan.settings.ENVIRONMENT_OVERRIDES`` maps
(``KAIRAN_STEPUP_KEYS``, ``KAIRAN_STEPUP_OIDC_CLIENT_SECRET``) and which
overrides the .ini.
"""

import base64
import hashlib

from pyramid.settings import asbool, aslist

from kairan.settings import SettingsError

DEFAULTS = {
    # Fernet keys (url-safe base64 of 32 bytes), space separated: the first encrypts,
    # every one decrypts, so a new key is put first and the old one kept until
    # `kairan stepup rotate-keys` has re-encrypted every seed.
    "kairan.stepup.encryption_keys": "",
    # how long a WebAuthn or MyNumber card challenge may be answered
    "kairan.stepup.challenge_seconds": "300",
}


def coerce(config, defaults, ints=(), lists=(), bools=()):
    """Put ``defaults`` under missing keys of the settings and coerce the named keys."""
    settings = config.get_settings()
    for key, value in defaults.items():
        if settings.get(key) in (None, ""):
            settings[key] = value
    for key in ints:
        settings[key] = int(settings[key])
    for key in lists:
        value = settings[key]
        settings[key] = value if isinstance(value, list) else aslist(value)
    for key in bools:
        settings[key] = asbool(settings[key])
    return settings


def development_key(secret):
    """A Fernet key derived from ``kairan.secret``: development and tests only."""
    digest = hashlib.sha256(b"kairan_stepup encryption key\0" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def read_settings(config):
    settings = coerce(config, DEFAULTS, ints=("kairan.stepup.challenge_seconds",),
                      lists=("kairan.stepup.encryption_keys",))
    if not settings["kairan.stepup.encryption_keys"]:
        if settings["kairan.production"]:
            raise SettingsError("production needs kairan.stepup.encryption_keys "
                                "(environment KAIRAN_STEPUP_KEYS): generate one with "
                                "`kairan stepup new-key`")
        settings["kairan.stepup.encryption_keys"] = [development_key(settings["kairan.secret"])]
    return settings
