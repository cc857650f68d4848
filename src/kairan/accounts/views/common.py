"""What the account views share: the page template, mail in the user's language, links."""

from deform import ValidationFailure
from pyramid.httpexceptions import HTTPNotFound
from pyramid.interfaces import ILocalizer

from kairan.accounts.forms import validate
from kairan.accounts.models import User
from kairan.i18n.translation import _
from kairan.mail.services import queue_mail

PAGE = "kairan_theme_default:templates/accounts/page.pt"


def page(request, title, paragraphs=(), form=None, links=(), status=None, alert=None):
    """The values ``accounts/page.pt`` expects, translated; ``alert`` is announced
    to screen readers (``role="alert"``) above the form."""
    translate = request.localizer.translate
    if status is not None:
        request.response.status_int = status
    return {
        "page_title": translate(title),
        "paragraphs": [translate(p) for p in paragraphs],
        "form": form,
        "links": [(url, translate(label)) for url, label in links],
        "alert": translate(alert) if alert is not None else None,
    }


def user_from_route(request, key="user_id"):
    """The user whose id is in the route's ``key``; 404 if there is none."""
    try:
        user_id = int(request.matchdict[key])
    except ValueError:
        raise HTTPNotFound() from None
    user = request.dbsession.get(User, user_id)
    if user is None:
        raise HTTPNotFound()
    return user


def absolute_link(request, route_name, **kw):
    """A link for a mail, built from ``kairan.base_url``, never from the Host header
    (a forged Host would otherwise send reset links to an attacker's site)."""
    return request.registry.settings["kairan.base_url"] + request.route_path(route_name, **kw)


def localizer_for(request, locale):
    return request.registry.queryUtility(ILocalizer, name=locale) or request.localizer


def send_mail(request, recipient, locale, subject, body, **mapping):
    """Queue a mail translated into ``locale``; ``mapping`` fills both subject and body.

    At most ``kairan.accounts.mail_limit`` account mails per recipient per window:
    the forms answer the same either way, so nobody can use them to flood a
    mailbox, and the page does not tell whether a mail was sent. Returns the
    queued message, or None when the limit held it back.
    """
    from kairan.security.ratelimit import get_rate_limiter

    if not get_rate_limiter(request, "accounts.mail").hit(request, recipient.lower()):
        return None
    localizer = localizer_for(request, locale)
    mapping.setdefault("site", request.registry.settings["kairan.site_title"])
    subject = localizer.translate(_(subject, mapping=mapping))
    body = localizer.translate(_(body, mapping=mapping))
    footer = localizer.translate(_("This mail was sent automatically by ${site}.",
                                   mapping=mapping))
    return queue_mail(request, recipient, subject, body + "\n\n-- \n" + footer)


def end_all_sessions(request, user_id):
    """End every session of ``user_id``, the current one included; return how many."""
    from kairan.accounts.services import end_sessions

    ended = 0
    if request.session.user_id == user_id:
        # through the ORM, so the request's own row is not left stale in the identity map
        request.session.invalidate()
        request.dbsession.flush()
        ended = 1
    return ended + end_sessions(request.dbsession, user_id)


def submitted(request, form, title, intro=(), links=(), appstruct=None):
    """``(data, None)`` for a valid POST, else ``(None, response)``: the form on GET,
    or the form with its field errors and status 400 on an invalid POST."""
    if request.method != "POST":
        rendered = form.render(appstruct) if appstruct is not None else form.render()
        return None, page(request, title, intro, rendered, links)
    try:
        return validate(request, form), None
    except ValidationFailure as e:
        return None, page(request, title, intro, e.render(), links, status=400)
