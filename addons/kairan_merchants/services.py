"""Applications, screening decisions, merchants, QR codes: the rules, outside the views.

Every function takes the request (for its database session, settings and
audit log) and never commits: pyramid_tm does. Functions that refuse raise
``MerchantError`` with a translatable message and change nothing.
"""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func, or_, select
from zope.interface import implementer

from kairan.accounts.interfaces import IPersonalDataProvider
from kairan.accounts.models import User, UserRole
from kairan.accounts.views.common import localizer_for
from kairan.audit.services import audit
from kairan.db.meta import utcnow
from kairan.i18n.translation import _
from kairan.mail.services import queue_mail
from kairan_merchants import qr
from kairan_merchants.models import (
    OPEN_STATUSES,
    WITHDRAWABLE_STATUSES,
    ApplicationEvent,
    Merchant,
    MerchantApplication,
    MerchantBranch,
    MerchantEvent,
    MerchantStaff,
)
from kairan_merchants.normalising import legal_name_key, phone_digits

MERCHANT_STAFF_ROLE = "MerchantStaff"

# The business categories; a programme must include a supermarket, a convenience store
# and a drugstore (Miyagi's specification, 7 (3) ロ), so those three come first.
CATEGORIES = (
    ("supermarket", _("Supermarket")),
    ("convenience_store", _("Convenience store")),
    ("drugstore", _("Drugstore")),
    ("restaurant", _("Restaurant or café")),
    ("retail", _("Other retail shop")),
    ("service", _("Services (hairdresser, repairs, cleaning...)")),
    ("lodging", _("Lodging")),
    ("other", _("Other")),
)
REQUIRED_CATEGORIES = ("supermarket", "convenience_store", "drugstore")
CATEGORY_CODES = tuple(code for code, _title in CATEGORIES)


