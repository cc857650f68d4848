"""A test-only add-on: views that need assurance 2 or 3, authenticators for them, a view
that fails after writing, a role and a "download my data" section. Included by
``conftest.stepup_app`` like any add-on."""

from pyramid.csrf import get_csrf_token
from pyramid.response import Response
from zope.interface import implementer

from kairan.accounts.interfaces import IPersonalDataProvider
from kairan.audit.models import AuditEntry
from kairan.db.meta import utcnow
from kairan.demo.interfaces import IDemoLoader
from kairan.security.assurance import complete_step_up
from kairan.security.interfaces import IAuthenticator
from kairan.security.permissions import Permission

SITE = "kairan.security.permissions.site_root_factory"


@implementer(IAuthenticator)
class TestAuthenticator:
    def __init__(self, name, level, title, available=True):
        self.name, self.level, self.title, self.available = name, level, title, available
        self.description = f"{title}: press the button."

    def is_available(self, request):
        # a user whose address starts with "nocard" has not set up the card
        user = request.user
        no_card = self.name == "sc" and user is not None and user.email.startswith("nocard")
        return self.available and not no_card

    def start_url(self, request, came_from, level):
        return request.route_path("test.factor", name=self.name,
                                  _query={"came_from": came_from, "level": level})

    def enrol_url(self, request):
        return f"/test/enrol/{self.name}"

    def sign_in_url(self, request, came_from):
        # only the card signs in on its own, like the MyNumber card does
        return f"/test/card-sign-in?came_from={came_from}" if self.name == "sc" else None


AUTHENTICATORS = (
    TestAuthenticator("test-pin", 1, "Test PIN"),
    TestAuthenticator("otp", 2, "Test one-time code"),
    TestAuthenticator("hwk", 2, "Test key not enrolled", available=False),
    TestAuthenticator("sc", 3, "Test card"),
)


@implementer(IPersonalDataProvider)
class TestPointsData:
    name = "test_points"

    def export(self, request, user):
        return {"balance": 42, "owner": user.email}


def secret(request):
    return Response(f"secret for level {request.assurance.level}")


def api_secret(request):
    return {"secret": True}


def factor(request):
    name = request.matchdict["name"]
    authenticator = {a.name: a for a in AUTHENTICATORS}[name]
    if request.method == "POST":
        return complete_step_up(request, name, authenticator.level,
                                request.params.get("came_from"))
    token = get_csrf_token(request)
    return Response(f'<form method="post"><input name="csrf_token" value="{token}"></form>')


def boom(request):
    request.dbsession.add(AuditEntry(at=utcnow(), action="test.boom", outcome="success",
                                     detail={}))
    request.dbsession.flush()
    raise RuntimeError("secret-internal-detail")


@implementer(IDemoLoader)
class TestDemoLoader:
    def __init__(self, name, order):
        self.name, self.order, self.title = name, order, f"demo {name}"

    def load(self, dbsession, registry, today):
        return [f"{self.name} loaded for {today.isoformat()}"]


def includeme(config):
    from kairan.i18n.translation import _

    add = config.add_route
    add("test.secret", "/test/secret", factory=SITE)
    add("test.recent", "/test/recent", factory=SITE)
    add("test.top", "/test/top", factory=SITE)
    add("test.api", "/api/v1/test-secret", factory=SITE)
    add("test.factor", "/test/factor/{name}", factory=SITE)
    add("test.boom", "/test/boom", factory=SITE)
    add("test.pay", "/test/pay", factory=SITE)
    config.add_assurance_action("test.pay", 2, _("Delete my account"))
    view = config.add_view
    view(secret, route_name="test.secret", permission=Permission.MEMBER, assurance=2)
    view(secret, route_name="test.recent", permission=Permission.MEMBER, assurance=2,
         max_age=300)
    view(secret, route_name="test.top", permission=Permission.MEMBER, assurance=3)
    view(api_secret, route_name="test.api", permission=Permission.MEMBER, assurance=2,
         renderer="json")
    view(factor, route_name="test.factor", permission=Permission.MEMBER)
    view(boom, route_name="test.boom", permission=Permission.MEMBER)
    view(secret, route_name="test.pay", permission=Permission.MEMBER, assurance="test.pay")
    config.add_account_link("test.security", "test.secret", "Test security page")
    add("test.user_factors", "/test/users/{user_id}/factors", factory=SITE)
    view(secret, route_name="test.user_factors", permission=Permission.MANAGE_USERS)
    config.add_account_link("test.reset", "test.user_factors", "Test reset factors",
                            kind="manage_user", permission=Permission.MANAGE_USERS)
    config.add_demo_loader(TestDemoLoader("zz-late", 10))
    config.add_demo_loader(TestDemoLoader("aa-early", 20))
    for authenticator in AUTHENTICATORS:
        config.add_authenticator(authenticator)
    config.add_role("TestDriver", "運転手 (TestDriver)")
    config.add_personal_data_provider(TestPointsData())
