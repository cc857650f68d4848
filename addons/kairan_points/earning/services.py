"""The earning engine, community activities and check-ins, expiry reminders.

How an award is paid (``apply``), on PostgreSQL and SQLite alike:

1. The award already recorded for this rule and event key is returned as
   it is (a re-published event pays nothing twice).
2. The programme's issuing account and the resident's wallet are locked in
   id order (the ledger's own lock): every award to one wallet waits for
   the previous one, so the caps below count what is committed.
3. Again step 1 under the lock, then the caps: what the rule already paid
   this person in the event's Asia/Tokyo day and month; then the budget
   left in the issuing account. The award is reduced to what they allow,
   or skipped, and recorded with the limit that held.
4. Points move through ``ledger.transfer`` (reason code ``rule``) with the
   key ``rule:<rule>:<event key>``; the award row (unique rule and event
   key) is the database's last word against paying twice.
"""

import base64
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from kairan.db.meta import utcnow
from kairan.i18n.translation import _
from kairan_points import ledger
from kairan_points.earning.models import (
    AWARDED,
    REDUCED,
    SKIPPED,
    Activity,
    Award,
    CheckIn,
    Reminder,
)
from kairan_points.errors import PointsRefused
from kairan_points.models import ISSUER, WALLET, Account, Lot, Programme
from kairan_points.services import expiry_for, tokyo_date

log = logging.getLogger(__name__)

RULES = "kairan_points.rules"
RULE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
EVENT_KEY_MAX = 100


@dataclass(frozen=True)
class Earning:
    """What a rule asks to pay for an event: ``points`` of ``programme_code`` with a
    ``reason`` the resident sees. ``user_id`` and ``key`` default to the event's
    ``user_id`` and ``event_key``."""

    programme_code: str
    points: int
    reason: str = ""
    user_id: int | None = None
    key: str | None = None


# -- registering rules ----------------------------------------------------------------

def add_points_rule(config, event_type, rule):
    """``config.add_points_rule(EventClass, rule)``: ``rule`` (an ``IPointsRule``) runs
    for every published event that is an instance of ``EventClass``. Two rules with
    one name conflict at start-up."""
    name = getattr(rule, "name", None)
    if not isinstance(name, str) or not RULE_NAME_RE.match(name):
        raise ValueError(f"a points rule needs a name of letters, digits and '._-': {name!r}")
    if not isinstance(event_type, type):
        raise TypeError("add_points_rule: the event type must be a class")
    registry = config.registry

    def register():
        registry.setdefault(RULES, []).append((event_type, rule))

    config.action(("kairan_points.points_rule", name), register)
    subscribed = registry.setdefault("kairan_points.rule_events", set())
    if event_type not in subscribed:
        subscribed.add(event_type)
        config.add_subscriber(_on_event, event_type)


def rules_for(registry, event):
    return [rule for event_type, rule in registry.get(RULES, ()) if isinstance(event, event_type)]


def _on_event(event):
    """``registry.notify(event)`` inside a request: the same as ``publish``."""
    from pyramid.threadlocal import get_current_request

    request = getattr(event, "request", None) or get_current_request()
    if request is None:
        log.warning("points event %r published outside a request: no rule ran", event)
        return
    publish(request, event)


def publish(request, event, now=None):
    """Run every rule for ``event`` in the request's transaction; audit each new award;
    return the awards (``award.replayed`` is True for one recorded before)."""
    awards = process(request.dbsession, request.registry, event, now=now)
    audit_awards(request, awards)
    return awards


def audit_awards(request, awards):
    from kairan.audit.services import audit

    for award in awards:
        if not award.replayed:
            audit(request, "points.earn", target=f"user:{award.user_id}", detail={
                "rule": award.rule, "event": award.event_key, "requested": award.requested,
                "points": award.points, "status": award.status, "limit": award.limit,
                "transfer": award.transfer_id})


