"""What both MyNumber providers share: the bindings, the provider registry, and the one
ending of every proof (sign in, step up, or link the card to the account).

A provider proves that the resident holds a card and hands ``finish`` a
stable, hashed subject; ``finish`` decides what that proof is good for, by
the mode the flow was started in (kept server-side with the challenge or the
OpenID Connect state, never taken from the answer).
"""

from pyramid.httpexceptions import HTTPSeeOther
from sqlalchemy import delete, select

from kairan.audit.services import audit
from kairan.db.meta import utcnow
from kairan.directives import register_named
from kairan.i18n.translation import _
from kairan.security.assurance import complete_step_up, insufficient_assurance, safe_came_from
from kairan_stepup.interfaces import IMyNumberProvider
from kairan_stepup.jpki.models import MyNumberBinding

MODES = ("signin", "stepup", "enrol")
AMR = "sc"  # RFC 8176: proof of possession of a smart card's key
LEVEL = 3


class Refused(Exception):
    """Why a MyNumber proof was refused: ``reason`` for the audit log, ``message``
    (translatable) for the resident."""

    def __init__(self, reason, message):
        super().__init__(reason)
        self.reason = reason
        self.message = message


def add_mynumber_provider(config, provider):
    """Directive: register an ``IMyNumberProvider``; two with one name fail at start-up."""
    register_named(config, provider, IMyNumberProvider, "kairan_stepup.mynumber_provider",
                   "MyNumber provider", "provider")


def providers(registry):
    return sorted((p for _n, p in registry.getUtilitiesFor(IMyNumberProvider)),
                  key=lambda p: (p.order, p.name))


def enabled_providers(request):
    return [p for p in providers(request.registry) if p.is_enabled(request)]


def bindings_of(dbsession, user_id, provider_names=None):
    query = select(MyNumberBinding).where(MyNumberBinding.user_id == user_id)
    if provider_names is not None:
        query = query.where(MyNumberBinding.provider.in_(list(provider_names)))
    return list(dbsession.scalars(query.order_by(MyNumberBinding.id)))


def find_binding(dbsession, provider, subject):
    return dbsession.scalars(select(MyNumberBinding).where(
        MyNumberBinding.provider == provider, MyNumberBinding.subject == subject)).first()


def enrol_level(request, user):
    """The level a session must hold to link a card: the highest level of a factor the
    account already has. Otherwise someone who learnt only the password could add
    their own card and reach level 3 on an account a security key protects."""
    from kairan_stepup.factors import all_factors

    return max([1, *(f.level for f in all_factors(request, user))])


def mode_of(value):
    return value if value in MODES else None


def precondition(request, mode, came_from):
    """None if a flow in ``mode`` may start now, else the response that explains why not
    (sign in first, or prove a higher level before linking a card)."""
    if mode == "signin":
        return None
    if request.user is None:
        return HTTPSeeOther(request.route_url("accounts.login",
                                              _query={"came_from": came_from or "/dashboard"}))
    if mode == "enrol":
        needed = enrol_level(request, request.user)
        if not request.assurance.satisfies(needed):
            return insufficient_assurance(request, needed)
    return None


def refuse(request, provider, mode, refused: Refused, user_id=None):
    """Audit a refusal (the reason only: never a certificate, signature or token)."""
    actor = user_id if user_id is not None else (request.user.id if request.user else None)
    audit(request, f"stepup.{provider}.failure", outcome="failure", actor_id=actor,
          detail={"reason": refused.reason, "mode": mode or "unknown"})


NOT_LINKED = _("This MyNumber card is not linked to an account here. Please sign in with "
               "your password first and link the card on your security settings page.")


def finish(request, provider, mode, came_from, subject, valid_until=None):
    """End a successful proof; return the response. Raises ``Refused``."""
    from kairan.accounts.models import User
    from kairan.accounts.views.signin import complete_sign_in

    now = utcnow()
    binding = find_binding(request.dbsession, provider, subject)
    if mode == "signin":
        if binding is None:
            raise Refused("not_linked", NOT_LINKED)
        user = request.dbsession.get(User, binding.user_id)
        refused_page = complete_sign_in(request, user, AMR, LEVEL)
        if refused_page is not None:
            return refused_page
        binding.last_used = now
        audit(request, f"stepup.{provider}.success", actor_id=user.id,
              target=f"user:{user.id}", detail={"mode": mode})
        return HTTPSeeOther(safe_came_from(request, came_from))

    user = request.user
    if user is None:
        raise Refused("signed_out", _("You were signed out while using your card. Please sign "
                                      "in and try again."))
    if mode == "stepup":
        if binding is None or binding.user_id != user.id:
            raise Refused("not_linked", _(
                "This MyNumber card is not linked to your account. Please use the card you "
                "linked, or link this one on your security settings page."))
        binding.last_used = now
        audit(request, f"stepup.{provider}.success", target=f"user:{user.id}",
              detail={"mode": mode})
        return complete_step_up(request, AMR, LEVEL, came_from)

    # enrol: checked again here, the session may have changed since the start
    if not request.assurance.satisfies(enrol_level(request, user)):
        raise Refused("level", _("Please confirm it is you with a method you already use "
                                 "before linking a card."))
    if binding is not None:
        if binding.user_id != user.id:
            raise Refused("linked_elsewhere", _(
                "This MyNumber card is already linked to another account. One card can be "
                "linked to one account only."))
        request.session.flash(request.localizer.translate(
            _("This MyNumber card is already linked to your account.")))
        return HTTPSeeOther(safe_came_from(request, came_from, default="/account"))
    binding = MyNumberBinding(user_id=user.id, provider=provider, subject=subject,
                              created=now, last_used=now, valid_until=valid_until)
    request.dbsession.add(binding)
    request.dbsession.flush()
    audit(request, f"stepup.{provider}.bind", target=f"user:{user.id}",
          detail={"binding": binding.id})
    request.session.flash(request.localizer.translate(
        _("Your MyNumber card is now linked. You can use it to sign in and to confirm it is "
          "you.")))
    return HTTPSeeOther(safe_came_from(request, came_from, default="/account"))


def remove_bindings(request, user, binding_id=None):
    """Delete one binding of ``user`` (or all of them); audit each; return how many."""
    query = select(MyNumberBinding).where(MyNumberBinding.user_id == user.id)
    if binding_id is not None:
        query = query.where(MyNumberBinding.id == binding_id)
    removed = list(request.dbsession.scalars(query))
    for binding in removed:
        audit(request, f"stepup.{binding.provider}.remove", target=f"user:{user.id}",
              detail={"binding": binding.id})
    if removed:
        request.dbsession.execute(delete(MyNumberBinding).where(
            MyNumberBinding.id.in_([b.id for b in removed])))
    return len(removed)
