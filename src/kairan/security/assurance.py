"""Authentication assurance levels and the ``assurance`` view option.

A session records when each factor was last proven. Its level is the highest
level for which some factor of at least that level is still within that
level's total and idle limits; when a level lapses the session falls back to
the level it still holds instead of signing out.

``@view_config(..., assurance=2, max_age=900)`` asks for level 2, proven at
most 900 seconds ago. ``assurance="points.pay"`` names a protected action
instead: its level is the setting ``kairan.assurance.points.pay`` if an
operator set one, else the default the add-on declared with
``config.add_assurance_action("points.pay", 2, _("paying with points"))``.
A browser is sent to the step-up page and back; an API client gets 401
with ``WWW-Authenticate: Bearer error="insufficient_user_authentication",
acr_values="aal2"`` (RFC 9470).
"""

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from pyramid.httpexceptions import HTTPSeeOther, HTTPUnauthorized
from zope.interface import Interface

from kairan.db.meta import utcnow
from kairan.i18n.translation import _
from kairan.security.interfaces import IAuthenticator

LEVELS = (1, 2, 3)


def level_limits(settings, level):
    """(idle, total) timedeltas for ``level``."""
    prefix = "kairan.session." if level == 1 else f"kairan.session.aal{level}_"
    return (
        timedelta(seconds=settings[prefix + "idle_seconds"]),
        timedelta(seconds=settings[prefix + "max_seconds"]),
    )


@dataclass
class Assurance:
    """What the current session has proven, evaluated at ``now``."""

    level: int = 0
    # level -> the latest time a factor of at least that level was proven
    proven: dict = field(default_factory=dict)
    amr: list = field(default_factory=list)

    @property
    def acr(self):
        return f"aal{self.level}" if self.level else None

    def proven_at(self, level) -> datetime | None:
        return self.proven.get(level)

    def satisfies(self, level, max_age=None, now=None) -> bool:
        if self.level < level:
            return False
        if max_age is None:
            return True
        at = self.proven_at(level)
        now = now or utcnow()
        return at is not None and (now - at).total_seconds() <= max_age


def evaluate(settings, factors, previous_seen, now) -> Assurance:
    """Compute the assurance of a session from its recorded factors."""
    idle_for = now - previous_seen if previous_seen else timedelta(0)
    proven = {}
    amr = set()
    for name, factor in (factors or {}).items():
        at = datetime.fromisoformat(factor["at"])
        for level in LEVELS:
            if factor["level"] < level:
                break
            idle, total = level_limits(settings, level)
            if now - at <= total and idle_for <= idle:
                amr.add(name)
                if proven.get(level) is None or at > proven[level]:
                    proven[level] = at
    level = max(proven, default=0)
    return Assurance(level=level, proven=proven, amr=sorted(amr))


def lapse_idle_factors(settings, factors, idle_for):
    """The factors with each one lowered to the highest level whose idle limit
    ``idle_for`` has not exceeded; None if nothing changes.

    Remembering the lapse matters: the idle time is measured from the
    session's ``last_seen``, which the request that notices the lapse refreshes,
    so without this the next request would count the old level again.
    """
    lowered, changed = {}, False
    for name, factor in (factors or {}).items():
        level = factor["level"]
        while level > 1 and idle_for > level_limits(settings, level)[0]:
            level -= 1
        changed = changed or level != factor["level"]
        lowered[name] = dict(factor, level=level)
    return lowered if changed else None


def get_assurance(request) -> Assurance:
    """Reified as ``request.assurance``."""
    if request.user is None:
        return Assurance()
    row = request.session.row
    previous = getattr(request, "session_previous_seen", None)
    return evaluate(request.registry.settings, row.factors, previous, utcnow())


def wants_json(request) -> bool:
    if request.path.startswith("/api/"):
        return True
    accept = request.accept.best_match(["text/html", "application/json"], "text/html")
    return accept == "application/json"


def insufficient_assurance(request, level, max_age=None, action=None):
    """The response to a request that has not proven ``level`` recently enough.

    ``action`` (a name declared with ``add_assurance_action``) lets the
    step-up page say in plain words what the resident was doing.
    """
    if wants_json(request):
        challenge = (
            'Bearer error="insufficient_user_authentication", '
            f'error_description="A higher authentication level is required", '
            f'acr_values="aal{level}"'
        )
        if max_age is not None:
            challenge += f', max_age="{int(max_age)}"'
        body = {
            "error": "insufficient_user_authentication",
            "message": request.localizer.translate(
                _("This action needs a stronger sign-in (level ${level}).",
                  mapping={"level": level})
            ),
            "acr_values": f"aal{level}",
        }
        response = HTTPUnauthorized(
            body=json.dumps(body, ensure_ascii=False),
            content_type="application/json",
            charset="utf-8",
        )
        response.headers["WWW-Authenticate"] = challenge
        return response
    came_from = request.path_qs if request.method == "GET" else request.path
    if request.user is None:
        return HTTPSeeOther(request.route_url("accounts.login", _query={"came_from": came_from}))
    query = {"level": level, "came_from": came_from}
    if action is not None:
        query["action"] = action
    if max_age is not None:
        query["max_age"] = int(max_age)
    return HTTPSeeOther(request.route_url("security.stepup") + "?" + urlencode(query))


