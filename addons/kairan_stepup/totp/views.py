"""Step-up with a code, enrolment of an authenticator app, recovery codes shown once."""

from datetime import datetime, timedelta

from deform import ValidationFailure
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from kairan.accounts.forms import make_form, validate
from kairan.accounts.views.common import localizer_for, send_mail
from kairan.audit.services import audit
from kairan.db.meta import utcnow
from kairan.i18n.translation import _
from kairan.security.assurance import complete_step_up
from kairan.security.permissions import Permission
from kairan_stepup.account.services import enrolment_guard
from kairan_stepup.crypto import InvalidToken, decrypt, encrypt
from kairan_stepup.totp import services
from kairan_stepup.totp.schemas import CodeSchema, EnrolSchema, RecoverySchema

VERIFY = "kairan_stepup:totp/templates/verify.pt"
ENROL = "kairan_stepup:totp/templates/enrol.pt"
CODES = "kairan_stepup:totp/templates/recovery_codes.pt"
# the seed being enrolled waits in the session, encrypted, for at most this long
PENDING_KEY = "kairan_stepup.totp.pending"
PENDING_LIFETIME = timedelta(minutes=30)

FAILURES = {
    services.WRONG: _("The code is not correct. Please check the time on your phone and "
                      "enter the code your app shows now."),
    services.MALFORMED: _("The code is not correct. Please check the time on your phone and "
                          "enter the code your app shows now."),
    services.REPLAY: _("This code has already been used. Please wait for the next code in "
                       "your app."),
}
RECOVERY_FAILURE = _("This recovery code is not correct or has already been used.")

ADDED_SUBJECT = _("A sign-in method was added to your account (${site})")
ADDED_BODY = _("Hello ${name},\n\n${what} was added to your account at ${site}.\n\nIf you did "
               "not do this, please change your password and contact the city office at once.")


