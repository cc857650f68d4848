"""Why the ledger refuses a movement: each error carries a translatable message.

A ``PointsRefused`` is raised before the ledger writes anything, so the
caller's transaction is still clean: a view shows ``error.message`` with
status 400 (or 409) and may go on. ``LedgerConflict`` is different: it is
raised after writes began, so the transaction must be rolled back and the
unit of work retried (pyramid_retry does it for requests; ``run_in_transaction``
for scripts and threads).
"""

from kairan.i18n.translation import _


class PointsError(Exception):
    """Base class of every points error."""

    status = 400
    message = _("The points could not be moved.")

    def __init__(self, message=None, **mapping):
        if message is not None:
            self.message = message
        if mapping:
            self.message = _(self.message, mapping=mapping)
        super().__init__(str(self.message))


class PointsRefused(PointsError):
    """A movement the rules do not allow; nothing was written."""


class InvalidAmount(PointsRefused):
    message = _("Enter a whole number of points greater than zero.")


class InsufficientPoints(PointsRefused):
    message = _("There are not enough points in the wallet.")


class BudgetExceeded(PointsRefused):
    message = _("This would exceed the programme's budget.")


class IdempotencyConflict(PointsRefused):
    status = 409
    message = _("This request was already made with different values.")


class UnknownAccount(PointsRefused):
    status = 404
    message = _("There is no such points account.")


class LedgerConflict(PointsError):
    """A guarded update found a row changed under it: roll back and retry."""

    message = _("The wallet changed at the same moment; please try again.")
