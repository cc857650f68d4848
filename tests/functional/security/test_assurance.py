"""The ``assurance`` view option end to end, with the test-only authenticators of
``stepup_fixture`` (SECURITY.md: step-up, AAL timeouts, RFC 9470 challenge)."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from tests.functional.security.conftest import session_row, travel


def _stepup_target(response):
    assert response.status_int == 303
    parts = urlsplit(response.location)
    assert parts.path == "/stepup"
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


def _prove(app, name, came_from, level):
    """Run a test authenticator's page: the POST records the factor and goes back."""
    app.get(f"/test/factor/{name}", {"came_from": came_from, "level": level})
    return app.post_form(f"/test/factor/{name}?came_from={came_from}&level={level}", {},
                         status=303)


def test_anonymous_is_sent_to_sign_in(stepup_app):
    response = stepup_app.get("/test/secret", status=303)
    assert urlsplit(response.location).path == "/login"


def test_browser_is_sent_to_step_up_and_back(stepup_app, dbsession, make_user):
    make_user(email="taro@example.jp")
    stepup_app.login("taro@example.jp")
    query = _stepup_target(stepup_app.get("/test/secret"))
    assert query == {"level": "2", "came_from": "/test/secret"}

    page = stepup_app.get("/stepup", query)
    assert "<title>ご本人確認 |" in page.text
    assert "Test one-time code" in page.text and "Test card" in page.text
    assert "Test PIN" not in page.text  # level 1 does not reach level 2
    assert "Test key not enrolled" not in page.text  # not available to this user

    before = stepup_app.cookies["kairan_session"]
    back = _prove(stepup_app, "otp", "/test/secret", 2)
    assert back.location == "http://localhost/test/secret"
    assert stepup_app.cookies["kairan_session"] != before  # rotated at step-up
    assert stepup_app.get("/test/secret").text == "secret for level 2"
    assert session_row(dbsession, stepup_app).factors["otp"]["level"] == 2


def test_json_client_gets_rfc_9470_challenge(stepup_app, make_user):
    make_user(email="taro@example.jp")
    stepup_app.login("taro@example.jp")
    for response in (
        stepup_app.get("/test/secret", headers={"Accept": "application/json"}, status=401),
        stepup_app.get("/api/v1/test-secret", status=401),
    ):
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith("Bearer ")
        assert 'error="insufficient_user_authentication"' in challenge
        assert 'acr_values="aal2"' in challenge
        assert response.json["acr_values"] == "aal2"
        assert "レベル2" in response.json["message"]
    recent = stepup_app.get("/test/recent", headers={"Accept": "application/json"}, status=401)
    assert 'max_age="300"' in recent.headers["WWW-Authenticate"]
    _prove(stepup_app, "otp", "/test/secret", 2)
    assert stepup_app.get("/api/v1/test-secret").json == {"secret": True}


def test_max_age_is_checked_on_every_request(stepup_app, dbsession, make_user):
    make_user(email="taro@example.jp")
    stepup_app.login("taro@example.jp")
    _prove(stepup_app, "otp", "/test/recent", 2)
    assert stepup_app.get("/test/recent").status_int == 200
    travel(dbsession, stepup_app, factors_age={"otp": timedelta(seconds=301)})
    query = _stepup_target(stepup_app.get("/test/recent"))
    assert query == {"level": "2", "came_from": "/test/recent", "max_age": "300"}
    assert stepup_app.get("/test/secret").status_int == 200  # no max_age there


def test_level_three_asked_directly_does_not_force_level_two_first(stepup_app, make_user):
    make_user(email="taro@example.jp")
    stepup_app.login("taro@example.jp")
    query = _stepup_target(stepup_app.get("/test/top"))
    assert query["level"] == "3"
    page = stepup_app.get("/stepup", query)
    assert "Test card" in page.text and "Test one-time code" not in page.text
    _prove(stepup_app, "sc", "/test/top", 3)
    assert stepup_app.get("/test/top").text == "secret for level 3"
    assert stepup_app.get("/test/secret").status_int == 200  # level 3 covers level 2


