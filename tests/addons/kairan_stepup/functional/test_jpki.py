"""The MyNumber card through the card-reader app route, end to end (SECURITY.md: the
signature binds our origin and a fresh challenge; chain, validity and revocation
checked; forged, expired, revoked and wrong-chain certificates refused)."""
# The fixtures come from jpki_support and are named as test arguments:
# ruff: noqa: F811

import json
from datetime import timedelta

from kairan_stepup.challenges import Challenge
from kairan_stepup.jpki.testca import sign_challenge
from kairan_stepup.jpki.verify import binding_subject
from sqlalchemy import select, update
from webtest import Upload

from kairan.db.meta import utcnow
from kairan.testing import sign_in_directly
from tests.addons.kairan_stepup.jpki_support import (  # noqa: F401 - fixtures
    alert,
    answer,
    audit_entries,
    bindings,
    card_settings,
    challenge,
    other_ca,
    session_row,
    test_ca,
)


def resident(make_user, testapp, dbsession):
    user = make_user(email="hanako@example.jp", roles=("Member",))
    sign_in_directly(testapp, dbsession, user)
    return user


def bind(dbsession, user, cert):
    from kairan_stepup.jpki.models import MyNumberBinding

    dbsession.add(MyNumberBinding(user_id=user.id, provider="jpki",
                                  subject=binding_subject(cert), created=utcnow()))
    dbsession.commit()


# -- linking, signing in, stepping up -------------------------------------------------

def test_a_good_card_is_linked_by_a_hash_not_by_the_certificate(
        testapp, dbsession, make_user, card_settings, test_ca):
    user = resident(make_user, testapp, dbsession)
    text = challenge(testapp, "enrol", came_from="/account")
    assert text.startswith("kairan-jpki-v1 origin=http://localhost nonce=")
    done = answer(testapp, text, test_ca.user("good"))
    assert done.location.endswith("/account")
    cert, _key = test_ca.user("good")
    (binding,) = bindings(dbsession)
    assert binding.user_id == user.id and binding.provider == "jpki"
    assert binding.subject == binding_subject(cert)
    assert binding.valid_until == cert.not_valid_after_utc
    assert str(cert.serial_number) not in binding.subject
    assert [e.outcome for e in audit_entries(dbsession, "stepup.jpki.bind")] == ["success"]
    page = testapp.get("/account")
    assert "マイナンバーカードを登録しました" in page.text


def test_a_linked_card_signs_in_on_its_own_at_level_three(
        testapp, dbsession, make_user, card_settings, test_ca):
    user = make_user(email="taro@example.jp", roles=("Member",))
    cert, _key = test_ca.user("good")
    bind(dbsession, user, cert)
    login = testapp.get("/login")
    assert "/mynumber?mode=signin" in login.text  # offered on the sign-in page
    choose = testapp.get("/mynumber?mode=signin&came_from=/dashboard")
    assert "カードリーダーアプリ" in choose.text
    text = challenge(testapp, "signin", came_from="/dashboard")
    done = answer(testapp, text, test_ca.user("good"))
    assert done.location.endswith("/dashboard")
    row = session_row(dbsession, testapp)
    assert row.user_id == user.id
    assert row.factors["sc"]["level"] == 3 and "pwd" not in row.factors
    assert [e.detail["factor"] for e in audit_entries(dbsession, "login.success")] == ["sc"]
    assert audit_entries(dbsession, "stepup.jpki.success")[0].detail == {"mode": "signin"}


def test_the_card_steps_a_password_session_up_to_level_three(
        testapp, dbsession, make_user, card_settings, test_ca):
    user = resident(make_user, testapp, dbsession)
    bind(dbsession, user, test_ca.user("good")[0])
    stepup = testapp.get("/stepup?level=3&came_from=/dashboard")
    assert "/mynumber?mode=stepup" in stepup.text
    text = challenge(testapp, "stepup", came_from="/dashboard?tab=1")
    before = session_row(dbsession, testapp).id
    done = answer(testapp, text, test_ca.user("good"))
    assert done.location.endswith("/dashboard?tab=1")
    row = session_row(dbsession, testapp)
    assert row.id != before  # rotated
    assert row.factors["sc"]["level"] == 3 and row.factors["pwd"]["level"] == 1
    assert audit_entries(dbsession, "security.stepup")[0].target == "aal3"


