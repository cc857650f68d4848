"""The resident's sign-in security page, and the operator-assisted reset."""

from deform import ValidationFailure
from pyramid.httpexceptions import HTTPBadRequest, HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import func, select

from kairan.accounts.forms import make_form, validate
from kairan.accounts.schemas import ConfirmSchema
from kairan.accounts.services import end_sessions
from kairan.accounts.views.common import (
    end_all_sessions,
    localizer_for,
    send_mail,
    user_from_route,
)
from kairan.audit.services import audit, audit_now
from kairan.content.views.common import format_datetime
from kairan.i18n.translation import _
from kairan.security.assurance import insufficient_assurance
from kairan.security.models import AuthSession
from kairan.security.permissions import Permission, Role
from kairan_stepup.account.schemas import OperatorResetSchema
from kairan_stepup.account.services import (
    FRESH_SECONDS,
    may_remove,
    removal_level,
    required_level,
)
from kairan_stepup.factors import factor_kinds

SECURITY = "kairan_stepup:account/templates/security.pt"
CONFIRM = "kairan_stepup:account/templates/confirm.pt"
RESET = "kairan_stepup:account/templates/operator_reset.pt"

REMOVED_SUBJECT = _("A sign-in method was removed from your account (${site})")
REMOVED_BODY = _("Hello ${name},\n\n${what} was removed from your account at ${site}.\n\nIf you "
                 "did not do this, please change your password and contact the city office at "
                 "once.")
RESET_SUBJECT = _("Your second sign-in methods were reset (${site})")
RESET_BODY = _("Hello ${name},\n\nat your request, the city office removed every second "
               "sign-in method (authenticator apps, security keys, recovery codes...) from your "
               "account at ${site}, and signed your account out everywhere.\n\nPlease sign in "
               "with your password and set up a new method on the security settings page.\n\n"
               "If you did not ask for this, please contact the city office at once.")


def _other_sessions(request, user):
    current = request.session.row.id if request.session.row is not None else ""
    return request.dbsession.scalar(select(func.count(AuthSession.id)).where(
        AuthSession.user_id == user.id, AuthSession.id != current))


def _level_title(level):
    return {1: _("Level 1"), 2: _("Level 2"), 3: _("Level 3")}[level]


@view_config(route_name="stepup.account", renderer=SECURITY, permission=Permission.MEMBER,
             request_method="GET")
def security(request):
    user = request.user
    translate = request.localizer.translate
    locale = request.locale_name
    kinds = []
    for kind in factor_kinds(request.registry):
        factors = kind.factors(request, user)
        kinds.append({
            "name": kind.name,
            "title": translate(kind.title),
            "recovery": getattr(kind, "recovery_only", False),
            "add_url": kind.add_url(request),
            "factors": [{
                "nickname": factor.nickname,
                "level": translate(_level_title(factor.level)),
                "added": format_datetime(factor.added, locale),
                "last_used": format_datetime(factor.last_used, locale) if factor.last_used
                else translate(_("Not used yet")),
                "remove_url": request.route_path("stepup.account.remove", kind=kind.name,
                                                 factor_id=factor.id),
            } for factor in factors],
        })
    sessions_form = make_form(request, ConfirmSchema(), _("Sign out everywhere else"),
                              formid="sessions",
                              action=request.route_path("stepup.account.sessions"))
    return {
        "page_title": translate(_("Sign-in security")),
        "kinds": kinds,
        "required_level": required_level(request, user),
        "current_level": request.assurance.level,
        "other_sessions": _other_sessions(request, user),
        "sessions_form": sessions_form.render(),
        "account_url": request.route_path("accounts.profile"),
    }


def _find_factor(request, user):
    name = request.matchdict["kind"]
    factor_id = request.matchdict["factor_id"]
    kind = next((k for k in factor_kinds(request.registry) if k.name == name), None)
    if kind is None:
        raise HTTPNotFound()
    factor = next((f for f in kind.factors(request, user) if f.id == factor_id), None)
    if factor is None:
        raise HTTPNotFound()
    return kind, factor


def notify_removed(request, user, what):
    what = localizer_for(request, user.locale).translate(what)
    send_mail(request, user.email, user.locale, REMOVED_SUBJECT, REMOVED_BODY,
              name=user.display_name, what=what)


@view_config(route_name="stepup.account.remove", renderer=CONFIRM, permission=Permission.MEMBER)
def remove(request):
    user = request.user
    kind, factor = _find_factor(request, user)
    translate = request.localizer.translate
    level = removal_level(factor)
    if not request.assurance.satisfies(level, FRESH_SECONDS):
        return insufficient_assurance(request, level, FRESH_SECONDS)
    form = make_form(request, ConfirmSchema(), _("Remove"), formid="remove")
    values = {
        "page_title": translate(_("Remove a sign-in method")),
        "kind_title": translate(kind.title), "nickname": factor.nickname,
        "form": form.render(), "alert": None,
        "back_url": request.route_path("stepup.account"),
    }
    if not may_remove(request, user, kind.name, factor.id):
        if request.method == "POST":
            request.response.status_int = 400
            audit(request, "stepup.factor.remove", target=f"user:{user.id}", outcome="denied",
                  detail={"kind": kind.name, "reason": "last factor of the required level"})
        return dict(values, form=None, alert=translate(_(
            "This is your last sign-in method of level ${level}, which your role requires. "
            "Please add another one first.", mapping={"level": required_level(request, user)})))
    if request.method != "POST":
        return values
    try:
        validate(request, form)
    except ValidationFailure as e:
        request.response.status_int = 400
        return dict(values, form=e.render())
    kind.remove(request, user, factor.id)
    notify_removed(request, user, kind.title)
    request.session.flash(translate(_("The sign-in method is removed.")))
    return HTTPSeeOther(request.route_url("stepup.account"))


