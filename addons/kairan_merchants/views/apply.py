"""The public application form and the applicant's status page (a secret mailed link).

Applying needs no account: the applicant proves the e-mail address by
opening the link we mail and pressing a button (the GET changes nothing: mail
scanners open links). The same link shows the application's state, the
operators' questions, and a form to answer them.
"""

from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from kairan.i18n.translation import _
from kairan.security.ratelimit import get_rate_limiter
from kairan_merchants.models import WITHDRAWABLE_STATUSES
from kairan_merchants.schemas import (
    AnswerSchema,
    ApplicationSchema,
    ConfirmSchema,
    WithdrawSchema,
    branches_of,
)
from kairan_merchants.services import (
    MerchantError,
    answer_question,
    application_by_token,
    confirm_application,
    create_application,
    withdraw_application,
)
from kairan_merchants.views.common import PAGE, make_form, no_store, page, tokyo, validate
from kairan_merchants.views.labels import application_summary, status_label

APPLY_INTRO = (
    _("Shops and businesses in the city can apply to accept the city's points. Every shop is "
      "screened; we may ask you for more information."),
    _("Shops with ties to organised crime, businesses under Article 2, Paragraph 5 of the "
      "Act on Control and Improvement of Amusement Business, and sales of cash equivalents "
      "(gift certificates, prepaid cards, stamps) are excluded."),
    _("After sending the form, please open the link in the mail we send you to confirm your "
      "e-mail address. You do not need an account to apply."),
)


@view_config(route_name="merchants.apply", renderer=PAGE, permission=NO_PERMISSION_REQUIRED)
def apply(request):
    title = _("Apply to accept the city's points")
    form = make_form(request, ApplicationSchema(), _("Send the application"))
    if request.method != "POST":
        return page(request, title, APPLY_INTRO, form.render())
    limiter = get_rate_limiter(request, "merchants.apply")
    if limiter.exceeded(request, request.client_addr or ""):
        return page(request, title, APPLY_INTRO, form.render(), status=429,
                    alert=_("Too many applications were sent from your network. Please try "
                            "again in an hour."))
    data, rendered = validate(request, form)
    if data is None:
        return page(request, title, APPLY_INTRO, rendered, status=400)
    data["branches"] = branches_of(data)
    try:
        create_application(request, data)
    except MerchantError as e:
        return page(request, title, APPLY_INTRO, form.render(_cstruct(form, data)),
                    status=400, alert=e.message)
    limiter.hit(request, request.client_addr or "")
    return page(request, _("Please check your mail"), [
        _("Thank you. We have sent a mail to ${email}. Please open the link in it to confirm "
          "your e-mail address: your application reaches our screening only after that.",
          mapping={"email": data["contact_email"]}),
        _("Keep the mail: its link shows the state of your application and our questions."),
    ])


def _cstruct(form, data):
    """The form's values again (to show a refused form as it was sent)."""
    values = {k: v for k, v in data.items() if k != "branches"}
    return form.schema.serialize(values)


def _invalid_link(request):
    return page(request, _("This link is not valid"), [
        _("The link has expired or is not complete. Please copy the whole link from the mail, "
          "or contact the city office."),
    ], status=404)


@view_config(route_name="merchants.application_status",
             renderer="kairan_merchants:templates/application.pt",
             permission=NO_PERMISSION_REQUIRED)
def application_status(request):
    no_store(request)
    application = application_by_token(request.dbsession, request.matchdict["token"])
    if application is None:
        request.override_renderer = PAGE
        return _invalid_link(request)
    if "withdraw" in request.GET or request.POST.get("__formid__") == "withdraw":
        request.override_renderer = "kairan_merchants:templates/withdraw.pt"
        return _withdraw(request, application)
    confirm_form = make_form(request, ConfirmSchema(), _("Confirm my e-mail address"),
                             formid="confirm")
    answer_form = make_form(request, AnswerSchema(), _("Send my answer"), formid="answer")
    alert = None
    rendered_answer = None
    if request.method == "POST":
        formid = request.POST.get("__formid__")
        try:
            if formid == "confirm" and application.status == "unconfirmed":
                confirm_application(request, application)
                request.session.flash(request.localizer.translate(
                    _("Thank you: your e-mail address is confirmed and your application is "
                      "in our screening queue.")))
            elif formid == "answer" and application.status == "info_requested":
                data, rendered_answer = validate(request, answer_form)
                if data is not None:
                    answer_question(request, application, data["answer"])
                    request.session.flash(request.localizer.translate(
                        _("Thank you: your answer has been sent.")))
                else:
                    request.response.status_int = 400
            else:
                request.response.status_int = 400
                alert = _("This form cannot be used now. Please reload the page.")
        except MerchantError as e:
            request.response.status_int = 400
            alert = e.message
        if request.response.status_int < 400:
            from pyramid.httpexceptions import HTTPSeeOther

            return HTTPSeeOther(request.path)
    translate = request.localizer.translate
    return {
        "page_title": translate(_("Your shop application")),
        "status": status_label(request, application.status),
        "status_code": application.status,
        "summary": application_summary(request, application),
        "messages": [{"kind": e.kind, "at": tokyo(e.at), "text": e.text}
                     for e in application.events if e.kind in ("question", "answer")],
        "decision_reason": application.decision_reason
        if application.status == "rejected" else None,
        "confirm_form": confirm_form.render() if application.status == "unconfirmed" else None,
        "answer_form": (rendered_answer or answer_form.render())
        if application.status == "info_requested" else None,
        "alert": translate(alert) if alert is not None else None,
        "withdraw_url": request.route_path("merchants.application_status",
                                           token=request.matchdict["token"],
                                           _query={"withdraw": "1"})
        if application.status in WITHDRAWABLE_STATUSES else None,
    }


def _withdraw(request, application):
    """Withdraw an application not yet decided, on the status link itself (no other public
    route): ``?withdraw=1`` shows a confirmation page (the GET changes nothing), its form
    (``__formid__=withdraw``, with the CSRF token) withdraws."""
    from pyramid.httpexceptions import HTTPSeeOther

    token = request.matchdict["token"]
    translate = request.localizer.translate
    status_url = request.route_path("merchants.application_status", token=token)
    form = make_form(request, WithdrawSchema(), _("Withdraw the application"),
                     formid="withdraw")
    rendered, alert = None, None
    if application.status not in WITHDRAWABLE_STATUSES:
        alert = _("This application has already been decided or withdrawn: it cannot be "
                  "withdrawn.")
        if request.method == "POST":
            request.response.status_int = 400
    elif request.method == "POST":
        data, rendered = validate(request, form)
        if data is None:
            request.response.status_int = 400
        else:
            try:
                withdraw_application(request, application, data["reason"])
            except MerchantError as e:
                request.response.status_int = 400
                alert = e.message
            else:
                request.session.flash(translate(_(
                    "Your application is withdrawn. We have mailed you a confirmation.")))
                return HTTPSeeOther(status_url)
    return {
        "page_title": translate(_("Withdraw your shop application")),
        "trade_name": application.trade_name,
        "alert": translate(alert) if alert else None,
        "form": (rendered or form.render())
        if application.status in WITHDRAWABLE_STATUSES else None,
        "status_url": status_url,
    }
