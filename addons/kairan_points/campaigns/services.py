"""Campaign services: create, apply, commit a seed, draw, verify, accept, decline, promote.

The draw (``draw``) is reproducible: each application's key is
``sha256("<seed>:<application id>:<user id>")`` (hex); applications sorted by
that key (then id) give ranks 1..n; the first ``capacity`` win, the rest wait
in rank order. The operator commits to the seed first (``commit_seed`` stores
and publishes sha256(seed)); the draw refuses a seed whose hash differs.
``verify_draw`` recomputes the ranking from the stored applications and the
revealed seed and compares it with the stored ranks and ``result_hash``.

Capacity under concurrency: ``accept``, ``decline`` and ``promote`` lock the
campaign row first (PostgreSQL ``FOR UPDATE``; SQLite: a no-op UPDATE takes
the single write lock), then count. Accepting grants the points through the
ledger with the key ``campaign:<campaign id>:<application id>``; the issuing
account's floor refuses a grant beyond the programme's budget.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from kairan.db.meta import utcnow
from kairan.i18n.translation import _
from kairan_points.campaigns.models import (
    ACCEPTED,
    APPLIED,
    DECLINED,
    EXPIRED,
    WAITING,
    WON,
    Application,
    Campaign,
)
from kairan_points.errors import PointsRefused
from kairan_points.models import Programme

SEED_MIN = 16
TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo_time(when):
    """``when`` as people read it: "2025-03-01 18:00" in Asia/Tokyo."""
    return f"{when.astimezone(TOKYO):%Y-%m-%d %H:%M}"


class CampaignRefused(PointsRefused):
    """A campaign action the rules do not allow; nothing was written."""

    status = 409


def seed_hash(seed: str) -> str:
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def draw_key(seed: str, application_id: int, user_id: int) -> str:
    return hashlib.sha256(f"{seed}:{application_id}:{user_id}".encode()).hexdigest()


def ranking(seed, applications):
    """[(application id, user id)] in draw order for ``applications`` of (id, user id)."""
    return sorted(((a, u) for a, u in applications),
                  key=lambda item: (draw_key(seed, item[0], item[1]), item[0]))


def result_hash(ranked):
    text = "\n".join(f"{rank}:{app_id}:{user_id}"
                     for rank, (app_id, user_id) in enumerate(ranked, start=1))
    return hashlib.sha256(text.encode()).hexdigest()


# -- creating --------------------------------------------------------------------------

def create_campaign(dbsession, values, actor_id=None, now=None):
    """A new campaign from ``values`` (code, title, title_en, programme_id, points,
    capacity, opens_at, closes_at, min_level, excluded_campaign_id, accept_days)."""
    values = dict(values)
    if values["closes_at"] <= values["opens_at"]:
        raise CampaignRefused(_("The application window must end after it opens."))
    for name in ("points", "capacity", "accept_days"):
        if int(values.get(name) or 0) <= 0:
            raise CampaignRefused(_("Enter a whole number greater than zero."))
    if dbsession.get(Programme, values["programme_id"]) is None:
        raise CampaignRefused(_("Choose a programme."))
    if dbsession.scalar(select(Campaign.id).where(Campaign.code == values["code"])):
        raise CampaignRefused(_("A campaign with this code exists already."))
    excluded = values.get("excluded_campaign_id")
    if excluded is not None and dbsession.get(Campaign, excluded) is None:
        raise CampaignRefused(_("The earlier campaign does not exist."))
    campaign = Campaign(created_by=actor_id, created=now or utcnow(), **values)
    dbsession.add(campaign)
    dbsession.flush()
    return campaign


def by_code(dbsession, code):
    return dbsession.scalars(select(Campaign).where(Campaign.code == code)).first()


def lock_campaign(dbsession, campaign_id):
    """Lock the campaign's row (see the module docstring); return the fresh row."""
    if dbsession.get_bind().dialect.name == "sqlite":
        dbsession.execute(update(Campaign).where(Campaign.id == campaign_id)
                          .values(capacity=Campaign.capacity)
                          .execution_options(synchronize_session=False))
    return dbsession.scalars(select(Campaign).where(Campaign.id == campaign_id)
                             .with_for_update()
                             .execution_options(populate_existing=True)).one()


