"""Fixtures and helpers of the WebAuthn tests: an application with the add-on and the
test-only level-2/3 pages, and the JSON ceremonies as the page's script runs them."""

import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from kairan.audit.models import AuditEntry
from kairan.testing import KairanTestApp, sign_in_directly

from .soft_authenticator import SoftAuthenticator

ADDONS = "kairan_stepup tests.addons.kairan_stepup.webauthn_addon"


@pytest.fixture(scope="session")
def webauthn_config(kairan_settings, app_config):
    from kairan.config import configure

    # app_config has migrated the database to every head of the enabled add-ons; the
    # test add-on has no tables of its own
    settings = dict(kairan_settings, **{"kairan.addons": ADDONS})
    config = configure(settings, environ={})
    yield config
    config.registry["db_engine"].dispose()


@pytest.fixture
def client(webauthn_config, clean_db):
    return KairanTestApp(webauthn_config.make_wsgi_app(),
                         extra_environ={"REMOTE_ADDR": "192.0.2.10", "HTTP_HOST": "localhost"})


@pytest.fixture
def resident(client, dbsession, make_user):
    user = make_user(email="hanako@example.jp", display_name="山田花子")
    sign_in_directly(client, dbsession, user)
    return user


def post_json(app, url, body, status=200, **kw):
    headers = {"X-CSRF-Token": app.csrf_token(), "Accept": "application/json",
               **kw.pop("headers", {})}
    return app.post(url, json.dumps(body), content_type="application/json", headers=headers,
                    status=status, expect_errors=status != 200, **kw)


def register(app, authenticator, nickname="青いキー", status=200, **create_kw):
    options = post_json(app, "/webauthn/keys/options", {"nickname": nickname}).json
    answer = authenticator.create(options, **create_kw)
    return post_json(app, "/webauthn/keys/register", {"credential": answer}, status=status)


def step_up_options(app, kind="hwk", came_from="/test/webauthn/top", status=200):
    return post_json(app, "/webauthn/stepup/options", {"kind": kind, "came_from": came_from},
                     status=status)


def step_up(app, authenticator, kind="hwk", came_from="/test/webauthn/top", status=200,
            **get_kw):
    options = step_up_options(app, kind, came_from).json
    answer = authenticator.get(options, **get_kw)
    return post_json(app, "/webauthn/stepup/verify", {"credential": answer}, status=status)


def sign_in(app, authenticator, came_from="/dashboard", status=200, **get_kw):
    options = post_json(app, "/webauthn/signin/options", {"came_from": came_from}).json
    answer = authenticator.get(options, **get_kw)
    return post_json(app, "/webauthn/signin/verify", {"credential": answer}, status=status)


def audit_entries(dbsession, action):
    dbsession.expire_all()
    return list(dbsession.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                  .order_by(AuditEntry.id)))


def path_of(url):
    return urlsplit(url).path


__all__ = ["webauthn_config", "client", "resident", "post_json", "register", "step_up",
           "step_up_options", "sign_in", "audit_entries", "path_of", "SoftAuthenticator"]