def test_the_json_endpoints_serve_an_app_that_posts_itself(
        testapp, dbsession, make_user, card_settings, test_ca):
    user = resident(make_user, testapp, dbsession)
    headers = {"X-CSRF-Token": testapp.csrf_token(), "Accept": "application/json"}
    issued = testapp.post_json("/mynumber/card", {"mode": "enrol", "came_from": "/account"},
                               headers=headers).json
    cert, key = test_ca.user("good")
    body = json.loads(sign_challenge(key, cert, issued["challenge"]))
    done = testapp.post_json("/mynumber/card/verify", body, headers=headers).json
    assert done["status"] == "ok" and done["location"].endswith("/account")
    assert [b.user_id for b in bindings(dbsession)] == [user.id]
    again = testapp.post_json("/mynumber/card/verify", body, headers=headers, status=400).json
    assert again["error"] == "used"


def test_separate_signature_and_certificate_file_are_accepted(
        testapp, dbsession, make_user, card_settings, test_ca):
    resident(make_user, testapp, dbsession)
    text = challenge(testapp, "enrol")
    cert, key = test_ca.user("good")
    answer_ = json.loads(sign_challenge(key, cert, text))
    testapp.post_form("/mynumber/card/verify", {
        "challenge": text, "signature": answer_["signature"],
        "certificate_file": Upload("good.pem", test_ca.users["good"][0].read_bytes()),
    }, status=303)
    assert len(bindings(dbsession)) == 1


# -- refusals: each with its message, audited, nothing bound --------------------------

def refused(testapp, dbsession, text, card, reason, **extra):
    page = answer(testapp, text, card, status=400, **extra)
    assert bindings(dbsession) == []
    failures = audit_entries(dbsession, "stepup.jpki.failure")
    assert failures[-1].detail["reason"] == reason
    assert failures[-1].outcome == "failure"
    # never the certificate or the signature in the log
    assert "certificate" not in json.dumps(failures[-1].detail)
    return alert(page)


def test_an_expired_certificate_is_refused(
        testapp, dbsession, make_user, card_settings, test_ca):
    resident(make_user, testapp, dbsession)
    message = refused(testapp, dbsession, challenge(testapp, "enrol"), test_ca.user("expired"),
                      "expired")
    assert "カードの電子証明書は" in message and "有効期限が切れています" in message


def test_a_revoked_certificate_is_refused(
        testapp, dbsession, make_user, card_settings, test_ca):
    resident(make_user, testapp, dbsession)
    message = refused(testapp, dbsession, challenge(testapp, "enrol"), test_ca.user("revoked"),
                      "revoked")
    assert message.startswith("カードの電子証明書は失効しています")


def test_a_certificate_from_another_ca_is_refused(
        testapp, dbsession, make_user, card_settings, other_ca):
    resident(make_user, testapp, dbsession)
    message = refused(testapp, dbsession, challenge(testapp, "enrol"), other_ca.user("good"),
                      "chain")
    assert "このサイトが信頼する認証局" in message


def test_a_tampered_signature_is_refused(
        testapp, dbsession, make_user, card_settings, test_ca):
    resident(make_user, testapp, dbsession)
    text = challenge(testapp, "enrol")
    cert, key = test_ca.user("good")
    forged = json.loads(sign_challenge(key, cert, text))
    raw = bytearray(__import__("base64").b64decode(forged["signature"]))
    raw[10] ^= 0x01
    forged["signature"] = __import__("base64").b64encode(bytes(raw)).decode()
    page = testapp.post_form("/mynumber/card/verify", {"response": json.dumps(forged)},
                             status=400)
    assert alert(page).startswith("署名がこの認証要求と一致しません")
    assert bindings(dbsession) == []
    assert audit_entries(dbsession, "stepup.jpki.failure")[-1].detail["reason"] == "signature"


def test_a_signature_by_another_cards_key_is_refused(
        testapp, dbsession, make_user, card_settings, test_ca):
    resident(make_user, testapp, dbsession)
    text = challenge(testapp, "enrol")
    good_cert, _good_key = test_ca.user("good")
    _other_cert, other_key = test_ca.user("revoked")
    message = refused(testapp, dbsession, text, (good_cert, other_key), "signature")
    assert message.startswith("署名がこの認証要求と一致しません")


def test_a_replayed_answer_is_refused(
        testapp, dbsession, make_user, card_settings, test_ca):
    resident(make_user, testapp, dbsession)
    text = challenge(testapp, "enrol")
    response = sign_challenge(test_ca.user("good")[1], test_ca.user("good")[0], text)
    testapp.post_form("/mynumber/card/verify", {"response": response}, status=303)
    page = testapp.post_form("/mynumber/card/verify", {"response": response}, status=400)
    assert alert(page) == "この本人確認の要求はすでに使われています。最初からやり直してください。"
    assert audit_entries(dbsession, "stepup.jpki.failure")[-1].detail["reason"] == "used"
    assert len(bindings(dbsession)) == 1