# -- applying --------------------------------------------------------------------------

def application_of(dbsession, campaign_id, user_id):
    return dbsession.scalars(select(Application).where(
        Application.campaign_id == campaign_id, Application.user_id == user_id)
        .execution_options(populate_existing=True)).first()


def apply(dbsession, campaign, user_id, level, now=None):
    """Apply for ``campaign`` as ``user_id`` signed in at ``level``; refusals say why."""
    now = now or utcnow()
    if campaign.drawn_at is not None or now >= campaign.closes_at:
        raise CampaignRefused(_("Applications for this campaign are closed."))
    if now < campaign.opens_at:
        raise CampaignRefused(_("Applications for this campaign are not open yet."))
    if level < campaign.min_level:
        raise CampaignRefused(_("This campaign needs identity level ${level}; verify your "
                                "identity first.", mapping={"level": campaign.min_level}))
    if campaign.excluded_campaign_id is not None and dbsession.scalar(
            select(Application.id).where(
                Application.campaign_id == campaign.excluded_campaign_id,
                Application.user_id == user_id, Application.status == ACCEPTED)):
        raise CampaignRefused(_("People who received the earlier campaign's points cannot "
                                "apply."))
    if application_of(dbsession, campaign.id, user_id) is not None:
        raise CampaignRefused(_("You have applied for this campaign already."))
    application = Application(campaign_id=campaign.id, user_id=user_id, level=level,
                              applied_at=now, status=APPLIED)
    try:
        with dbsession.begin_nested():
            dbsession.add(application)
    except IntegrityError:
        raise CampaignRefused(_("You have applied for this campaign already.")) from None
    return application


# -- the draw --------------------------------------------------------------------------

def commit_seed(dbsession, campaign, digest):
    """Store the published sha256(seed) (64 hex digits); only before the draw."""
    digest = (digest or "").strip().lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise CampaignRefused(_("Enter the seed's SHA-256 as 64 hexadecimal digits."))
    if campaign.drawn_at is not None:
        raise CampaignRefused(_("This campaign has been drawn already."))
    campaign.seed_hash = digest
    dbsession.flush()
    return campaign


def _stored(dbsession, campaign_id):
    return list(dbsession.execute(
        select(Application.id, Application.user_id, Application.rank)
        .where(Application.campaign_id == campaign_id).order_by(Application.id)))


def draw(dbsession, campaign, seed, now=None):
    """Draw ``campaign`` with the revealed ``seed``; return the winning applications."""
    now = now or utcnow()
    campaign = lock_campaign(dbsession, campaign.id)
    if campaign.drawn_at is not None:
        raise CampaignRefused(_("This campaign has been drawn already."))
    if not campaign.seed_hash:
        raise CampaignRefused(_("Commit to a seed (publish its SHA-256) before the draw."))
    if len(seed or "") < SEED_MIN:
        raise CampaignRefused(_("The seed must be at least 16 characters long."))
    if seed_hash(seed) != campaign.seed_hash:
        raise CampaignRefused(_("The seed does not match the committed SHA-256."))
    if now < campaign.closes_at:
        raise CampaignRefused(_("The draw can only run after the application window."))
    ranked = ranking(seed, [(row.id, row.user_id) for row in _stored(dbsession, campaign.id)])
    _record_ranks(dbsession, campaign, [app_id for app_id, _user in ranked], now)
    campaign.seed = seed
    campaign.result_hash = result_hash(ranked)
    campaign.drawn_at = now
    dbsession.flush()
    return list(dbsession.scalars(
        select(Application).where(Application.campaign_id == campaign.id,
                                  Application.status == WON)
        .order_by(Application.rank).execution_options(populate_existing=True)))