def _locked_message(request, user):
    minutes = max(1, (services.retry_after(request, user) + 59) // 60)
    request.response.headers["Retry-After"] = str(minutes * 60)
    return _("There have been too many wrong codes. For your security, codes are not accepted "
             "for about ${minutes} minutes.", mapping={"minutes": minutes})


def _verify_page(request, came_from, code_html=None, recovery_html=None, alert=None,
                 status=None):
    if status is not None:
        request.response.status_int = status
    user = request.user
    code_form = make_form(request, CodeSchema(), _("Confirm"), formid="otp",
                          action=request.route_path("stepup.otp"))
    recovery_form = make_form(request, RecoverySchema(), _("Use the recovery code"),
                              formid="recovery", action=request.route_path("stepup.recovery"))
    has_app = services.has_device(request.dbsession, user.id)
    codes_left = services.recovery_codes_left(request.dbsession, user.id)
    translate = request.localizer.translate
    return {
        "page_title": translate(_("Enter your one-time code")),
        "has_app": has_app,
        "codes_left": codes_left,
        "code_form": code_html or (code_form.render({"came_from": came_from}) if has_app
                                   else None),
        "recovery_form": recovery_html or (recovery_form.render({"came_from": came_from})
                                           if codes_left else None),
        "alert": translate(alert) if alert is not None else None,
        "enrol_url": request.route_path("stepup.totp.enrol"),
        "security_url": request.route_path("stepup.account"),
    }


@view_config(route_name="stepup.otp", renderer=VERIFY, permission=Permission.MEMBER)
def verify(request):
    came_from = request.params.get("came_from", "")
    if request.method != "POST":
        return _verify_page(request, came_from)
    form = make_form(request, CodeSchema(), _("Confirm"), formid="otp",
                     action=request.route_path("stepup.otp"))
    try:
        data = validate(request, form)
    except ValidationFailure as e:
        return _verify_page(request, came_from, code_html=e.render(), status=400)
    user = request.user
    outcome = services.check_code(request, user, data["code"], "totp")
    if outcome == services.SUCCESS:
        return complete_step_up(request, "otp", 2, data["came_from"])
    if outcome == services.LOCKED:
        return _verify_page(request, data["came_from"], alert=_locked_message(request, user),
                            status=429)
    return _verify_page(request, data["came_from"], alert=FAILURES[outcome], status=400)


@view_config(route_name="stepup.recovery", renderer=VERIFY, permission=Permission.MEMBER,
             request_method="POST")
def use_recovery_code(request):
    form = make_form(request, RecoverySchema(), _("Use the recovery code"), formid="recovery",
                     action=request.route_path("stepup.recovery"))
    came_from = request.params.get("came_from", "")
    try:
        data = validate(request, form)
    except ValidationFailure as e:
        return _verify_page(request, came_from, recovery_html=e.render(), status=400)
    user = request.user
    outcome = services.check_code(request, user, data["recovery_code"], "recovery")
    if outcome == services.LOCKED:
        return _verify_page(request, data["came_from"], alert=_locked_message(request, user),
                            status=429)
    if outcome != services.SUCCESS:
        return _verify_page(request, data["came_from"], alert=RECOVERY_FAILURE, status=400)
    response = complete_step_up(request, "otp", 2, data["came_from"])
    left = services.recovery_codes_left(request.dbsession, user.id)
    request.session.flash(request.localizer.translate(_(
        "You used a recovery code. ${left} codes are left; you can make new ones on your "
        "security settings page.", mapping={"left": left})))
    return response


def _pending_seed(request):
    """The seed being enrolled (made on the first visit, kept encrypted in the session)."""
    pending = request.session.get(PENDING_KEY)
    if pending:
        try:
            started = datetime.fromisoformat(pending["at"])
            if utcnow() - started < PENDING_LIFETIME:
                return decrypt(request.registry, pending["secret"])
        except (InvalidToken, KeyError, TypeError, ValueError):
            pass  # a key rotated away or an old session: start again
    seed = services.new_seed()
    request.session[PENDING_KEY] = {"secret": encrypt(request.registry, seed),
                                    "at": utcnow().isoformat()}
    return seed


def notify_added(request, user, what):
    what = localizer_for(request, user.locale).translate(what)
    send_mail(request, user.email, user.locale, ADDED_SUBJECT, ADDED_BODY,
              name=user.display_name, what=what)


@view_config(route_name="stepup.totp.enrol", renderer=ENROL, permission=Permission.MEMBER)
def enrol(request):
    user = request.user
    refused = enrolment_guard(request)
    if refused is not None:
        return refused
    translate = request.localizer.translate
    title = translate(_("Set up an authenticator app"))
    if len(services.devices(request.dbsession, user.id)) >= services.MAX_DEVICES:
        request.response.status_int = 400
        return {"page_title": title, "full": True, "qr": None, "key": None, "form": None,
                "alert": None, "security_url": request.route_path("stepup.account")}
    seed = _pending_seed(request)
    issuer = request.registry.settings["kairan.site_title"]
    uri = services.provisioning_uri(seed, user.email, issuer)
    form = make_form(request, EnrolSchema(), _("Finish setting up"), formid="enrol",
                     action=request.route_path("stepup.totp.enrol"))
    values = {"page_title": title, "full": False,
              "qr": services.qr_svg(uri, translate(_("QR code to scan with your app"))),
              "key": services.grouped(seed), "alert": None,
              "security_url": request.route_path("stepup.account")}
    if request.method != "POST":
        return dict(values, form=form.render())
    try:
        data = validate(request, form)
    except ValidationFailure as e:
        request.response.status_int = 400
        return dict(values, form=e.render())
    nickname = data["nickname"] or translate(_("Authenticator app"))
    device = services.confirm_device(request.dbsession, request.registry, user.id, seed,
                                     data["code"], nickname)
    if device is None:
        audit(request, "stepup.totp.enrol", target=f"user:{user.id}", outcome="failure",
              detail={"reason": "wrong code"})
        request.response.status_int = 400
        return dict(values, form=form.render({"nickname": data["nickname"]}),
                    alert=translate(FAILURES[services.WRONG]))
    del request.session[PENDING_KEY]
    audit(request, "stepup.totp.enrolled", target=f"user:{user.id}",
          detail={"device": device.id})
    notify_added(request, user, _("An authenticator app"))
    if services.recovery_codes_left(request.dbsession, user.id) == 0:
        codes = services.new_recovery_codes(request.dbsession, request.registry.settings,
                                            user.id)
        audit(request, "stepup.recovery.generated", target=f"user:{user.id}",
              detail={"codes": len(codes)})
        return recovery_codes_page(request, codes, first=True)
    request.session.flash(translate(_("Your authenticator app is set up.")))
    return HTTPSeeOther(request.route_url("stepup.account"))


def recovery_codes_page(request, codes, first=False):
    """The one time the codes are shown: rendered into the POST's own response."""
    from pyramid.renderers import render_to_response

    translate = request.localizer.translate
    return render_to_response(CODES, {
        "page_title": translate(_("Your recovery codes")),
        "codes": codes, "first": first,
        "security_url": request.route_path("stepup.account"),
    }, request=request)
