"""Extension points of the security core."""

from zope.interface import Attribute, Interface


class IAuthenticator(Interface):
    """A way of proving who you are, at one assurance level.

    The core provides level 1 (password). Add-ons register stronger ones
    with ``config.add_authenticator(authenticator)``; the step-up page lists
    those that reach the level a view needs. When the factor succeeds, the
    add-on's own view calls ``kairan.security.assurance.complete_step_up``.
    """

    name = Attribute("Unique name, ideally an RFC 8176 amr value: 'otp', 'hwk', 'sc'.")
    level = Attribute("The assurance level (1, 2 or 3) a success proves.")
    title = Attribute("A translatable title shown on the step-up page.")
    description = Attribute("A translatable sentence saying what the resident will do.")

    def is_available(request):
        """True if the signed-in user can use this authenticator now (e.g. has enrolled)."""

    def start_url(request, came_from, level):
        """The URL of the page that runs this factor and then returns to ``came_from``."""

    # Optional (looked up with getattr; an authenticator may leave them out):
    #
    # def enrol_url(request):
    #     """Where the signed-in user sets this factor up; shown on the step-up page
    #     when ``is_available`` is False. None if it cannot be set up by the user."""
    #
    # def sign_in_url(request, came_from):
    #     """A page that signs a visitor in with this factor alone (a passkey, the
    #     MyNumber card), listed on the sign-in page; None if it cannot. On success
    #     it calls ``kairan.accounts.views.signin.complete_sign_in``."""


class IRateLimiter(Interface):
    """A named counter of attempts per key within a fixed window.

    Registered with ``config.register_rate_limiter(name, limit, window)`` and
    looked up with ``kairan.security.ratelimit.get_rate_limiter(request, name)``.
    """

    name = Attribute("The limiter's unique name, e.g. 'login.account'.")
    limit = Attribute("Attempts allowed per key per window.")
    window = Attribute("Window length in seconds.")

    def hit(request, key):
        """Count one attempt for ``key``; return True while the key is within its limit."""

    def exceeded(request, key):
        """True if ``key`` has used up its attempts in the current window (counts nothing)."""

    def clear(request, key):
        """Forget the attempts of ``key`` (after a success)."""

    def retry_after(request):
        """Seconds until the current window ends."""