class IAssuranceAction(Interface):
    """Marker for the registry's named protected actions (see ``add_assurance_action``)."""


@dataclass(frozen=True)
class AssuranceAction:
    name: str
    level: int
    title: str  # translatable: what the resident is doing ("paying with points")


ACTION_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


def add_assurance_action(config, name, default_level, title):
    """Directive: declare the protected action ``name`` and the level it needs by default.

    An operator overrides the level with the setting ``kairan.assurance.<name>``
    (1, 2 or 3). A level outside 1-3 fails at start-up, naming the setting.
    """
    if not ACTION_RE.match(name or ""):
        raise ValueError(f"assurance action {name!r}: use lower-case letters, digits, '_.-'")
    key = f"kairan.assurance.{name}"
    raw = config.get_settings().get(key, default_level)
    try:
        level = int(raw)
    except (TypeError, ValueError):
        level = None
    if level not in LEVELS:
        raise ValueError(f"setting {key} must be 1, 2 or 3, not {raw!r}")
    action = AssuranceAction(name, level, title)

    def register():
        config.registry.registerUtility(action, IAssuranceAction, name=name)

    config.action(("kairan.assurance_action", name), register)


def assurance_action(registry, name) -> AssuranceAction:
    """The declared action ``name``; a name nobody declared is a programming error."""
    action = registry.queryUtility(IAssuranceAction, name=name)
    if action is None:
        raise LookupError(f"no assurance action {name!r}: declare it with "
                          "config.add_assurance_action")
    return action


def required_level(request, name) -> int:
    """The level the protected action ``name`` needs, as configured."""
    return assurance_action(request.registry, name).level


def assurance_deriver(view, info):
    wanted = info.options.get("assurance")
    if not wanted:
        return view
    max_age = info.options.get("max_age")
    if isinstance(wanted, str) and not wanted.isdigit():
        action_name = wanted
        level = None
    else:
        action_name = None
        level = int(wanted)
        if level not in LEVELS:
            raise ValueError(f"assurance must be one of {LEVELS}, not {level}")

    def assured_view(context, request):
        needed = level or required_level(request, action_name)
        if request.assurance.satisfies(needed, max_age):
            return view(context, request)
        return insufficient_assurance(request, needed, max_age, action=action_name)

    return assured_view


assurance_deriver.options = ("assurance", "max_age")


def authenticators_for(request, level):
    """The registered authenticators that reach ``level`` and the user can use now."""
    found = []
    for _name, authenticator in request.registry.getUtilitiesFor(IAuthenticator):
        if authenticator.level >= level and authenticator.is_available(request):
            found.append(authenticator)
    return sorted(found, key=lambda a: (a.level, a.name))


def enrolable_authenticators(request, level):
    """Authenticators reaching ``level`` that the user has not set up but could."""
    found = []
    for _name, authenticator in request.registry.getUtilitiesFor(IAuthenticator):
        enrol_url = getattr(authenticator, "enrol_url", None)
        if authenticator.level >= level and enrol_url is not None \
                and not authenticator.is_available(request):
            url = enrol_url(request)
            if url:
                found.append((authenticator, url))
    return sorted(found, key=lambda pair: (pair[0].level, pair[0].name))


def sign_in_alternatives(request, came_from):
    """[(authenticator, url)] for factors that sign a visitor in on their own."""
    found = []
    for _name, authenticator in request.registry.getUtilitiesFor(IAuthenticator):
        sign_in_url = getattr(authenticator, "sign_in_url", None)
        url = sign_in_url(request, came_from) if sign_in_url is not None else None
        if url:
            found.append((authenticator, url))
    return sorted(found, key=lambda pair: (-pair[0].level, pair[0].name))


def add_authenticator(config, authenticator):
    """Directive: register an ``IAuthenticator``; two with one name fail at start-up."""
    authenticator = config.maybe_dotted(authenticator)
    if not IAuthenticator.providedBy(authenticator):
        raise TypeError(f"{authenticator!r} does not provide IAuthenticator")
    if authenticator.level not in LEVELS:
        raise ValueError(f"authenticator {authenticator.name}: level must be 1, 2 or 3")

    def register():
        config.registry.registerUtility(authenticator, IAuthenticator, name=authenticator.name)

    config.action(("kairan.authenticator", authenticator.name), register,
                  introspectables=())


def complete_step_up(request, authenticator_name, level, came_from=None):
    """Record a proven factor (rotating the session id), audit it, and go back."""
    from kairan.audit.services import audit

    request.session.record_factor(authenticator_name, level)
    audit(request, "security.stepup", target=f"aal{level}", outcome="success",
          detail={"factor": authenticator_name})
    return HTTPSeeOther(safe_came_from(request, came_from))


def safe_came_from(request, came_from, default="/dashboard"):
    """Only a local path may be a return address (no open redirects)."""
    if not came_from or not came_from.startswith("/") or came_from.startswith("//") \
            or "\\" in came_from:
        return request.application_url + default
    return request.application_url + came_from
