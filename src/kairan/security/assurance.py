"""Authentication assurance levels and the ``assurance`` view option.

A session records when each factor was last proven. Its level is the highest
level for which some factor of at least that level is still within that
level's total and idle limits; when a level lapses the session falls back to
the level it still holds instead of signing out.

``@view_config(..., assurance=2, max_age=900)`` asks for level 2, proven at
most 900 seconds ago. A browser is sent to the step-up page and back; an API
client gets 401 with ``WWW-Authenticate: Bearer
error="insufficient_user_authentication", acr_values="aal2"`` (RFC 9470).
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from pyramid.httpexceptions import HTTPSeeOther, HTTPUnauthorized

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


def insufficient_assurance(request, level, max_age=None):
    """The response to a request that has not proven ``level`` recently enough."""
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
    if max_age is not None:
        query["max_age"] = int(max_age)
    return HTTPSeeOther(request.route_url("security.stepup") + "?" + urlencode(query))


def assurance_deriver(view, info):
    level = info.options.get("assurance")
    if not level:
        return view
    level = int(level)
    if level not in LEVELS:
        raise ValueError(f"assurance must be one of {LEVELS}, not {level}")
    max_age = info.options.get("max_age")

    def assured_view(context, request):
        if request.assurance.satisfies(level, max_age):
            return view(context, request)
        return insufficient_assurance(request, level, max_age)

    return assured_view


assurance_deriver.options = ("assurance", "max_age")


def authenticators_for(request, level):
    """The registered authenticators that reach ``level`` and the user can use now."""
    found = []
    for _name, authenticator in request.registry.getUtilitiesFor(IAuthenticator):
        if authenticator.level >= level and authenticator.is_available(request):
            found.append(authenticator)
    return sorted(found, key=lambda a: (a.level, a.name))


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