class MerchantError(Exception):
    """A refusal with a translatable message; nothing was changed."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def absolute_url(request, route_name, **kw):
    """A link for a mail, built from ``kairan.base_url`` (never from the Host header)."""
    return request.registry.settings["kairan.base_url"] + request.route_path(route_name, **kw)


def _mail(request, recipient, locale, subject, body, **mapping):
    """Queue a mail in ``locale``. Operators' decisions are not rate limited: they are
    staff actions, and losing a decision mail would leave an applicant waiting."""
    localizer = localizer_for(request, locale)
    mapping.setdefault("site", request.registry.settings["kairan.site_title"])
    text = localizer.translate(_(body, mapping=mapping))
    footer = localizer.translate(_("This mail was sent automatically by ${site}.",
                                   mapping=mapping))
    return queue_mail(request, recipient, localizer.translate(_(subject, mapping=mapping)),
                      text + "\n\n-- \n" + footer)


# -- applications -------------------------------------------------------------

APPLIED_SUBJECT = _("Please confirm your shop application (${site})")
APPLIED_BODY = _("Hello ${name},\n\nwe have received the application of ${shop} to accept the "
                "city's points. Please open this link to confirm your e-mail address; the "
                "application reaches our screening only after that:\n\n${link}\n\n"
                "Keep this mail: the same link shows the state of your application and any "
                "question we have. If you did not apply, you can ignore this mail.")


def open_duplicate(dbsession, key, email, phone, exclude_id=None):
    """An open (submitted or waiting for information) application with the same legal name,
    e-mail address or phone number, or None."""
    query = select(MerchantApplication).where(
        MerchantApplication.status.in_(OPEN_STATUSES),
        or_(MerchantApplication.legal_name_key == key,
            MerchantApplication.contact_email == email,
            MerchantApplication.contact_phone == phone))
    if exclude_id is not None:
        query = query.where(MerchantApplication.id != exclude_id)
    return dbsession.scalars(query.limit(1)).first()


DUPLICATE_MESSAGE = _("An application with this legal name, e-mail address or phone number is "
                      "already being screened. Please follow the link in the mail we sent "
                      "for it, or contact the city office.")


def create_application(request, data):
    """Store an application from the form's data; mail the secret link. Returns
    ``(application, raw_token)``; raises ``MerchantError`` for a duplicate."""
    dbsession = request.dbsession
    key = legal_name_key(data["legal_name"])
    phone = phone_digits(data["contact_phone"])
    if open_duplicate(dbsession, key, data["contact_email"], phone) is not None:
        raise MerchantError(DUPLICATE_MESSAGE)
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    days = request.registry.settings["kairan.merchants.link_days"]
    application = MerchantApplication(
        status="unconfirmed", legal_name=data["legal_name"], legal_name_key=key,
        trade_name=data["trade_name"], trade_name_en=data.get("trade_name_en") or "",
        category=data["category"], programmes=sorted(data["programmes"]),
        contact_name=data["contact_name"], contact_email=data["contact_email"],
        contact_phone=phone, branches=[dict(b) for b in data["branches"]],
        declared_not_antisocial=True, declared_not_adult_business=True,
        declared_no_cash_equivalents=True, locale=request.locale_name,
        link_hash=_token_hash(raw), link_expires=now + timedelta(days=days), created=now)
    application.events.append(ApplicationEvent(at=now, kind="submitted"))
    dbsession.add(application)
    dbsession.flush()
    _mail(request, application.contact_email, application.locale, APPLIED_SUBJECT,
          APPLIED_BODY, name=application.contact_name, shop=application.trade_name,
          link=absolute_url(request, "merchants.application_status", token=raw))
    audit(request, "merchants.apply", target=f"merchant_application:{application.id}")
    return application, raw


def application_by_token(dbsession, raw, now=None):
    """The application whose secret link is ``raw`` (unexpired), or None. Writes nothing."""
    if not raw or len(raw) > 100:
        return None
    application = dbsession.scalar(
        select(MerchantApplication).where(MerchantApplication.link_hash == _token_hash(raw)))
    if application is None or application.link_expires <= (now or utcnow()):
        return None
    return application


def confirm_application(request, application):
    """The applicant confirmed the e-mail address: the application joins the queue."""
    if application.status != "unconfirmed":
        return
    duplicate = open_duplicate(request.dbsession, application.legal_name_key,
                               application.contact_email, application.contact_phone,
                               exclude_id=application.id)
    if duplicate is not None:
        raise MerchantError(DUPLICATE_MESSAGE)
    now = utcnow()
    application.status = "submitted"
    application.confirmed_at = now
    application.events.append(ApplicationEvent(at=now, kind="confirmed"))
    audit(request, "merchants.application_confirm",
          target=f"merchant_application:{application.id}")


def answer_question(request, application, text):
    if application.status != "info_requested":
        raise MerchantError(_("This application is not waiting for an answer."))
    application.status = "submitted"
    application.events.append(ApplicationEvent(at=utcnow(), kind="answer", text=text))
    audit(request, "merchants.application_answer",
          target=f"merchant_application:{application.id}")


WITHDRAWN_SUBJECT = _("Your shop application is withdrawn (${site})")
WITHDRAWN_BODY = _("Hello ${name},\n\nas you asked, the application of ${shop} to accept the "
                  "city's points is withdrawn: we will not screen it. You may apply again "
                  "at any time.\n\nIf you did not withdraw it, please contact the city office.")


def withdraw_application(request, application, reason=""):
    """The applicant withdraws an application not yet decided: it leaves the operators'
    queue (kept, with a ``withdrawn`` event, in its history) and no longer counts in the
    duplicate check. Mailed to the applicant as a receipt; audited."""
    lock_application(request, application)
    if application.status not in WITHDRAWABLE_STATUSES:
        raise MerchantError(_("This application has already been decided or withdrawn: it "
                              "cannot be withdrawn."))
    now = utcnow()
    previous = application.status
    application.status = "withdrawn"
    application.events.append(ApplicationEvent(at=now, kind="withdrawn", text=reason or ""))
    _mail(request, application.contact_email, application.locale, WITHDRAWN_SUBJECT,
          WITHDRAWN_BODY, name=application.contact_name, shop=application.trade_name)
    audit(request, "merchants.application_withdraw",
          target=f"merchant_application:{application.id}", detail={"from": previous})


# -- screening ----------------------------------------------------------------

QUESTION_SUBJECT = _("A question about your shop application (${site})")
QUESTION_BODY = _("Hello ${name},\n\nthank you for applying with ${shop}. Before we can decide, "
                 "we need more information:\n\n${question}\n\nPlease answer on your "
                 "application's page (this link replaces the one in our earlier mails):"
                 "\n\n${link}")
REJECTED_SUBJECT = _("Your shop application was not accepted (${site})")
REJECTED_BODY = _("Hello ${name},\n\nwe are sorry: the application of ${shop} to accept the "
                 "city's points was not accepted, for this reason:\n\n${reason}\n\n"
                 "If you have a question, please contact the city office.")
APPROVED_SUBJECT = _("Your shop is registered (${site})")
APPROVED_BODY = _("Hello ${name},\n\n${shop} is now registered to accept the city's points. "
                 "Your staff account uses this e-mail address. If you have not set a password "
                 "for it yet, set one here:\n\n${reset}\n\nThen sign in and open your shop's "
                 "pages to print the QR code posters:\n\n${link}")


def lock_application(request, application):
    """Re-read the application under a row lock (PostgreSQL ``FOR UPDATE``; SQLite lets one
    writer in at a time), so that an operator's decision and the applicant's withdrawal
    can never both succeed: the second sees the first's status."""
    request.dbsession.refresh(application, with_for_update=True)


