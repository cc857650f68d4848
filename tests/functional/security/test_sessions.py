"""Server-side sessions: rotation, revocation, timeouts, cookie flags (SECURITY.md)."""

import hashlib
import secrets
from datetime import timedelta

import pytest
from pyramid.request import Request, apply_request_extensions
from sqlalchemy import event, select

from kairan.db.meta import utcnow
from kairan.security.models import AuthSession
from kairan.security.sessions import token_hash
from kairan.testing import KairanTestApp, sign_in_directly
from tests.functional.security.conftest import session_row, travel


def _set_cookie(response, name):
    return next(v for k, v in response.headerlist
                if k == "Set-Cookie" and v.startswith(name + "="))


def test_cookie_flags_in_development(testapp, make_user):
    make_user(email="taro@example.jp")
    response = testapp.login("taro@example.jp")
    cookie = _set_cookie(response, "kairan_session")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "secure" not in cookie.lower() and "Domain" not in cookie
    csrf = _set_cookie(response, "kairan_csrf")
    assert "HttpOnly" in csrf and "SameSite=Lax" in csrf


def test_only_the_hash_of_the_session_token_is_stored(testapp, dbsession, make_user):
    make_user(email="taro@example.jp")
    testapp.login("taro@example.jp")
    token = testapp.cookies["kairan_session"]
    assert len(token) >= 43  # 256 random bits
    ids = dbsession.scalars(select(AuthSession.id)).all()
    assert ids == [hashlib.sha256(token.encode()).hexdigest()]


def test_anonymous_pages_create_no_session(testapp, dbsession):
    testapp.get("/login")
    testapp.get("/register")
    assert "kairan_session" not in testapp.cookies
    assert dbsession.scalars(select(AuthSession)).all() == []


def test_signed_in_pages_are_not_cached(testapp, make_user):
    make_user(email="taro@example.jp")
    assert testapp.get("/login").headers.get("Cache-Control") != "no-store"
    testapp.login("taro@example.jp")
    for path in ("/account", "/account/password", "/login"):
        assert testapp.get(path).headers["Cache-Control"] == "no-store"


def test_an_old_cookie_is_anonymous_after_logout_and_after_rotation(app, testapp, make_user):
    make_user(email="taro@example.jp")
    testapp.login("taro@example.jp")
    first = testapp.cookies["kairan_session"]
    testapp.login("taro@example.jp")  # signing in again rotates the id
    second = testapp.cookies["kairan_session"]
    assert first != second
    replay = KairanTestApp(app)
    replay.set_cookie("kairan_session", first)
    assert replay.get("/account", status=303).location.startswith("http://localhost/login")
    testapp.logout()
    replay.set_cookie("kairan_session", second)
    replay.get("/account", status=303)
    testapp.get("/account", status=303)


def test_session_fixation_a_planted_cookie_is_replaced_at_sign_in(app, make_user):
    make_user(email="taro@example.jp")
    browser = KairanTestApp(app)
    browser.set_cookie("kairan_session", "planted-by-an-attacker")
    browser.login("taro@example.jp")
    assert browser.cookies["kairan_session"] != "planted-by-an-attacker"


def test_aal1_idle_timeout(testapp, dbsession, make_user, registry):
    make_user(email="taro@example.jp")
    testapp.login("taro@example.jp")
    idle = registry.settings["kairan.session.idle_seconds"]
    travel(dbsession, testapp, idle=timedelta(seconds=idle - 60))
    assert testapp.get("/account").status_int == 200
    travel(dbsession, testapp, idle=timedelta(seconds=idle + 1))
    testapp.get("/account", status=303)


def test_aal1_total_lifetime(testapp, dbsession, make_user, registry):
    make_user(email="taro@example.jp")
    testapp.login("taro@example.jp")
    total = registry.settings["kairan.session.max_seconds"]
    travel(dbsession, testapp, age=timedelta(seconds=total - 60))
    assert testapp.get("/account").status_int == 200
    travel(dbsession, testapp, age=timedelta(seconds=total + 1))
    testapp.get("/account", status=303)


def test_last_seen_is_refreshed_so_an_active_session_stays(testapp, dbsession, make_user):
    make_user(email="taro@example.jp")
    testapp.login("taro@example.jp")
    travel(dbsession, testapp, idle=timedelta(minutes=5))
    testapp.get("/account")
    row = session_row(dbsession, testapp)
    assert utcnow() - row.last_seen < timedelta(minutes=1)


class Statements(list):
    """The SQL ``engine`` runs inside the ``with`` block."""

    def __init__(self, engine):
        super().__init__()
        self.engine = engine

    def _append(self, connection, cursor, statement, *args):
        self.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._append)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._append)


