"""The Digital Agency's authentication app route: an OpenID Connect relying party
against a real local provider. Only an ID token whose acr is aal3, with the right
signature, issuer, audience, nonce and times, links, signs in or steps up."""
# ruff: noqa: F811 - fixtures are named as test arguments

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from kairan_stepup.jpki.models import MyNumberBinding
from kairan_stepup.oidc.client import binding_subject, forget_cache
from sqlalchemy import select

from kairan.audit.models import AuditEntry
from kairan.db.meta import utcnow
from kairan.testing import sign_in_directly
from tests.addons.kairan_stepup.jpki_support import session_row
from tests.addons.kairan_stepup.oidc_provider import LocalProvider


@pytest.fixture(scope="session")
def provider():
    local = LocalProvider().start()
    yield local
    local.stop()


@pytest.fixture
def op(provider, registry, monkeypatch):
    provider.reset()
    forget_cache(registry)
    for key, value in {
        "kairan.stepup.oidc.issuer": provider.url,
        "kairan.stepup.oidc.client_id": provider.client_id,
        "kairan.stepup.oidc.client_secret": provider.client_secret,
        "kairan.stepup.oidc.redirect_uri": "http://localhost/mynumber/app/callback",
    }.items():
        monkeypatch.setitem(registry.settings, key, value)
    yield provider
    forget_cache(registry)


def resident(make_user, testapp, dbsession, email="hanako@example.jp"):
    user = make_user(email=email, roles=("Member",))
    sign_in_directly(testapp, dbsession, user)
    return user


def run_flow(testapp, mode, came_from="/dashboard", status=303):
    """Start at our site, let the provider answer, come back: the callback's response."""
    start = testapp.post_form("/mynumber/app", {"mode": mode, "came_from": came_from},
                              status=303)
    answer = requests.get(start.location, allow_redirects=False, timeout=10)
    back = urlsplit(answer.headers["Location"])
    return testapp.get(back.path + "?" + back.query, status=status)


def bindings(dbsession):
    dbsession.expire_all()
    return dbsession.scalars(select(MyNumberBinding)).all()


def failures(dbsession):
    dbsession.expire_all()
    return [e.detail["reason"] for e in dbsession.scalars(
        select(AuditEntry).where(AuditEntry.action == "stepup.oidc.failure")
        .order_by(AuditEntry.id))]


def bind(dbsession, user, op):
    dbsession.add(MyNumberBinding(user_id=user.id, provider="oidc",
                                  subject=binding_subject(op.url, op.sub), created=utcnow()))
    dbsession.commit()


def test_the_request_asks_for_aal3_with_pkce_state_and_nonce(
        testapp, dbsession, make_user, op):
    resident(make_user, testapp, dbsession)
    start = testapp.post_form("/mynumber/app", {"mode": "enrol", "came_from": "/account"},
                              status=303)
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.location).query).items()}
    assert start.location.startswith(op.url + "/authorize?")
    assert query["acr_values"] == "aal3"
    assert query["response_type"] == "code" and query["scope"] == "openid"
    assert query["client_id"] == op.client_id
    assert query["redirect_uri"] == "http://localhost/mynumber/app/callback"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 43 and len(query["nonce"]) >= 43
    # nothing secret in the browser's hands: the verifier stays in the server-side session
    assert "code_verifier" not in query


def test_an_aal3_answer_links_the_app_by_a_hash_of_sub(testapp, dbsession, make_user, op):
    user = resident(make_user, testapp, dbsession)
    done = run_flow(testapp, "enrol", came_from="/account")
    assert done.location.endswith("/account")
    (binding,) = bindings(dbsession)
    assert binding.user_id == user.id and binding.provider == "oidc"
    assert binding.subject == binding_subject(op.url, op.sub) and op.sub not in binding.subject
    assert op.token_requests[0]["code_verifier"]  # PKCE sent at the token endpoint
    assert testapp.get("/account").text.count("マイナンバーカードを登録しました") == 1


def test_a_linked_app_signs_in_at_level_three(testapp, dbsession, make_user, op):
    user = make_user(email="taro@example.jp", roles=("Member",))
    bind(dbsession, user, op)
    choose = testapp.get("/mynumber?mode=signin")
    assert "デジタル認証アプリ" in choose.text
    done = run_flow(testapp, "signin", came_from="/dashboard")
    assert done.location.endswith("/dashboard")
    row = session_row(dbsession, testapp)
    assert row.user_id == user.id and row.factors["sc"]["level"] == 3