def process(dbsession, registry, event, now=None):
    """Apply every rule registered for ``event``'s class; return the awards."""
    now = now or utcnow()
    awards = []
    for rule in rules_for(registry, event):
        earning = rule.award(event)
        if earning is None:
            continue
        award = apply(dbsession, rule, event, earning, now)
        if award is not None:
            awards.append(award)
    return awards


def _recorded(dbsession, rule_name, key):
    award = dbsession.scalars(
        select(Award).where(Award.rule == rule_name, Award.event_key == key)
        .execution_options(populate_existing=True)).first()
    if award is not None:
        award.replayed = True
    return award


def _paid(dbsession, rule_name, user_id, first, last):
    return int(dbsession.scalar(
        select(func.coalesce(func.sum(Award.points), 0))
        .where(Award.rule == rule_name, Award.user_id == user_id, Award.day >= first,
               Award.day <= last)) or 0)


def _month(day):
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def apply(dbsession, rule, event, earning, now):
    """Pay one rule's ``earning`` for ``event`` within the caps and the budget (see the
    module docstring); return the recorded ``Award``, or None if the programme is
    unknown (a configuration error, logged)."""
    key = earning.key or getattr(event, "event_key", None)
    user_id = earning.user_id or getattr(event, "user_id", None)
    if not isinstance(key, str) or not 0 < len(key) <= EVENT_KEY_MAX:
        raise ValueError(f"an event key is a string of 1 to {EVENT_KEY_MAX} characters")
    if not isinstance(user_id, int):
        raise ValueError("an earning needs the resident's user id")
    found = _recorded(dbsession, rule.name, key)
    if found is not None:
        return found
    try:
        requested = ledger.check_amount(earning.points)
    except PointsRefused:
        log.warning("points rule %s asked for %r points: nothing awarded", rule.name,
                    earning.points)
        return None
    programme = dbsession.scalars(
        select(Programme).where(Programme.code == earning.programme_code)).first()
    if programme is None:
        log.warning("points rule %s names unknown programme %r", rule.name,
                    earning.programme_code)
        return None
    occurred = getattr(event, "occurred_at", None) or now
    day = tokyo_date(occurred)
    wallet = ledger.wallet_account(dbsession, programme.id, user_id)
    issuer_id = ledger.system_account_id(dbsession, programme.id, ISSUER)
    locked = ledger.lock_accounts(dbsession, [issuer_id, wallet.id])
    found = _recorded(dbsession, rule.name, key)
    if found is not None:
        return found

    points, limit = requested, ""
    daily_cap = getattr(rule, "daily_cap", None)
    if daily_cap is not None:
        left = max(0, daily_cap - _paid(dbsession, rule.name, user_id, day, day))
        if left < points:
            points, limit = left, "day"
    monthly_cap = getattr(rule, "monthly_cap", None)
    if monthly_cap is not None:
        left = max(0, monthly_cap - _paid(dbsession, rule.name, user_id, *_month(day)))
        if left < points:
            points, limit = left, "month"
    issuer = locked[issuer_id]
    budget_left = max(0, int(issuer.balance) - int(issuer.min_balance))
    if budget_left < points:
        points, limit = budget_left, "budget"

    transfer_id = None
    if points > 0:
        record = ledger.transfer(
            dbsession, programme_id=programme.id, reason_code="rule",
            reason=(earning.reason or "")[:500], now=now,
            idempotency_key=f"rule:{rule.name}:{key}",
            postings=[ledger.Posting(issuer_id, -points),
                      ledger.Posting(wallet.id, points,
                                     expires_at=expiry_for(programme, now))])
        transfer_id = record.id
    status = AWARDED if points == requested else (REDUCED if points else SKIPPED)
    award = Award(rule=rule.name, event_key=key, user_id=user_id, programme_id=programme.id,
                  requested=requested, points=points, status=status, limit=limit, day=day,
                  transfer_id=transfer_id, created=now)
    dbsession.add(award)
    dbsession.flush()
    award.replayed = False
    return award