def _check_decidable(application, request=None):
    if request is not None:
        lock_application(request, application)
    if application.status not in OPEN_STATUSES:
        raise MerchantError(_("This application has already been decided or is not "
                              "confirmed yet."))


def ask_for_information(request, application, question):
    """Put the application on hold with a question for the applicant, mailed with a new
    secret link (only the links' hashes are stored, so the old one cannot be re-sent; the
    new link replaces it)."""
    _check_decidable(application, request)
    raw = secrets.token_urlsafe(32)
    days = request.registry.settings["kairan.merchants.link_days"]
    application.link_hash = _token_hash(raw)
    application.link_expires = max(application.link_expires, utcnow() + timedelta(days=days))
    link = absolute_url(request, "merchants.application_status", token=raw)
    application.status = "info_requested"
    application.events.append(ApplicationEvent(at=utcnow(), kind="question", text=question,
                                               actor_id=request.user.id))
    _mail(request, application.contact_email, application.locale, QUESTION_SUBJECT,
          QUESTION_BODY, name=application.contact_name, shop=application.trade_name,
          question=question, link=link)
    audit(request, "merchants.application_question",
          target=f"merchant_application:{application.id}")


def reject_application(request, application, reason):
    _check_decidable(application, request)
    now = utcnow()
    application.status = "rejected"
    application.decided_at = now
    application.decided_by_id = request.user.id
    application.decision_reason = reason
    application.events.append(ApplicationEvent(at=now, kind="rejected", text=reason,
                                               actor_id=request.user.id))
    _mail(request, application.contact_email, application.locale, REJECTED_SUBJECT,
          REJECTED_BODY, name=application.contact_name, shop=application.trade_name,
          reason=reason)
    audit(request, "merchants.application_reject",
          target=f"merchant_application:{application.id}")


def approve_application(request, application, note=""):
    """Create the merchant, its branches and its staff account from the application."""
    _check_decidable(application, request)
    dbsession = request.dbsession
    now = utcnow()
    merchant = Merchant(
        application_id=application.id, legal_name=application.legal_name,
        name=application.trade_name, name_en=application.trade_name_en,
        category=application.category, programmes=list(application.programmes),
        status="active", status_reason="", contact_name=application.contact_name,
        contact_email=application.contact_email, contact_phone=application.contact_phone,
        created=now)
    for branch in application.branches:
        merchant.branches.append(MerchantBranch(
            name=branch["name"], name_en=branch.get("name_en") or "",
            postal_code=branch["postal_code"], address=branch["address"],
            area=branch["area"], phone=branch["phone"], hours=branch.get("hours") or "",
            qr_version=1, created=now))
    merchant.events.append(MerchantEvent(at=now, kind="approved", actor_id=request.user.id,
                                         text=note))
    dbsession.add(merchant)
    application.status = "approved"
    application.decided_at = now
    application.decided_by_id = request.user.id
    application.decision_reason = note or None
    application.events.append(ApplicationEvent(at=now, kind="approved", text=note,
                                               actor_id=request.user.id))
    dbsession.flush()
    add_staff(request, merchant, application.contact_email, application.contact_name,
              application.locale, welcome=False)
    _mail(request, application.contact_email, application.locale, APPROVED_SUBJECT,
          APPROVED_BODY, name=application.contact_name, shop=merchant.name,
          reset=absolute_url(request, "accounts.reset_request"),
          link=absolute_url(request, "merchants.home", merchant_id=merchant.id))
    audit(request, "merchants.application_approve",
          target=f"merchant_application:{application.id}",
          detail={"merchant_id": merchant.id})
    return merchant


