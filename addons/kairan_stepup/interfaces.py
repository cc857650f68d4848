"""Extension points of the step-up add-on."""

from zope.interface import Attribute, Interface


class IFactorKind(Interface):
    """One kind of second factor (TOTP, security keys, the MyNumber card...), as the
    resident's security settings page shows it. Registered with
    ``config.add_factor_kind(kind)``; two kinds with one name fail at start-up.
    """

    name = Attribute("Unique name: 'totp', 'webauthn', 'jpki', 'recovery'...")
    title = Attribute("A translatable heading for the kind on the settings page.")
    order = Attribute("Kinds are listed by this integer, then by name.")

    def factors(request, user):
        """The user's enrolled factors of this kind: a list of ``kairan_stepup.factors.Factor``."""

    def add_url(request):
        """Where the signed-in user enrols a new factor of this kind, or None."""

    def remove(request, user, factor_id):
        """Remove the user's factor ``factor_id`` (of this kind); return True if it existed.

        The settings page has already checked the fresh step-up and that this
        is not the last factor of a level the account requires; ``remove``
        deletes and audits.
        """

    def remove_all(request, user):
        """Remove every factor of this kind (operator-assisted reset); return how many."""


class IRevocationChecker(Interface):
    """Says whether a MyNumber card's user certificate has been revoked.

    The built-in checker reads CRL files (``kairan.stepup.jpki.crl_files``). A
    platform operator with access to J-LIS's OCSP responder (offered to
    certified verifiers only) registers its own with
    ``config.set_revocation_checker(checker)``; two registrations conflict at
    start-up.
    """

    def check(request, certificate, issuer):
        """Check ``certificate`` (a ``cryptography.x509.Certificate``) issued by ``issuer``.

        Return None when the certificate is known to be good. Raise
        ``kairan_stepup.jpki.revocation.Revoked`` when it is revoked, and
        ``kairan_stepup.jpki.revocation.StatusUnknown`` when its status cannot
        be established (no current CRL, responder unreachable): the card is
        then refused, never accepted on an unknown status.
        """


class IMyNumberProvider(Interface):
    """A route by which a resident proves possession of their MyNumber card (level 3).

    Two are built in: the card-reader app signing a challenge with the JPKI
    user certificate (``jpki``) and the Digital Agency's authentication app
    over OpenID Connect (``oidc``). Registered with
    ``config.add_mynumber_provider(provider)``; the MyNumber page lists each
    enabled one, for signing in, stepping up and linking the card.
    """

    name = Attribute("Unique name, also the binding's provider column: 'jpki', 'oidc'.")
    title = Attribute("A translatable title for the button.")
    description = Attribute("A translatable sentence saying what the resident will need.")
    order = Attribute("Providers are listed by this integer, then by name.")

    def is_enabled(request):
        """True if this route is configured and may be offered now."""

    def start_url(request):
        """The URL the MyNumber page POSTs to (fields ``mode`` and ``came_from``) to begin."""