def _record_ranks(dbsession, campaign, ordered_ids, now):
    """Store every application's rank in bulk (no object per application): the first
    ``capacity`` are offered a place until ``accept_days`` from now, the others wait."""
    accept_by = now + timedelta(days=campaign.accept_days)
    if not ordered_ids:
        return
    if dbsession.get_bind().dialect.name == "postgresql":
        from sqlalchemy import bindparam, text

        from kairan.db.meta import UTCDateTime

        dbsession.execute(text(
            "UPDATE points_campaign_applications AS a SET rank = v.rank, "
            "status = CASE WHEN v.rank <= :capacity THEN :won ELSE :waiting END, "
            "offered_at = CASE WHEN v.rank <= :capacity THEN :now END, "
            "accept_by = CASE WHEN v.rank <= :capacity THEN :accept_by END "
            "FROM unnest(CAST(:ids AS integer[])) WITH ORDINALITY AS v(id, rank) "
            "WHERE a.id = v.id AND a.campaign_id = :campaign")
            .bindparams(bindparam("now", type_=UTCDateTime()),
                        bindparam("accept_by", type_=UTCDateTime())),
            {"ids": list(ordered_ids), "capacity": campaign.capacity, "won": WON,
             "waiting": WAITING, "now": now, "accept_by": accept_by,
             "campaign": campaign.id})
    else:  # SQLite: an executemany by primary key
        dbsession.execute(update(Application), [
            {"id": app_id, "rank": rank,
             "status": WON if rank <= campaign.capacity else WAITING,
             "offered_at": now if rank <= campaign.capacity else None,
             "accept_by": accept_by if rank <= campaign.capacity else None}
            for rank, app_id in enumerate(ordered_ids, start=1)])
    for obj in list(dbsession.identity_map.values()):
        if isinstance(obj, Application) and obj.campaign_id == campaign.id:
            dbsession.expire(obj)


def _offer(campaign, application, now):
    application.status = WON
    application.offered_at = now
    application.accept_by = now + timedelta(days=campaign.accept_days)


@dataclass
class Verification:
    ok: bool
    problems: list


def verify_draw(dbsession, campaign, seed=None):
    """Recompute the draw from the stored applications and ``seed`` (default: the
    revealed one); ``ok`` when the seed matches the commitment and every rank and the
    result hash agree."""
    seed = campaign.seed if seed is None else seed
    problems = []
    if campaign.drawn_at is None:
        return Verification(False, ["the campaign has not been drawn"])
    if seed_hash(seed) != campaign.seed_hash:
        problems.append("the seed does not match the committed SHA-256")
    rows = _stored(dbsession, campaign.id)
    ranked = ranking(seed, [(row.id, row.user_id) for row in rows])
    expected = {app_id: rank for rank, (app_id, _u) in enumerate(ranked, start=1)}
    wrong = [row.id for row in rows if row.rank != expected[row.id]]
    if wrong:
        problems.append(f"{len(wrong)} applications have another rank than the recomputed "
                        f"one: {', '.join(map(str, wrong[:20]))}")
    if result_hash(ranked) != campaign.result_hash:
        problems.append("the recomputed ranking differs from the one recorded at the draw")
    return Verification(not problems, problems)


# -- acceptance ------------------------------------------------------------------------

def _taken(dbsession, campaign_id):
    return dbsession.scalar(select(func.count()).select_from(Application).where(
        Application.campaign_id == campaign_id,
        Application.status.in_((WON, ACCEPTED)))) or 0


def promote(dbsession, campaign, now=None):
    """Expire offers past their date, then offer the free places to the waiting list in
    rank order; return the newly promoted applications."""
    now = now or utcnow()
    campaign = lock_campaign(dbsession, campaign.id)
    if campaign.drawn_at is None:
        return []
    for application in dbsession.scalars(select(Application).where(
            Application.campaign_id == campaign.id, Application.status == WON,
            Application.accept_by <= now)):
        application.status = EXPIRED
        application.decided_at = now
    dbsession.flush()
    free = campaign.capacity - _taken(dbsession, campaign.id)
    promoted = []
    if free > 0:
        for application in dbsession.scalars(select(Application).where(
                Application.campaign_id == campaign.id, Application.status == WAITING)
                .order_by(Application.rank).limit(free)):
            _offer(campaign, application, now)
            promoted.append(application)
    dbsession.flush()
    return promoted