def test_a_linked_app_steps_up(testapp, dbsession, make_user, op):
    user = resident(make_user, testapp, dbsession)
    bind(dbsession, user, op)
    stepup = testapp.get("/mynumber?mode=stepup&came_from=/dashboard")
    assert "デジタル認証アプリ" in stepup.text
    run_flow(testapp, "stepup")
    assert session_row(dbsession, testapp).factors["sc"]["level"] == 3


@pytest.mark.parametrize(("change", "reason", "message"), [
    ({"acr": "aal2"}, "acr", "ここで必要なマイナンバーカードと暗証番号による本人確認"),
    ({"nonce": "another-nonce"}, "nonce", "デジタル認証アプリで本人確認ができませんでした"),
    ({"aud": "somebody-else"}, "aud", "デジタル認証アプリで本人確認ができませんでした"),
    ({"iss": "https://evil.example"}, "iss", "デジタル認証アプリで本人確認ができませんでした"),
    ({"exp": 1_000_000}, "exp", "認証アプリによる確認の有効期限が切れました"),
    ({"acr": None}, "acr", "暗証番号による本人確認が行われませんでした"),
])
def test_a_wrong_id_token_is_refused(testapp, dbsession, make_user, op, change, reason,
                                     message):
    resident(make_user, testapp, dbsession)
    op.next_claims = change
    page = run_flow(testapp, "enrol", status=400)
    assert message in page.text
    assert bindings(dbsession) == []
    assert failures(dbsession) == [reason]


def test_an_id_token_signed_with_another_key_is_refused(testapp, dbsession, make_user, op):
    resident(make_user, testapp, dbsession)
    op.sign_with_other_key = True
    page = run_flow(testapp, "enrol", status=400)
    assert "デジタル認証アプリで本人確認ができませんでした" in page.text
    assert bindings(dbsession) == [] and failures(dbsession) == ["signature"]


def test_a_callback_is_used_once_and_only_in_its_browser(testapp, app, dbsession, make_user, op):
    from kairan.testing import KairanTestApp

    resident(make_user, testapp, dbsession)
    start = testapp.post_form("/mynumber/app", {"mode": "enrol"}, status=303)
    answer = requests.get(start.location, allow_redirects=False, timeout=10)
    back = urlsplit(answer.headers["Location"])
    stranger = KairanTestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    page = stranger.get(back.path + "?" + back.query, status=400)
    assert "このブラウザーで始めたログインと一致しません" in page.text
    testapp.get(back.path + "?" + back.query, status=303)
    testapp.get(back.path + "?" + back.query, status=400)
    assert len(bindings(dbsession)) == 1
    assert failures(dbsession) == ["state", "state"]


def test_a_cancelled_authentication_is_refused(testapp, dbsession, make_user, op):
    resident(make_user, testapp, dbsession)
    start = testapp.post_form("/mynumber/app", {"mode": "enrol"}, status=303)
    state = parse_qs(urlsplit(start.location).query)["state"][0]
    page = testapp.get("/mynumber/app/callback", {"state": state, "error": "access_denied"},
                       status=400)
    assert "取り消されたか、拒否されました" in page.text
    assert failures(dbsession) == ["provider_error"]


def test_an_unlinked_app_cannot_sign_in(testapp, dbsession, op):
    page = run_flow(testapp, "signin", status=400)
    assert "このサイトのアカウントに登録されていません" in page.text
    assert failures(dbsession) == ["not_linked"]


def test_the_route_is_off_without_an_issuer(testapp, dbsession, make_user):
    resident(make_user, testapp, dbsession)
    assert "デジタル認証アプリ" not in testapp.get("/mynumber?mode=enrol").text
    testapp.get("/mynumber/app/callback?state=x&code=y", status=404)
    testapp.post_form("/mynumber/app", {"mode": "enrol"}, status=404)


def test_an_unreachable_provider_is_refused_with_a_message(
        testapp, dbsession, make_user, registry, monkeypatch):
    monkeypatch.setitem(registry.settings, "kairan.stepup.oidc.issuer", "http://127.0.0.1:9")
    forget_cache(registry)
    resident(make_user, testapp, dbsession)
    page = testapp.post_form("/mynumber/app", {"mode": "enrol"}, status=503)
    assert "デジタル認証アプリに接続できません" in page.text
    assert failures(dbsession) == ["discovery"]
