"""Kairan's pytest plugin: real databases, the real application, WebTest.

Published as a pytest plugin (entry point ``pytest11``), so an add-on's
tests get the same fixtures by installing Kairan. Every functional test runs
once on SQLite and once on PostgreSQL. PostgreSQL is found at
``KAIRAN_TEST_POSTGRES_URL`` (default: the local server, database ``test``);
if it cannot be reached the PostgreSQL runs are skipped, except under
``CI=true``, where that is an error. The schema comes from the migrations;
between tests every table is emptied (real commits, no mocked transaction).

Override ``kairan_settings`` in an add-on's ``conftest.py`` to enable it.
"""

import os
import re
import secrets

import pytest
import webtest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session


def _let_pkg_resources_read_rewritten_modules():
    # pytest loads every module of a distribution that publishes a plugin
    # through its assertion-rewriting importer, which pkg_resources does not
    # know; Pyramid's asset specs ("kairan.content:locale") would then fail
    # with "unregistered loader type" in an add-on's tests and ours.
    import pkg_resources
    from _pytest.assertion.rewrite import AssertionRewritingHook

    pkg_resources.register_loader_type(AssertionRewritingHook, pkg_resources.DefaultProvider)


_let_pkg_resources_read_rewritten_modules()

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")
TEST_PASSWORD = "tsuki-no-usagi-42"  # noqa: S105 - the known password of test users


def pytest_addoption(parser):
    parser.addoption("--kairan-db", default="sqlite,postgresql",
                     help="comma-separated backends to run functional tests on")


def _postgres_server_url():
    return os.environ.get("KAIRAN_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def create_postgres_database(name):
    """Create a fresh database ``name`` on the test server; return its URL."""
    server_url = make_url(_postgres_server_url())
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return server_url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(name):
    admin = create_engine(make_url(_postgres_server_url()), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def postgres_available():
    engine = create_engine(_postgres_server_url())
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    finally:
        engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def db_backend(request):
    backend = request.param
    if backend not in request.config.getoption("--kairan-db").split(","):
        pytest.skip(f"{backend} not selected with --kairan-db")
    if backend == "postgresql" and not postgres_available():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not reachable and CI=true: the suite must run on it")
        pytest.skip("PostgreSQL is not reachable")
    return backend


@pytest.fixture(scope="session")
def db_url(db_backend, tmp_path_factory):
    if db_backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "kairan.sqlite"
        yield f"sqlite:///{path}"
        return
    name = f"kairan_test_{os.getpid()}_{secrets.token_hex(3)}"
    yield create_postgres_database(name)
    drop_postgres_database(name)


@pytest.fixture(scope="session")
def kairan_settings(db_url):
    """The .ini-style settings of the application under test; add-ons override this."""
    return {
        "sqlalchemy.url": db_url,
        "kairan.env": "testing",
        "kairan.secret": "testing-" + secrets.token_hex(16),
        "kairan.base_url": "http://localhost",
        "kairan.addons": "",
        "retry.attempts": "3",
    }


@pytest.fixture(scope="session")
def app_config(kairan_settings):
    """The committed Configurator, with the database migrated to every head."""
    from kairan.config import configure
    from kairan.db import migrate

    migrate.upgrade(dict(kairan_settings))
    config = configure(dict(kairan_settings), environ={})
    yield config
    config.registry["db_engine"].dispose()


@pytest.fixture(scope="session")
def app(app_config):
    return app_config.make_wsgi_app()


@pytest.fixture(scope="session")
def registry(app_config):
    return app_config.registry


@pytest.fixture(scope="session")
def engine(app_config):
    return app_config.registry["db_engine"]


def _user_tables(engine):
    from kairan.db.meta import Base

    return [t for t in reversed(Base.metadata.sorted_tables)]


@pytest.fixture
def clean_db(engine):
    """Empties every table after the test, so each test starts from nothing."""
    yield
    tables = _user_tables(engine)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())
        for extra in ("search_fts",):
            if engine.dialect.name == "sqlite":
                exists = connection.execute(
                    text("SELECT 1 FROM sqlite_master WHERE name = :n"), {"n": extra}
                ).first()
                if exists:
                    # a fixed table name from the tuple above, not input
                    connection.execute(text(f"DELETE FROM {extra}"))  # noqa: S608


@pytest.fixture
def dbsession(engine, clean_db):
    """A session for arranging and checking data; call ``commit()`` to let the app see it."""
    session = Session(bind=engine, expire_on_commit=False)
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def testapp(app, clean_db):
    return KairanTestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.10",
                                             "HTTP_HOST": "localhost"})


class _TestAppMixin:
    CSRF_RE = re.compile(r'name="csrf_token"\s+value="([^"]+)"')

    def csrf_token(self):
        """The CSRF token the browser holds (fetches a page that sets it if needed)."""
        for name in ("kairan_csrf", "__Host-csrf"):
            if name in self.cookies:
                return self.cookies[name]
        page = self.get("/login")
        match = self.CSRF_RE.search(page.text)
        return match.group(1)

    def post_form(self, url, params, **kw):
        params = dict(params)
        params.setdefault("csrf_token", self.csrf_token())
        return self.post(url, params, **kw)

    def login(self, email, password=TEST_PASSWORD, **kw):
        return self.post_form("/login", {"email": email, "password": password}, **kw)

    def logout(self):
        return self.post_form("/logout", {})


class KairanTestApp(_TestAppMixin, webtest.TestApp):
    """WebTest with Kairan helpers: ``csrf_token``, ``post_form``, ``login``, ``logout``."""


@pytest.fixture
def app_request(registry, dbsession):
    """A blank request of the application under test, on the test's ``dbsession``: for
    calling services and registry utilities that take a request, without HTTP."""
    from pyramid.request import Request, apply_request_extensions

    request = Request.blank("/")
    request.registry = registry
    apply_request_extensions(request)
    request.dbsession = dbsession
    return request


@pytest.fixture
def make_user(dbsession):
    """make_user(email=, roles=(...), status="active", password=TEST_PASSWORD) -> committed User."""
    from kairan.accounts.models import User, UserRole
    from kairan.accounts.passwords import hash_password
    from kairan.db.meta import utcnow

    counter = {"n": 0}

    def factory(email=None, roles=(), status="active", password=TEST_PASSWORD,
                display_name=None):
        counter["n"] += 1
        email = (email or f"user{counter['n']}@example.jp").lower()
        user = User(
            email=email,
            display_name=display_name or f"テスト利用者{counter['n']}",
            password_hash=hash_password(password),
            status=status,
            created=utcnow(),
            email_verified_at=utcnow() if status == "active" else None,
        )
        user.roles = [UserRole(role=str(r)) for r in roles]
        dbsession.add(user)
        dbsession.commit()
        return user

    return factory


def sign_in_directly(testapp, dbsession, user):
    """Give ``testapp`` a live session for ``user`` as the sign-in form would, without
    the form's cost (argon2, rate limits): for tests about what comes after."""
    from datetime import timedelta

    from kairan.db.meta import utcnow
    from kairan.security.models import AuthSession
    from kairan.security.sessions import token_hash

    token = secrets.token_urlsafe(32)
    now = utcnow()
    dbsession.add(AuthSession(id=token_hash(token), user_id=user.id, created=now,
                              last_seen=now - timedelta(seconds=1),
                              factors={"pwd": {"level": 1, "at": now.isoformat()}}, data={}))
    dbsession.commit()
    testapp.set_cookie("kairan_session", token)
    return user