def test_a_session_never_counts_higher_than_it_proved(stepup_app, make_user):
    make_user(email="taro@example.jp")
    stepup_app.login("taro@example.jp")
    _prove(stepup_app, "otp", "/test/secret", 2)
    assert _stepup_target(stepup_app.get("/test/top"))["level"] == "3"
    # a level-1 factor proven later does not raise anything
    _prove(stepup_app, "test-pin", "/test/secret", 1)
    assert _stepup_target(stepup_app.get("/test/top"))["level"] == "3"


def test_aal2_idle_timeout_is_one_hour(stepup_app, dbsession, make_user):
    make_user(email="taro@example.jp")
    stepup_app.login("taro@example.jp")
    _prove(stepup_app, "otp", "/test/secret", 2)
    travel(dbsession, stepup_app, idle=timedelta(minutes=59),
           factors_age={"otp": timedelta(minutes=59), "pwd": timedelta(minutes=59)})
    assert stepup_app.get("/test/secret").status_int == 200
    travel(dbsession, stepup_app, idle=timedelta(minutes=61))
    assert _stepup_target(stepup_app.get("/test/secret"))["level"] == "2"
    # the session falls back to level 1 instead of signing out
    assert stepup_app.get("/account").status_int == 200
    # and the lapse is remembered: the requests above refreshed last_seen, yet level 2
    # does not come back
    assert _stepup_target(stepup_app.get("/test/secret"))["level"] == "2"
    assert session_row(dbsession, stepup_app).factors["otp"]["level"] == 1


def test_aal2_total_is_24_hours(stepup_app, dbsession, make_user):
    make_user(email="taro@example.jp")
    stepup_app.login("taro@example.jp")
    _prove(stepup_app, "otp", "/test/secret", 2)
    travel(dbsession, stepup_app, factors_age={"otp": timedelta(hours=23, minutes=59)})
    assert stepup_app.get("/test/secret").status_int == 200
    travel(dbsession, stepup_app, factors_age={"otp": timedelta(hours=24, seconds=1)})
    assert _stepup_target(stepup_app.get("/test/secret"))["level"] == "2"


def test_aal3_idle_is_15_minutes_and_total_12_hours(stepup_app, dbsession, make_user):
    make_user(email="taro@example.jp")
    stepup_app.login("taro@example.jp")
    _prove(stepup_app, "sc", "/test/top", 3)
    travel(dbsession, stepup_app, idle=timedelta(minutes=14))
    assert stepup_app.get("/test/top").status_int == 200
    travel(dbsession, stepup_app, idle=timedelta(minutes=16))
    assert _stepup_target(stepup_app.get("/test/top"))["level"] == "3"
    assert stepup_app.get("/test/secret").status_int == 200  # still within level 2's limits

    _prove(stepup_app, "sc", "/test/top", 3)
    travel(dbsession, stepup_app, factors_age={"sc": timedelta(hours=11, minutes=59)})
    assert stepup_app.get("/test/top").status_int == 200
    travel(dbsession, stepup_app, factors_age={"sc": timedelta(hours=12, seconds=1)})
    assert _stepup_target(stepup_app.get("/test/top"))["level"] == "3"
    assert stepup_app.get("/test/secret").status_int == 200


def test_step_up_return_address_must_be_local(stepup_app, make_user):
    make_user(email="taro@example.jp")
    stepup_app.login("taro@example.jp")
    back = _prove(stepup_app, "otp", "//evil.example/x", 2)
    assert back.location == "http://localhost/dashboard"
    page = stepup_app.get("/stepup", {"level": "9", "came_from": "https://evil.example"})
    assert 'href="https://evil.example' not in page.text
    assert "Test one-time code" in page.text  # an unknown level is read as level 2