def accept(dbsession, campaign, user_id, now=None):
    """The winner ``user_id`` accepts: points granted once (key per application)."""
    from kairan_points.services import grant

    now = now or utcnow()
    campaign = lock_campaign(dbsession, campaign.id)
    application = application_of(dbsession, campaign.id, user_id)
    if application is None:
        raise CampaignRefused(_("You have not applied for this campaign."))
    if application.status == ACCEPTED:
        return application
    if application.status != WON:
        raise CampaignRefused(_("There is no place to accept for this application."))
    if application.accept_by <= now:
        raise CampaignRefused(_("The time to accept this place has passed."))
    accepted = dbsession.scalar(select(func.count()).select_from(Application).where(
        Application.campaign_id == campaign.id, Application.status == ACCEPTED)) or 0
    if accepted >= campaign.capacity:
        raise CampaignRefused(_("All the places of this campaign have been taken."))
    programme = dbsession.get(Programme, campaign.programme_id)
    record = grant(dbsession, programme, user_id, campaign.points, campaign.title,
                   actor_id=None, reason_code="campaign", now=now,
                   idempotency_key=f"campaign:{campaign.id}:{application.id}")
    application.status = ACCEPTED
    application.decided_at = now
    application.transfer_id = record.id
    dbsession.flush()
    return application


def decline(dbsession, campaign, user_id, now=None):
    """The winner declines; the next on the waiting list is offered the place."""
    now = now or utcnow()
    campaign = lock_campaign(dbsession, campaign.id)
    application = application_of(dbsession, campaign.id, user_id)
    if application is None or application.status != WON:
        raise CampaignRefused(_("There is no place to decline for this application."))
    application.status = DECLINED
    application.decided_at = now
    dbsession.flush()
    return promote(dbsession, campaign, now)


def open_campaigns(dbsession, now=None):
    now = now or utcnow()
    return list(dbsession.scalars(select(Campaign).where(
        Campaign.opens_at <= now, Campaign.closes_at > now, Campaign.drawn_at.is_(None))
        .order_by(Campaign.closes_at)))


def applications_of(dbsession, user_id):
    return list(dbsession.execute(
        select(Application, Campaign).join(Campaign, Campaign.id == Application.campaign_id)
        .where(Application.user_id == user_id).order_by(Application.applied_at.desc())))


def waiting_position(dbsession, application):
    """1-based position on the waiting list, or None."""
    if application.status != WAITING:
        return None
    return (dbsession.scalar(select(func.count()).select_from(Application).where(
        Application.campaign_id == application.campaign_id,
        Application.status == WAITING, Application.rank < application.rank)) or 0) + 1


# -- notifying -------------------------------------------------------------------------

def notify(dbsession, registry, campaign, applications, base_url=""):
    """Mail each offered place (outbox, in the winner's language) with its date."""
    from pyramid.interfaces import ILocalizer

    from kairan.accounts.models import User
    from kairan.mail.services import queue_mail

    users = {}
    ids = sorted({application.user_id for application in applications})
    for start in range(0, len(ids), 1000):
        users.update((user.id, user) for user in dbsession.scalars(
            select(User).where(User.id.in_(ids[start:start + 1000]))))
    for application in applications:
        user = users.get(application.user_id)
        if user is None:
            continue
        localizer = registry.queryUtility(ILocalizer, name=user.locale or "ja") or \
            registry.queryUtility(ILocalizer, name="ja")
        translate = localizer.translate if localizer is not None else (lambda s: s)
        body = translate(_(
            "You have won a place in the campaign \"${title}\": ${points} points. Accept it "
            "by ${date} at ${url}; after that date the place goes to the next person on "
            "the waiting list.",
            mapping={"title": campaign.localized_title(user.locale),
                     "points": f"{campaign.points:,}",
                     "date": tokyo_time(application.accept_by),
                     "url": base_url + "/points/campaigns"}))
        queue_mail(dbsession, user.email, translate(_("You have won a points campaign")), body)
