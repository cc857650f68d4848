"""Fixtures and steps shared by the MyNumber card tests: a test CA made with the add-on's
own module (the code behind ``kairan jpki make-test-ca``), settings pointing at
it, and the card-reader app's part played by ``sign_challenge``."""

import html
import re

import pytest
from kairan_stepup.jpki.models import MyNumberBinding
from kairan_stepup.jpki.testca import make_test_ca, sign_challenge
from sqlalchemy import select

from kairan.audit.models import AuditEntry

CHALLENGE_RE = re.compile(r'name="challenge"[^>]*>([^<]+)</textarea>')


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory):
    return make_test_ca(tmp_path_factory.mktemp("jpki-ca"))


@pytest.fixture(scope="session")
def other_ca(tmp_path_factory):
    """A CA the site does not trust, shaped exactly like the trusted one."""
    return make_test_ca(tmp_path_factory.mktemp("jpki-other"), name="Somebody Else")


@pytest.fixture
def card_settings(registry, test_ca, monkeypatch):
    monkeypatch.setitem(registry.settings, "kairan.stepup.jpki.trust_anchors",
                        [str(test_ca.trust_anchors)])
    monkeypatch.setitem(registry.settings, "kairan.stepup.jpki.crl_files", [str(test_ca.crl)])
    return registry.settings


def challenge(testapp, mode, came_from="/dashboard"):
    page = testapp.post_form("/mynumber/card", {"mode": mode, "came_from": came_from})
    assert page.status_int == 200, (page.status, page.location)
    return html.unescape(CHALLENGE_RE.search(page.text).group(1)).strip()


def answer(testapp, text, card, status=303, **extra):
    cert, key = card
    params = {"response": sign_challenge(key, cert, text), **extra}
    return testapp.post_form("/mynumber/card/verify", params, status=status)


def bindings(dbsession):
    dbsession.expire_all()
    return dbsession.scalars(select(MyNumberBinding)).all()


def audit_entries(dbsession, action):
    dbsession.expire_all()
    return dbsession.scalars(select(AuditEntry).where(AuditEntry.action == action)
                             .order_by(AuditEntry.id)).all()


def alert(page):
    """The text of the page's role="alert" box."""
    match = re.search(r'role="alert"><p>(.*?)</p>', page.text, re.S)
    assert match, page.text[:2000]
    return html.unescape(match.group(1))


def session_row(dbsession, testapp):
    """The ``sessions`` row behind the test browser's cookie (WebTest may quote it)."""
    from kairan.security.models import AuthSession
    from kairan.security.sessions import token_hash

    dbsession.expire_all()
    return dbsession.get(AuthSession, token_hash(testapp.cookies["kairan_session"].strip('"')))