# -- merchants ----------------------------------------------------------------

STAFF_SUBJECT = _("You are now staff of ${shop} (${site})")
STAFF_BODY = _("Hello ${name},\n\nyou have been added as staff of ${shop}, a shop that accepts "
              "the city's points. If you have not set a password for this e-mail address "
              "yet, set one here:\n\n${reset}\n\nThen sign in and open the shop's pages:\n\n"
              "${link}")


def add_staff(request, merchant, email, display_name, locale="ja", welcome=True):
    """Make the account with ``email`` (created without a password if there is none) staff of
    ``merchant`` with the MerchantStaff role. Returns the user."""
    dbsession = request.dbsession
    email = email.strip().lower()
    user = dbsession.scalar(select(User).where(User.email == email))
    now = utcnow()
    if user is None:
        # no password: the owner sets one through the password-reset page, which proves
        # they read this mailbox; the address itself was confirmed with the application
        user = User(email=email, display_name=display_name[:100], password_hash=None,
                    status="active", locale=locale, created=now, email_verified_at=now)
        dbsession.add(user)
        dbsession.flush()
        audit(request, "merchants.staff_account_create", target=f"user:{user.id}")
    elif user.status == "disabled":
        raise MerchantError(_("The account with this e-mail address is disabled."), "email")
    if MERCHANT_STAFF_ROLE not in user.role_names:
        user.roles.append(UserRole(role=MERCHANT_STAFF_ROLE))
    if dbsession.get(MerchantStaff, (merchant.id, user.id)) is not None:
        raise MerchantError(_("This person is already staff of the shop."), "email")
    dbsession.add(MerchantStaff(merchant_id=merchant.id, user_id=user.id, created=now))
    merchant.events.append(MerchantEvent(at=now, kind="staff_added", actor_id=request.user.id,
                                         text=f"user:{user.id}"))
    dbsession.flush()
    if welcome:
        _mail(request, email, user.locale, STAFF_SUBJECT, STAFF_BODY,
              name=user.display_name, shop=merchant.name,
              reset=absolute_url(request, "accounts.reset_request"),
              link=absolute_url(request, "merchants.home", merchant_id=merchant.id))
    audit(request, "merchants.staff_add", target=f"merchant:{merchant.id}",
          detail={"user_id": user.id})
    return user


def remove_staff(request, merchant, user_id):
    dbsession = request.dbsession
    link = dbsession.get(MerchantStaff, (merchant.id, user_id))
    if link is None:
        raise MerchantError(_("This person is not staff of the shop."))
    if user_id == request.user.id:
        raise MerchantError(_("You cannot remove yourself."))
    dbsession.delete(link)
    dbsession.flush()
    still_staff = dbsession.scalar(
        select(func.count()).select_from(MerchantStaff).where(MerchantStaff.user_id == user_id))
    if not still_staff:
        user = dbsession.get(User, user_id)
        user.roles = [r for r in user.roles if r.role != MERCHANT_STAFF_ROLE]
    merchant.events.append(MerchantEvent(at=utcnow(), kind="staff_removed",
                                         actor_id=request.user.id, text=f"user:{user_id}"))
    audit(request, "merchants.staff_remove", target=f"merchant:{merchant.id}",
          detail={"user_id": user_id})


SUSPENDED_SUBJECT = _("Your shop is suspended from the city's points (${site})")
SUSPENDED_BODY = _("Hello,\n\n${shop} cannot take the city's points for now, for this reason:"
                  "\n\n${reason}\n\nPlease contact the city office.")