def _request(registry, token):
    request = Request.blank("/", headers={"Cookie": f"kairan_session={token}"})
    request.registry = registry
    apply_request_extensions(request)
    return request


def test_a_signed_in_request_reads_session_user_and_roles_in_one_statement(
        registry, engine, testapp, dbsession, make_user):
    user = sign_in_directly(testapp, dbsession, make_user(roles=("Reviewer", "Editor")))
    with Statements(engine) as statements:
        testapp.get("/healthz")
    assert len(statements) == 2  # the session with its user and roles, then SELECT 1
    assert "user_roles" in statements[0] and "SELECT 1" in statements[1]
    request = _request(registry, testapp.cookies["kairan_session"])
    with request.tm, Statements(engine) as statements:
        assert len(statements) == 0
        assert request.user.id == user.id and request.user.role_names == ["Editor", "Reviewer"]
        assert request.session.row.user_id == user.id and request.authenticated_userid == user.id
    assert len(statements) == 1


def test_a_disabled_users_live_session_is_anonymous(testapp, dbsession, make_user):
    user = sign_in_directly(testapp, dbsession, make_user())
    assert testapp.get("/account").status_int == 200
    user.status = "disabled"
    dbsession.commit()
    testapp.get("/account", status=303)


def test_a_session_without_a_user_keeps_its_data(registry, dbsession, clean_db):
    token = "anonymous-with-a-flash-message"
    dbsession.add(AuthSession(id=token_hash(token), created=utcnow(), last_seen=utcnow(),
                              factors={}, data={"_flash_": ["saved"]}))
    dbsession.commit()
    request = _request(registry, token)
    with request.tm:
        assert request.user is None and request.session.peek_flash() == ["saved"]


def test_signing_in_during_a_request_gives_the_new_user(registry, testapp, dbsession,
                                                          make_user):
    first = sign_in_directly(testapp, dbsession, make_user())
    second = make_user(roles=("Operator",))
    request = _request(registry, testapp.cookies["kairan_session"])
    request.tm.begin()
    try:
        assert request.session.user_id == first.id
        request.session.sign_in(second.id)
        assert request.user.id == second.id and request.user.role_names == ["Operator"]
    finally:
        request.tm.abort()


@pytest.fixture
def production_app(db_backend, kairan_settings, app_config, clean_db):
    """The application as production runs it: HTTPS, a real secret, PostgreSQL.

    Production refuses SQLite at start-up (settings.check_production), so this
    fixture only exists on the PostgreSQL run of the suite.
    """
    if db_backend != "postgresql":
        pytest.skip("production refuses SQLite; this runs on the PostgreSQL pass")
    from kairan.config import configure

    environ = {"KAIRAN_SECRET": secrets.token_urlsafe(48),
               "KAIRAN_DATABASE_URL": kairan_settings["sqlalchemy.url"],
               "KAIRAN_BASE_URL": "https://kairan.test",
               # the step-up add-on keeps its TOTP seeds encrypted with keys of its own
               "KAIRAN_STEPUP_KEYS": "k1ZpYtdNqrLSmXXsEMrKRdSu3c0mtUf8xdZjgOEv6VA="}
    config = configure(dict(kairan_settings, **{"kairan.env": "production"}), environ=environ)
    yield KairanTestApp(config.make_wsgi_app(),
                        extra_environ={"wsgi.url_scheme": "https", "HTTP_HOST": "kairan.test",
                                       "REMOTE_ADDR": "192.0.2.10"})
    config.registry["db_engine"].dispose()


def test_production_cookies_are_secure_host_prefixed(production_app, make_user):
    make_user(email="taro@example.jp")
    # over HTTPS an unsafe request also needs a same-origin Origin (or Referer)
    production_app.login("taro@example.jp", status=400)
    production_app.login("taro@example.jp", headers={"Origin": "https://evil.example"},
                         status=400)
    response = production_app.login("taro@example.jp", headers={"Origin": "https://kairan.test"})
    assert response.status_int == 303
    cookie = _set_cookie(response, "__Host-kairan_session")
    for flag in ("secure", "httponly", "samesite=lax", "path=/"):
        assert flag in cookie.lower()
    assert "Domain" not in cookie
    csrf = _set_cookie(response, "__Host-csrf")
    assert "secure" in csrf.lower() and "httponly" in csrf.lower()
    page = production_app.get("/account")
    assert page.headers["Cache-Control"] == "no-store"
    assert "max-age=" in page.headers["Strict-Transport-Security"]