def test_a_refused_answer_spends_its_challenge(
        testapp, dbsession, make_user, card_settings, test_ca):
    resident(make_user, testapp, dbsession)
    text = challenge(testapp, "enrol")
    refused(testapp, dbsession, text, test_ca.user("revoked"), "revoked")
    message = refused(testapp, dbsession, text, test_ca.user("good"), "used")
    assert "すでに使われています" in message


def test_a_step_up_answer_cannot_be_replayed_after_the_step_up(
        testapp, dbsession, make_user, card_settings, test_ca):
    user = resident(make_user, testapp, dbsession)
    bind(dbsession, user, test_ca.user("good")[0])
    text = challenge(testapp, "stepup")
    response = sign_challenge(test_ca.user("good")[1], test_ca.user("good")[0], text)
    testapp.post_form("/mynumber/card/verify", {"response": response}, status=303)
    testapp.post_form("/mynumber/card/verify", {"response": response}, status=400)
    assert len(audit_entries(dbsession, "security.stepup")) == 1


def test_an_expired_challenge_is_refused(
        testapp, dbsession, make_user, card_settings, test_ca):
    resident(make_user, testapp, dbsession)
    text = challenge(testapp, "enrol")
    dbsession.execute(update(Challenge).values(expires=utcnow() - timedelta(seconds=1)))
    dbsession.commit()
    message = refused(testapp, dbsession, text, test_ca.user("good"), "expired")
    assert "有効期限が切れています" in message


def test_a_challenge_for_another_origin_is_refused(
        testapp, dbsession, make_user, card_settings, test_ca):
    resident(make_user, testapp, dbsession)
    text = challenge(testapp, "enrol")
    elsewhere = text.replace("origin=http://localhost", "origin=https://evil.example")
    message = refused(testapp, dbsession, elsewhere, test_ca.user("good"), "origin")
    assert "別のサイト（https://evil.example）" in message
    # the genuine challenge was not spent by the refusal
    dbsession.expire_all()
    assert dbsession.scalars(select(Challenge)).one().used_at is None


def test_a_challenge_with_a_changed_time_is_refused(
        testapp, dbsession, make_user, card_settings, test_ca):
    resident(make_user, testapp, dbsession)
    text = challenge(testapp, "enrol")
    later = text[:-9] + "23:59:59Z"
    message = refused(testapp, dbsession, later, test_ca.user("good"), "mismatch")
    assert "このページに表示した認証要求に対するものではありません" in message


def test_a_challenge_from_another_browser_is_refused(
        testapp, app, dbsession, make_user, card_settings, test_ca):
    from kairan.testing import KairanTestApp

    resident(make_user, testapp, dbsession)
    text = challenge(testapp, "signin")
    stranger = KairanTestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.99",
                                                 "HTTP_HOST": "localhost"})
    page = answer(stranger, text, test_ca.user("good"), status=400)
    assert "別のブラウザー" in alert(page) or "another browser" in alert(page)


def test_an_unreadable_answer_is_refused_with_a_message(
        testapp, dbsession, make_user, card_settings):
    resident(make_user, testapp, dbsession)
    challenge(testapp, "enrol")
    page = testapp.post_form("/mynumber/card/verify", {"response": "{not json"}, status=400)
    assert alert(page).startswith("応答を読み取れませんでした")
    assert audit_entries(dbsession, "stepup.jpki.failure")[-1].detail["reason"] == "malformed"


def test_an_unlinked_card_cannot_sign_in(testapp, dbsession, card_settings, test_ca):
    text = challenge(testapp, "signin")
    page = answer(testapp, text, test_ca.user("good"), status=400)
    assert "このサイトのアカウントに登録されていません" in alert(page)
    assert audit_entries(dbsession, "login.success") == []


def test_a_card_linked_to_someone_else_neither_links_nor_steps_up(
        testapp, dbsession, make_user, card_settings, test_ca):
    other = make_user(email="other@example.jp", roles=("Member",))
    bind(dbsession, other, test_ca.user("good")[0])
    resident(make_user, testapp, dbsession)
    page = answer(testapp, challenge(testapp, "enrol"), test_ca.user("good"), status=400)
    assert "すでに別のアカウントに登録されています" in alert(page)
    page = answer(testapp, challenge(testapp, "stepup"), test_ca.user("good"), status=400)
    assert "あなたのアカウントに登録されていません" in alert(page)
    assert [b.user_id for b in bindings(dbsession)] == [other.id]
    assert "sc" not in session_row(dbsession, testapp).factors