REINSTATED_SUBJECT = _("Your shop takes the city's points again (${site})")
REINSTATED_BODY = _("Hello,\n\n${shop} can take the city's points again.\n\n${reason}")


def _staff_emails(dbsession, merchant):
    return list(dbsession.execute(
        select(User.email, User.locale).join(MerchantStaff, MerchantStaff.user_id == User.id)
        .where(MerchantStaff.merchant_id == merchant.id)).all())


def set_merchant_status(request, merchant, status, reason):
    """Suspend (``status="suspended"``) or reinstate (``"active"``) with a reason; the
    reason is shown to the merchant's staff and mailed to them."""
    if merchant.status == status:
        raise MerchantError(_("The shop is already suspended.") if status == "suspended"
                            else _("The shop is not suspended."))
    now = utcnow()
    merchant.status = status
    merchant.status_reason = reason if status == "suspended" else ""
    merchant.status_changed_at = now
    merchant.status_changed_by_id = request.user.id
    kind = "suspended" if status == "suspended" else "reinstated"
    merchant.events.append(MerchantEvent(at=now, kind=kind, actor_id=request.user.id,
                                         text=reason))
    subject, body = ((SUSPENDED_SUBJECT, SUSPENDED_BODY) if status == "suspended"
                     else (REINSTATED_SUBJECT, REINSTATED_BODY))
    for email, locale in _staff_emails(request.dbsession, merchant):
        _mail(request, email, locale, subject, body, shop=merchant.name, reason=reason)
    action = "merchants.suspend" if status == "suspended" else "merchants.reinstate"
    audit(request, action, target=f"merchant:{merchant.id}")


def rotate_qr(request, branch):
    """Give the branch a new code; the old one stops working at once."""
    branch.qr_version += 1
    branch.qr_rotated_at = utcnow()
    branch.merchant.events.append(MerchantEvent(
        at=branch.qr_rotated_at, kind="qr_rotated", actor_id=request.user.id,
        text=f"branch:{branch.id}"))
    audit(request, "merchants.qr_rotate", target=f"merchant_branch:{branch.id}",
          detail={"version": branch.qr_version})


BRANCH_FIELDS = ("name", "name_en", "postal_code", "address", "area", "phone", "hours")


def add_branch(request, merchant, data):
    """A new shop of an approved merchant (its staff's act), with its own QR code."""
    if merchant.status != "active":
        raise MerchantError(_("A suspended shop cannot add branches. Please contact the city "
                              "office."))
    name = data["name"]
    if any(b.name == name and not b.closed for b in merchant.branches):
        raise MerchantError(_("There is already an open shop with this name."), "name")
    now = utcnow()
    branch = MerchantBranch(
        name=name, name_en=data.get("name_en") or "", postal_code=data["postal_code"],
        address=data["address"], area=data["area"], phone=data["phone"],
        hours=data.get("hours") or "", qr_version=1, created=now)
    merchant.branches.append(branch)
    request.dbsession.flush()
    merchant.events.append(MerchantEvent(at=now, kind="branch_added", actor_id=request.user.id,
                                         text=f"branch:{branch.id} {name}"))
    audit(request, "merchants.branch_add", target=f"merchant_branch:{branch.id}",
          detail={"merchant_id": merchant.id})
    return branch


def close_branch(request, branch):
    """Close a shop for good: it leaves the directory and its code stops taking payments.
    The row stays (payments refer to it). A merchant keeps at least one open shop."""
    merchant = branch.merchant
    if branch.closed:
        raise MerchantError(_("This shop is already closed."))
    if not any(b.id != branch.id and not b.closed for b in merchant.branches):
        raise MerchantError(_("This is the merchant's only open shop: it cannot be closed. "
                              "To stop taking the city's points altogether, please contact "
                              "the city office."))
    now = utcnow()
    branch.closed_at = now
    branch.closed_by_id = request.user.id
    merchant.events.append(MerchantEvent(at=now, kind="branch_closed", actor_id=request.user.id,
                                         text=f"branch:{branch.id} {branch.name}"))
    audit(request, "merchants.branch_close", target=f"merchant_branch:{branch.id}",
          detail={"merchant_id": merchant.id})


