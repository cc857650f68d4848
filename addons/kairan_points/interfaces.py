"""What other add-ons use to make residents earn points: events and rules.

The events contract
-------------------
An event is a plain object of a class the publishing add-on defines (the
rides add-on's ``RideCompleted``, the health add-on's ``StepsWalked``); it
needs no base class, only these attributes:

- ``user_id`` (int): the resident who earns.
- ``event_key`` (str, at most 100 characters): stable and unique for what
  happened, e.g. ``"ride:8812"``. Publishing the same event twice (a retry,
  a replayed queue) gives the same key, and a rule pays once per key.
- ``occurred_at`` (aware datetime, optional): when it happened; the per-day
  and per-month caps count in the Asia/Tokyo day and month of this moment
  (default: now).

Publish it with ``kairan_points.earning.publish(request, event)`` (returns
the awards) or ``request.registry.notify(event)``: the rules registered for
the event's class (or a base class of it) run in the request's
transaction; points move only through the ledger, the budget is the
programme's issuing account's floor, and every award, paid or not, is
recorded, audited and shown in the resident's history.

Rules
-----
``config.add_points_rule(EventClass, rule)`` registers a rule (an object
providing ``IPointsRule``). Two rules with one ``name`` conflict at start-up.
"""

from zope.interface import Attribute, Interface


class IPointsRule(Interface):
    """Turns an event into an award of points."""

    name = Attribute("Unique name of the rule (letters, digits, '._-', at most 80 "
                     "characters); recorded with each award and part of its idempotency key.")
    daily_cap = Attribute("Most points the rule pays one person per Asia/Tokyo day, or None.")
    monthly_cap = Attribute("Most points the rule pays one person per Asia/Tokyo month, "
                            "or None.")

    def award(event):
        """An ``kairan_points.earning.services.Award`` request for ``event``, or None when the
        event earns nothing. Must not write to the database; the engine applies the caps
        and the budget and pays through the ledger."""