def test_a_stale_crl_refuses_every_card(
        testapp, dbsession, make_user, card_settings, test_ca, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from kairan_stepup.jpki.testca import load_certificate, load_key, make_crl

    inter = load_certificate(test_ca.intermediate.read_bytes())
    key = load_key((test_ca.directory / "intermediate.key").read_bytes())
    now = utcnow()
    stale = make_crl(inter, key, [], now - timedelta(days=10), now - timedelta(days=1))
    path = tmp_path / "stale.crl"
    path.write_bytes(stale.public_bytes(serialization.Encoding.DER))
    card_settings["kairan.stepup.jpki.crl_files"] = [str(path)]
    resident(make_user, testapp, dbsession)
    message = refused(testapp, dbsession, challenge(testapp, "enrol"), test_ca.user("good"),
                      "revocation_unknown")
    assert "有効かどうかを確認できませんでした" in message


# -- pages and settings --------------------------------------------------------------

def test_enrolment_and_step_up_need_a_signed_in_resident(testapp, card_settings):
    page = testapp.get("/mynumber?mode=enrol", status=303)
    assert "/login" in page.location
    page = testapp.post_form("/mynumber/card", {"mode": "stepup"}, status=303)
    assert "/login" in page.location


def test_the_card_route_is_off_without_trust_anchors(testapp, dbsession, make_user):
    resident(make_user, testapp, dbsession)
    page = testapp.get("/mynumber?mode=enrol")
    assert "カードリーダーアプリ" not in page.text
    assert "現在、このサイトではマイナンバーカードを使う方法を利用できません" in page.text
    assert "/mynumber?mode=signin" not in testapp.get("/login").text


def test_the_factor_kind_lists_and_removes_bindings(
        testapp, dbsession, make_user, card_settings, test_ca, registry):
    from kairan_stepup.factors import all_factors
    from kairan_stepup.interfaces import IFactorKind
    from pyramid.request import Request
    from pyramid.scripting import prepare

    user = make_user(email="jiro@example.jp", roles=("Member",))
    bind(dbsession, user, test_ca.user("good")[0])
    request = Request.blank("/account", environ={"app.dbsession": dbsession})
    env = prepare(registry=registry, request=request)
    try:
        kind = registry.getUtility(IFactorKind, name="jpki")
        (factor,) = [f for f in all_factors(request, user) if f.kind == "jpki"]
        assert factor.level == 3 and factor.nickname == "カードリーダーアプリ"
        assert kind.add_url(request).startswith("http://localhost/mynumber?mode=enrol")
        assert kind.remove(request, user, "not-a-number") is False
        assert kind.remove(request, user, factor.id) is True
        assert kind.remove_all(request, user) == 0
        dbsession.flush()
        assert bindings(dbsession) == []
        assert len(audit_entries(dbsession, "stepup.jpki.remove")) == 1
    finally:
        env["closer"]()


def test_linking_another_card_needs_the_level_the_account_already_has(
        testapp, dbsession, make_user, card_settings, test_ca):
    user = resident(make_user, testapp, dbsession)
    bind(dbsession, user, test_ca.user("good")[0])
    # a password alone must not add a card to an account a card already protects
    page = testapp.post_form("/mynumber/card", {"mode": "enrol", "came_from": "/account"},
                             status=303)
    assert "/stepup?level=3" in page.location
    text = challenge(testapp, "stepup")
    answer(testapp, text, test_ca.user("good"))
    challenge(testapp, "enrol")  # now at level 3: the page is shown


def test_failed_card_answers_are_throttled_per_address(
        testapp, dbsession, make_user, card_settings, test_ca, registry, monkeypatch):
    """Failures count on the sign-in limiter of the address; once it is used up even a
    good card is paused with 429 and nothing is bound."""
    from kairan.security.interfaces import IRateLimiter

    limiter = registry.getUtility(IRateLimiter, name="login.address")
    monkeypatch.setattr(limiter, "limit", 2)
    resident(make_user, testapp, dbsession)
    good = test_ca.user("good")
    for _attempt in range(2):
        text = challenge(testapp, "enrol")
        testapp.post_form("/mynumber/card/verify", {"response": "not a response"},
                          status=400)
    text = challenge(testapp, "enrol")
    page = answer(testapp, text, good, status=429)
    assert alert(page).startswith("ログインの試行が多すぎます。安全のため、ログインを一時停止")
    assert int(page.headers["Retry-After"]) > 0
    assert bindings(dbsession) == []
    assert audit_entries(dbsession, "stepup.jpki.failure")[-1].detail["reason"] == "throttled"