PROFILE_SUBJECT = _("Your shop's registration was changed (${site})")
PROFILE_BODY = _("Hello,\n\nthe city office changed the registration of ${shop}:\n\n"
                "${changes}\n\nReason: ${reason}\n\nIf you have a question, please contact "
                "the city office.")
PROFILE_FIELDS = ("name", "name_en", "category", "programmes")


def change_profile(request, merchant, data, reason):
    """An operator changes the merchant's name, English name, category or programmes (the
    category and programmes decide where points can be spent). Recorded with the reason,
    audited, mailed to the staff. Returns the changed fields; refuses a change of nothing."""
    new = {"name": data["name"], "name_en": data.get("name_en") or "",
           "category": data["category"], "programmes": sorted(data["programmes"])}
    old = {"name": merchant.name, "name_en": merchant.name_en or "",
           "category": merchant.category, "programmes": sorted(merchant.programmes or ())}
    changed = {k: (old[k], new[k]) for k in PROFILE_FIELDS if old[k] != new[k]}
    if not changed:
        raise MerchantError(_("Nothing was changed: the values are the same as before."))
    shop = merchant.name
    for key, (_before, after) in changed.items():
        setattr(merchant, key, list(after) if key == "programmes" else after)
    lines = [f"{key}: {_show(before)} → {_show(after)}" for key, (before, after)
             in changed.items()]
    now = utcnow()
    merchant.events.append(MerchantEvent(at=now, kind="profile_changed",
                                         actor_id=request.user.id,
                                         text="\n".join(lines) + "\n" + reason))
    for email, locale in _staff_emails(request.dbsession, merchant):
        _mail(request, email, locale, PROFILE_SUBJECT, PROFILE_BODY, shop=shop,
              changes="\n".join(lines), reason=reason)
    audit(request, "merchants.profile_change", target=f"merchant:{merchant.id}",
          detail={"changed": {k: {"from": v[0], "to": v[1]} for k, v in changed.items()},
                  "reason": reason})
    return changed


def _show(value):
    return ", ".join(value) if isinstance(value, list) else (value or "-")


def branch_payload(settings, branch) -> str:
    return qr.sign(settings["kairan.secret"], branch.id, branch.qr_version)


def staff_merchant_ids(dbsession, user_id) -> list[int]:
    return list(dbsession.scalars(
        select(MerchantStaff.merchant_id).where(MerchantStaff.user_id == user_id)
        .order_by(MerchantStaff.merchant_id)))


def programme_coverage(dbsession, programmes):
    """``[(programme, [missing category codes])]``: which of the required categories
    (supermarket, convenience store, drugstore) each programme still lacks among its
    active merchants."""
    rows = dbsession.execute(
        select(Merchant.category, Merchant.programmes).where(Merchant.status == "active")).all()
    result = []
    for programme in programmes:
        have = {category for category, codes in rows if programme.code in (codes or ())}
        result.append((programme, [c for c in REQUIRED_CATEGORIES if c not in have]))
    return result


# -- download my data ---------------------------------------------------------

def _iso(value):
    return value.isoformat() if value is not None else None


@implementer(IPersonalDataProvider)
class MerchantPersonalData:
    """The merchants a user is staff of, and the applications sent from their address."""

    name = "merchants"

    def export(self, request, user):
        dbsession = request.dbsession
        staff = [
            {"merchant_id": m.id, "merchant": m.name, "since": _iso(link.created)}
            for link, m in dbsession.execute(
                select(MerchantStaff, Merchant).join(Merchant)
                .where(MerchantStaff.user_id == user.id).order_by(Merchant.id))
        ]
        applications = [
            {"id": a.id, "status": a.status, "legal_name": a.legal_name,
             "trade_name": a.trade_name, "contact_name": a.contact_name,
             "contact_email": a.contact_email, "contact_phone": a.contact_phone,
             "created": _iso(a.created), "decided_at": _iso(a.decided_at),
             "messages": [{"at": _iso(e.at), "kind": e.kind, "text": e.text}
                          for e in a.events if e.kind in ("question", "answer")]}
            for a in dbsession.scalars(
                select(MerchantApplication)
                .where(MerchantApplication.contact_email == user.email)
                .order_by(MerchantApplication.id))
        ]
        return {"staff_of": staff, "applications": applications}
