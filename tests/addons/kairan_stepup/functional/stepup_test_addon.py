"""A test-only add-on next to kairan_stepup: a level-3 test key (an authenticator and a
factor kind kept in the registry), a view reporting acr/amr, and a named protected action
whose level the setting ``kairan.assurance.test.stepup.action`` changes."""

from kairan_stepup.factors import Factor
from kairan_stepup.interfaces import IFactorKind
from pyramid.csrf import get_csrf_token
from pyramid.response import Response
from zope.interface import implementer

from kairan.db.meta import utcnow
from kairan.security.assurance import complete_step_up
from kairan.security.interfaces import IAuthenticator
from kairan.security.permissions import Permission

SITE = "kairan.security.permissions.site_root_factory"


@implementer(IAuthenticator)
class TestKey:
    name = "test-hwk"
    level = 3
    title = "Test security key"
    description = "Touch the test key."

    def is_available(self, request):
        return bool(request.registry["test_keys"].get(request.user.id))

    def start_url(self, request, came_from, level):
        return request.route_path("test_stepup.key", _query={"came_from": came_from})


@implementer(IFactorKind)
class TestKeyKind:
    name = "testkey"
    title = "Test keys"
    order = 10

    def factors(self, request, user):
        return [Factor(kind=self.name, id=key, nickname=f"key {key}", level=3, added=utcnow())
                for key in request.registry["test_keys"].get(user.id, [])]

    def add_url(self, request):
        return None

    def remove(self, request, user, factor_id):
        keys = request.registry["test_keys"].get(user.id, [])
        if factor_id in keys:
            keys.remove(factor_id)
            return True
        return False

    def remove_all(self, request, user):
        return len(request.registry["test_keys"].pop(user.id, []))


def key(request):
    if request.method == "POST":
        return complete_step_up(request, "test-hwk", 3, request.params.get("came_from"))
    return Response(f'<form method="post"><input name="csrf_token" '
                    f'value="{get_csrf_token(request)}"></form>')


def whoami(request):
    assurance = request.assurance
    return {"level": assurance.level, "acr": assurance.acr, "amr": assurance.amr}


def action(request):
    return Response("protected action done")


def includeme(config):
    config.registry["test_keys"] = {}
    config.add_route("test_stepup.key", "/test-stepup/key", factory=SITE)
    config.add_route("test_stepup.whoami", "/test-stepup/whoami", factory=SITE)
    config.add_route("test_stepup.action", "/test-stepup/action", factory=SITE)
    config.add_view(key, route_name="test_stepup.key", permission=Permission.MEMBER)
    config.add_view(whoami, route_name="test_stepup.whoami", permission=Permission.MEMBER,
                    renderer="json")
    config.add_view(action, route_name="test_stepup.action", permission=Permission.MEMBER,
                    assurance="test.stepup.action")
    config.add_assurance_action("test.stepup.action", 3, "doing the test action")
    config.add_authenticator(TestKey())
    config.add_factor_kind(TestKeyKind())
