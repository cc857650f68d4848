"""Helpers for the TOTP, recovery-code and security-page tests: a settable clock for the
time steps, enrolment through the real pages, codes made with pyotp."""

import re
import time

import pyotp
import pytest
from kairan_stepup.totp import services
from sqlalchemy import select

from kairan.testing import sign_in_directly

KEY_RE = re.compile(r'class="totp-key"[^>]*>([A-Z2-7 ]+)<')
CODE_RE = re.compile(r"<code>([0-9a-z]{5}-[0-9a-z]{5})</code>")


class Clock:
    """The time the TOTP services see; starts in the middle of a 30-second step."""

    def __init__(self):
        self.now = (time.time() // 30) * 30 + 15

    def step(self, offset=0):
        return int(self.now // 30) + offset

    def advance(self, seconds):
        self.now += seconds

    def code(self, seed, offset=0):
        return pyotp.TOTP(seed).at(self.now + 30 * offset)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(services, "current_step",
                        lambda now=None: int((clock.now if now is None else now) // 30))
    return clock


def enrol(testapp, clock, nickname="私のスマホ"):
    """Enrol an app through the pages; return (seed, response showing the recovery codes)."""
    page = testapp.get("/account/security/totp")
    seed = KEY_RE.search(page.text).group(1).replace(" ", "")
    response = testapp.post_form("/account/security/totp", {
        "nickname": nickname, "code": clock.code(seed)})
    return seed, response


def recovery_codes(response):
    return CODE_RE.findall(response.text)


def step_up(testapp, code, came_from="/dashboard", status=None):
    return testapp.post_form("/stepup/otp", {"code": code, "came_from": came_from},
                             status=status, expect_errors=status not in (None, 303))


def resident(make_user, testapp, dbsession, email="hanako@example.jp", roles=()):
    user = make_user(email=email, roles=roles)
    sign_in_directly(testapp, dbsession, user)
    return user


def audit_actions(dbsession):
    from kairan.audit.models import AuditEntry

    dbsession.expire_all()
    return [(e.action, e.outcome) for e in dbsession.scalars(
        select(AuditEntry).order_by(AuditEntry.id))]


TEST_ADDON = "tests.addons.kairan_stepup.functional.stepup_test_addon"


def configure_with(kairan_settings, **extra):
    """A Configurator for kairan_stepup and the test add-on, with ``extra`` settings."""
    from kairan.config import configure

    addons = " ".join(["kairan_stepup", TEST_ADDON])
    return configure(dict(kairan_settings, **{"kairan.addons": addons}, **extra), environ={})


def browser(config):
    from kairan.testing import KairanTestApp

    return KairanTestApp(config.make_wsgi_app(), extra_environ={
        "REMOTE_ADDR": "192.0.2.10", "HTTP_HOST": "localhost"})


def touch_key(testapp, came_from="/dashboard"):
    testapp.get("/test-stepup/key")
    return testapp.post_form(f"/test-stepup/key?came_from={came_from}", {}, status=303)
