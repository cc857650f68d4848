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