# -- community activities ---------------------------------------------------------------

class ActivityCheckedIn:
    """Published when a resident checks in at a community activity (events contract:
    ``user_id``, ``event_key``, ``occurred_at``)."""

    def __init__(self, activity, programme_code, user_id, occurred_at):
        self.user_id = user_id
        self.activity_id = activity.id
        self.programme_code = programme_code
        self.points = activity.points
        self.title = activity.title
        self.occurred_at = occurred_at
        self.event_key = f"activity:{activity.id}:user:{user_id}"


class CheckInRule:
    """The built-in rule: an activity's points, from its programme, once per person."""

    name = "community-activity"
    daily_cap = None
    monthly_cap = None

    def award(self, event):
        return Earning(programme_code=event.programme_code,
                       points=event.points, reason=event.title)


SCHEME = "KA1"
PAYLOAD_RE = re.compile(r"KA1\.([1-9]\d{0,9})\.([A-Za-z0-9_-]{22})")
MAX_CODE_TEXT = 500


def _key(secret):
    return hmac.new(secret.encode("utf-8"), b"kairan_points: activity check-in key v1",
                    hashlib.sha256).digest()


def _signature(secret, activity_id):
    digest = hmac.new(_key(secret), f"{SCHEME}.{activity_id}".encode("ascii"),
                      hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign(secret, activity_id):
    """The check-in code of an activity: ``KA1.<id>.<HMAC, 22 characters>``."""
    return f"{SCHEME}.{activity_id}.{_signature(secret, activity_id)}"


def verify(secret, text):
    """The activity id if ``text`` holds a code we signed (alone or at the end of a
    link), else None."""
    if not isinstance(text, str) or len(text) > MAX_CODE_TEXT:
        return None
    text = text.strip()
    start = text.rfind(SCHEME + ".")
    if start < 0:
        return None
    match = PAYLOAD_RE.fullmatch(text[start:])
    if match is None:
        return None
    activity_id = int(match.group(1))
    if not hmac.compare_digest(_signature(secret, activity_id), match.group(2)):
        return None
    return activity_id


class CheckInRefused(PointsRefused):
    message = _("This code is not valid. Check it and type it again.")


def create_activity(dbsession, values, created_by, now=None):
    activity = Activity(**values, created_by=created_by, created=now or utcnow())
    dbsession.add(activity)
    dbsession.flush()
    return activity


def check_in(dbsession, registry, secret, user_id, code, now=None):
    """Check ``user_id`` in with a typed or scanned ``code``; return (activity, awards).

    Refused (``CheckInRefused``) for a code that is not ours, an unknown activity,
    outside its window, or a second check-in, always before anything is written (the
    engine raises no refusal after the check-in row: a capped award is recorded)."""
    now = now or utcnow()
    activity_id = verify(secret, code)
    if activity_id is None:
        raise CheckInRefused()
    activity = dbsession.get(Activity, activity_id)
    if activity is None:
        raise CheckInRefused(_("There is no activity with this code."))
    if now < activity.starts_at:
        raise CheckInRefused(_("Check-in for this activity opens at ${time} (Japan time).",
                               mapping={"time": tokyo_text(activity.starts_at)}))
    if now >= activity.ends_at:
        raise CheckInRefused(_("Check-in for this activity has closed."))
    dialect = dbsession.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    inserted = dbsession.scalar(
        module.insert(CheckIn).values(activity_id=activity.id, user_id=user_id, at=now)
        .on_conflict_do_nothing().returning(CheckIn.id))
    if inserted is None:
        error = CheckInRefused(_("You have already checked in at this activity."))
        error.status = 409
        raise error
    programme = dbsession.get(Programme, activity.programme_id)
    event = ActivityCheckedIn(activity, programme.code, user_id, now)
    return activity, process(dbsession, registry, event, now=now)


def tokyo_text(when):
    from kairan_points.services import TOKYO

    return when.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M")


def activities(dbsession, limit=200, organiser_id=None):
    """The latest activities, newest first; only those ``organiser_id`` created if given."""
    query = select(Activity).order_by(Activity.starts_at.desc(), Activity.id.desc())
    if organiser_id is not None:
        query = query.where(Activity.created_by == organiser_id)
    return list(dbsession.scalars(query.limit(limit)))


def checkin_count(dbsession, activity_id):
    return dbsession.scalar(select(func.count()).select_from(CheckIn)
                            .where(CheckIn.activity_id == activity_id))


# -- expiry reminders ----------------------------------------------------------------------

def _due_lots(days, now):
    return (select(Lot.id, Lot.remaining, Lot.expires_at, Account.user_id,
                   Account.programme_id)
            .join(Account, Account.id == Lot.account_id)
            .outerjoin(Reminder, Reminder.lot_id == Lot.id)
            .where(Account.kind == WALLET, Account.user_id.is_not(None), Lot.remaining > 0,
                   Lot.expires_at > now, Lot.expires_at <= now + timedelta(days=days),
                   Reminder.id.is_(None)))


def residents_to_remind(dbsession, days, now, after_id=0, limit=200):
    """Ids of residents with unexpired points expiring within ``days`` days that no
    reminder mentioned yet, ascending, after ``after_id``."""
    due = _due_lots(days, now).subquery()
    return list(dbsession.scalars(
        select(due.c.user_id).where(due.c.user_id > after_id).group_by(due.c.user_id)
        .order_by(due.c.user_id).limit(limit)))


def remind(dbsession, registry, user_id, days, now, base_url=""):
    """Mail ``user_id`` (outbox, in their language) about their points expiring within
    ``days`` days that no reminder mentioned yet; remember each lot. Return the lots."""
    from pyramid.interfaces import ILocalizer

    from kairan.accounts.models import User
    from kairan.mail.services import queue_mail

    user = dbsession.get(User, user_id)
    if user is None:
        return 0
    rows = dbsession.execute(_due_lots(days, now).where(Account.user_id == user_id)
                             .order_by(Lot.expires_at, Lot.id)).all()
    if not rows:
        return 0
    module = postgresql if dbsession.get_bind().dialect.name == "postgresql" else sqlite
    fresh = []
    for row in rows:
        inserted = dbsession.scalar(module.insert(Reminder).values(
            lot_id=row.id, user_id=user_id, sent_at=now).on_conflict_do_nothing()
            .returning(Reminder.id))
        if inserted is not None:  # another run reminded of it meanwhile: not again
            fresh.append(row)
    if not fresh:
        return 0
    localizer = registry.queryUtility(ILocalizer, name=user.locale or "ja") or \
        registry.queryUtility(ILocalizer, name="ja")
    translate = localizer.translate if localizer is not None else (lambda s: s)
    names = {p.id: p.localized_name(user.locale) for p in dbsession.scalars(
        select(Programme).where(Programme.id.in_({r.programme_id for r in fresh})))}
    totals = {}
    for row in fresh:
        expires = tokyo_date(row.expires_at)
        group = (names[row.programme_id], expires)
        totals[group] = totals.get(group, 0) + row.remaining
    lines = [translate(_("${programme}: ${points} points expire on ${date} at 00:00.",
                         mapping={"programme": name, "points": f"{points:,}",
                                  "date": f"{expires:%Y-%m-%d}"}))
             for (name, expires), points in sorted(totals.items(), key=lambda i: i[0][1])]
    body = "\n".join([
        translate(_("Some of your points will expire soon.")), "", *lines, "",
        translate(_("Spend them before then at a participating shop. Your wallet: ${url}",
                    mapping={"url": base_url + "/points"})),
    ])
    queue_mail(dbsession, user.email, translate(_("Your points expire soon")), body)
    return len(fresh)