@view_config(route_name="stepup.account.recovery", renderer=CONFIRM,
             permission=Permission.MEMBER, assurance=2, max_age=FRESH_SECONDS)
def regenerate_recovery_codes(request):
    from kairan_stepup.totp import services
    from kairan_stepup.totp.views import recovery_codes_page

    user = request.user
    translate = request.localizer.translate
    form = make_form(request, ConfirmSchema(), _("Make new recovery codes"), formid="recovery")
    left = services.recovery_codes_left(request.dbsession, user.id)
    values = {
        "page_title": translate(_("New recovery codes")),
        "kind_title": translate(_("Recovery codes")),
        "nickname": translate(_("${left} codes left", mapping={"left": left})),
        "explanation": translate(_("Ten new codes will be shown once. The codes you have now "
                                   "stop working.")),
        "form": form.render(), "alert": None,
        "back_url": request.route_path("stepup.account"),
    }
    if request.method != "POST":
        return values
    try:
        validate(request, form)
    except ValidationFailure as e:
        request.response.status_int = 400
        return dict(values, form=e.render())
    codes = services.new_recovery_codes(request.dbsession, request.registry.settings, user.id)
    audit(request, "stepup.recovery.generated", target=f"user:{user.id}",
          detail={"codes": len(codes)})
    return recovery_codes_page(request, codes)


@view_config(route_name="stepup.account.sessions", request_method="POST",
             permission=Permission.MEMBER)
def sign_out_elsewhere(request):
    user = request.user
    form = make_form(request, ConfirmSchema(), _("Sign out everywhere else"), formid="sessions")
    try:
        validate(request, form)
    except ValidationFailure as e:
        raise HTTPBadRequest() from e
    keep = request.session.row.id
    ended = end_sessions(request.dbsession, user.id, keep=keep)
    audit(request, "account.sessions_ended", target=f"user:{user.id}",
          detail={"sessions_ended": ended, "kept_current": True})
    request.session.flash(request.localizer.translate(
        _("You are signed out everywhere else (${count} sessions).", mapping={"count": ended})))
    return HTTPSeeOther(request.route_url("stepup.account"))


# -- operator-assisted reset ---------------------------------------------------------------
def _may_reset(request, user):
    """Operators reset residents; a staff account (any role but Member) only a manager."""
    if user.id == request.user.id:
        return False
    staff = any(role != Role.MEMBER for role in user.role_names)
    return not staff or Role.MANAGER in request.user.role_names


@view_config(route_name="stepup.manage_user", renderer=RESET,
             permission=Permission.ACT_FOR_RESIDENT, assurance=2, max_age=FRESH_SECONDS)
def operator_reset(request):
    user = user_from_route(request)
    translate = request.localizer.translate
    if not _may_reset(request, user):
        # the 403 rolls the request back: the refusal is recorded in its own transaction
        audit_now(request, "stepup.operator_reset", target=f"user:{user.id}",
                  outcome="denied", detail={"reason": "own or staff account"})
        raise HTTPForbidden(translate(_("You cannot reset the second factors of your own "
                                        "account or of another staff member's.")))
    kinds = factor_kinds(request.registry)
    factors = [(translate(kind.title), factor.nickname) for kind in kinds
               for factor in kind.factors(request, user)]
    form = make_form(request, OperatorResetSchema(), _("Remove every second factor"),
                     formid="reset")
    values = {
        "page_title": translate(_("Reset second factors: ${email}",
                                  mapping={"email": user.email})),
        "resident": user, "factors": factors, "form": form.render(),
        "back_url": request.route_path("accounts.manage_user", user_id=user.id)
        if request.has_permission(Permission.MANAGE_USERS) else None,
    }
    if request.method != "POST":
        return values
    try:
        data = validate(request, form)
    except ValidationFailure as e:
        request.response.status_int = 400
        return dict(values, form=e.render())
    removed = {kind.name: kind.remove_all(request, user) for kind in kinds}
    ended = end_all_sessions(request, user.id)
    audit(request, "stepup.operator_reset", target=f"user:{user.id}", detail={
        "identity_check": data["identity_check"], "note": data["note"],
        "removed": removed, "sessions_ended": ended})
    send_mail(request, user.email, user.locale, RESET_SUBJECT, RESET_BODY,
              name=user.display_name)
    request.session.flash(translate(_("Every second factor of ${email} is removed and the "
                                      "account is signed out everywhere. The resident has "
                                      "been notified by mail.", mapping={"email": user.email})))
    return HTTPSeeOther(request.route_url("stepup.manage_user", user_id=user.id))

