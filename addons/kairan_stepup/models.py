"""Every table of the add-on (``kairan.db.migrate.load_models`` imports this module).

Each part keeps its models in its own module; this one only imports them so that
``Base.metadata`` knows them all.
"""

from kairan_stepup.challenges import Challenge  # noqa: F401
from kairan_stepup.jpki.models import MyNumberBinding  # noqa: F401
from kairan_stepup.totp.models import RecoveryCode, TotpDevice  # noqa: F401
from kairan_stepup.webauthn.models import WebAuthnCredential, WebAuthnUser  # noqa: F401
