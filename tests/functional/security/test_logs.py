"""No password, token or cookie value reaches a log (SECURITY.md, "Input, output, logs").

Every flow runs with known secrets while every logger's output is captured at DEBUG.
``sqlalchemy.engine`` stays at WARNING as in every ``etc/*.ini``: SQL echo prints
statement parameters (the mail outbox holds links with tokens) and is a debugging
tool that must never be switched on in production.
"""

import io
import logging
import re

import pytest

from kairan.testing import TEST_PASSWORD, KairanTestApp
from tests.functional.accounts.conftest import link_in

REGISTER_PASSWORD = "log-test-register-secret-1"
RESET_PASSWORD = "log-test-reset-secret-2"
CHANGED_PASSWORD = "log-test-changed-secret-3"
WRONG_PASSWORD = "log-test-wrong-secret-4"


@pytest.fixture
def captured_logs():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(args)s"))
    root = logging.getLogger()
    sqlalchemy_engine = logging.getLogger("sqlalchemy.engine")
    saved = root.level, sqlalchemy_engine.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    sqlalchemy_engine.setLevel(logging.WARNING)
    yield stream
    root.removeHandler(handler)
    root.setLevel(saved[0])
    sqlalchemy_engine.setLevel(saved[1])


def test_no_secret_reaches_the_logs(app, testapp, make_user, outbox, captured_logs):
    secrets_seen = {REGISTER_PASSWORD, RESET_PASSWORD, CHANGED_PASSWORD, WRONG_PASSWORD,
                    TEST_PASSWORD}

    def remember_cookies(browser):
        secrets_seen.update(v for v in browser.cookies.values() if len(v) >= 16)

    # register and verify
    testapp.post_form("/register", {"email": "hanako@example.jp", "display_name": "花子",
                                    "new_password": REGISTER_PASSWORD,
                                    "confirm_password": REGISTER_PASSWORD})
    verify = link_in(outbox()[-1], "/verify/")
    secrets_seen.add(verify.rsplit("/", 1)[1])
    testapp.post_form(verify, {})
    # failed and successful sign-in, a broken form, password change, sign-out
    testapp.login("hanako@example.jp", WRONG_PASSWORD, status=400)
    testapp.login("nobody@example.jp", WRONG_PASSWORD, status=400)
    testapp.post_form("/login", {"email": "x", "password": WRONG_PASSWORD}, status=400)
    testapp.login("hanako@example.jp", REGISTER_PASSWORD, status=303)
    remember_cookies(testapp)
    testapp.post_form("/account/password", {
        "current_password": REGISTER_PASSWORD, "new_password": CHANGED_PASSWORD,
        "confirm_password": CHANGED_PASSWORD}, status=303)
    remember_cookies(testapp)
    testapp.logout()
    # reset by mail, on another browser
    other = KairanTestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.44"})
    other.post_form("/password-reset", {"email": "hanako@example.jp"})
    reset = link_in(outbox()[-1], "/password-reset/")
    secrets_seen.add(reset.rsplit("/", 1)[1])
    other.post_form(reset, {"new_password": RESET_PASSWORD,
                            "confirm_password": RESET_PASSWORD}, status=303)
    other.login("hanako@example.jp", RESET_PASSWORD, status=303)
    remember_cookies(other)
    make_user(email="taro@example.jp")
    testapp.login("taro@example.jp", status=303)
    remember_cookies(testapp)
    logging.getLogger("kairan.accounts").debug("capture-canary")

    text = captured_logs.getvalue()
    assert "capture-canary" in text  # the capture really sees kairan's loggers
    assert len(secrets_seen) >= 10
    leaked = [s for s in secrets_seen if s in text]
    assert leaked == [], f"secrets in the log: {len(leaked)}"
    # and no raw token-looking value follows a token=/password= key
    assert not re.search(r"(password|token|csrf_token)=[^&\s]{8,}", text, re.I)
