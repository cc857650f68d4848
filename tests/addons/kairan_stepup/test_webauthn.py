"""WebAuthn through the real application, with a software authenticator: registering
keys, stepping up, passwordless sign-in, and everything that must be refused."""

import json
from datetime import timedelta

from kairan_stepup.challenges import Challenge
from kairan_stepup.webauthn.models import WebAuthnCredential, WebAuthnUser
from sqlalchemy import select, update

from kairan.db.meta import utcnow
from kairan.security.models import AuthSession

from .soft_authenticator import b64url
from .webauthn_support import *  # noqa: F403 - fixtures and helpers
from .webauthn_support import (
    SoftAuthenticator,
    audit_entries,
    post_json,
    register,
    sign_in,
    step_up,
    step_up_options,
)


def credentials(dbsession, user_id=None):
    dbsession.expire_all()
    query = select(WebAuthnCredential).order_by(WebAuthnCredential.id)
    if user_id is not None:
        query = query.where(WebAuthnCredential.user_id == user_id)
    return list(dbsession.scalars(query))


def session_factors(dbsession, client):
    import hashlib

    dbsession.expire_all()
    # a cookie set by sign_in_directly comes back quoted
    token = client.cookies["kairan_session"].strip('"')
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = dbsession.get(AuthSession, digest)
    return row.factors if row is not None else None


# -- registration ------------------------------------------------------------------------


def test_a_resident_registers_a_security_key_with_a_nickname(client, resident, dbsession):
    key = SoftAuthenticator()
    response = register(client, key, nickname="  青い   キー ")
    assert response.json["redirect"] == "/webauthn/keys"
    [row] = credentials(dbsession, resident.id)
    assert row.nickname == "青い キー"
    assert row.credential_id == key.credentials[0].credential_id
    assert row.public_key == key.credentials[0].cose_public_key()
    assert (row.backup_eligible, row.user_verified, row.sign_count) == (False, True, 0)
    assert row.transports == ["usb"] and row.aaguid == "6b616972-6161-6e2d-736f-66742d6b6579"
    # the stable user handle is random, not the user id
    handle = dbsession.get(WebAuthnUser, resident.id).handle
    assert len(handle) == 32 and key.credentials[0].user_handle == handle
    page = client.get("/webauthn/keys")
    assert "青い キー" in page.text and "セキュリティキー" in page.text
    assert "レベル3" in page.text or ">3<" in page.text
    [entry] = audit_entries(dbsession, "stepup.webauthn.register")
    assert entry.outcome == "success" and entry.detail["level"] == 3
    assert entry.detail["amr"] == "hwk" and entry.detail["credential"] == row.id
    logged = json.dumps(entry.detail)
    assert b64url(row.credential_id) not in logged and b64url(row.public_key) not in logged


def test_several_keys_per_account_and_the_handle_stays_the_same(client, resident, dbsession):
    key, phone = SoftAuthenticator(), SoftAuthenticator(backup_eligible=True)
    register(client, key, nickname="キー")
    step_up(client, key)  # adding a second key needs the first one, proven just now
    register(client, phone, nickname="スマホ")
    rows = credentials(dbsession, resident.id)
    assert [r.nickname for r in rows] == ["キー", "スマホ"]
    assert [r.backup_eligible for r in rows] == [False, True]
    assert key.credentials[0].user_handle == phone.credentials[0].user_handle
    # the second ceremony told the browser to skip the key already registered
    options = post_json(client, "/webauthn/keys/options", {"nickname": "3本目"}).json
    assert {d["id"] for d in options["excludeCredentials"]} == {
        b64url(r.credential_id) for r in rows}


def test_a_registration_needs_a_nickname(client, resident, dbsession):
    response = post_json(client, "/webauthn/keys/options", {"nickname": "  "}, status=400)
    assert "名前" in response.json["message"]
    response = post_json(client, "/webauthn/keys/options", {"nickname": "x" * 61}, status=400)
    assert "60" in response.json["message"]
    assert credentials(dbsession) == []


def test_a_registration_for_another_origin_or_rp_id_is_refused(client, resident, dbsession):
    for kw in ({"origin": "http://evil.example"}, {"rp_id": "evil.example"}):
        response = register(client, SoftAuthenticator(), status=400, **kw)
        assert "確認できませんでした" in response.json["message"]
    assert credentials(dbsession) == []
    entries = audit_entries(dbsession, "stepup.webauthn.register")
    assert [e.outcome for e in entries] == ["failure", "failure"]
    assert "origin" in entries[0].detail["reason"] and "RP ID" in entries[1].detail["reason"]


def test_a_registration_answer_is_used_once(client, resident, dbsession):
    key = SoftAuthenticator()
    options = post_json(client, "/webauthn/keys/options", {"nickname": "キー"}).json
    answer = key.create(options)
    post_json(client, "/webauthn/keys/register", {"credential": answer})
    step_up(client, key)
    again = post_json(client, "/webauthn/keys/register", {"credential": answer}, status=400)
    # the step-up rotated the session: the old challenge is refused as another session's
    assert "最初からやり直してください" in again.json["message"]
    assert len(credentials(dbsession)) == 1


def test_malformed_answers_get_400_never_500(client, resident, dbsession):
    for body in (b"not json", b"[1, 2]", json.dumps({"credential": "x"}).encode(),
                 json.dumps({"credential": {"id": "a", "rawId": "a", "type": "public-key",
                                            "response": {"clientDataJSON": "%%%"}}}).encode()):
        for url in ("/webauthn/keys/register", "/webauthn/stepup/verify",
                    "/webauthn/signin/verify"):
            response = client.post(url, body, content_type="application/json",
                                   headers={"X-CSRF-Token": client.csrf_token()},
                                   status=400)
            assert response.json["message"]
    assert credentials(dbsession) == []


def test_adding_a_key_needs_the_strongest_factor_proven_recently(client, resident, dbsession):
    register(client, SoftAuthenticator(), nickname="一本目")
    # signed in with the password only (level 1): a thief with the password cannot add a key
    page = client.get("/webauthn/keys")
    confirm = page.html.find("a", href=lambda h: h and h.startswith("/stepup?"))["href"]
    assert "level=3" in confirm and "max_age=900" in confirm
    assert page.html.find(class_="webauthn-form") is None
    refused = post_json(client, "/webauthn/keys/options", {"nickname": "泥棒のキー"},
                        status=401)
    assert refused.json["acr_values"] == "aal3"
    assert len(credentials(dbsession)) == 1


# -- step-up -----------------------------------------------------------------------------


def test_a_security_key_steps_up_to_level_3(client, resident, dbsession):
    key = SoftAuthenticator()
    register(client, key)
    response = client.get("/test/webauthn/top", status=303)
    stepup_page = client.get(response.location)
    assert "セキュリティキー" in stepup_page.text
    start = stepup_page.html.find("a", string="セキュリティキー")["href"]
    assert start.startswith("/webauthn/stepup?")
    page = client.get(start)
    assert page.html.find(attrs={"data-webauthn": "stepup"})["data-kind"] == "hwk"
    old_cookie = client.cookies["kairan_session"]
    done = step_up(client, key).json
    assert done == {"redirect": "/test/webauthn/top", "level": 3}
    assert client.cookies["kairan_session"] != old_cookie  # the session id was rotated
    assert "level 3 page" in client.get("/test/webauthn/top").text
    assert session_factors(dbsession, client)["hwk"]["level"] == 3
    [row] = credentials(dbsession)
    assert row.sign_count == 1 and row.last_used is not None
    [use] = audit_entries(dbsession, "stepup.webauthn.use")
    assert use.detail == {"credential": row.id, "purpose": "stepup", "amr": "hwk", "level": 3}
    assert [e.outcome for e in audit_entries(dbsession, "security.stepup")] == ["success"]


def test_a_synced_passkey_only_reaches_level_2(client, resident, dbsession):
    phone = SoftAuthenticator(backup_eligible=True)
    register(client, phone, nickname="スマホ")
    # level 3: the passkey is not offered, only setting up a security key is
    page = client.get("/stepup?level=3&came_from=/test/webauthn/top")
    assert "kind=swk" not in page.text and "/webauthn/keys" in page.text
    refused = step_up_options(client, kind="hwk", status=400)
    assert "登録されていません" in refused.json["message"]
    # level 2: the passkey is offered and works
    page = client.get("/stepup?level=2&came_from=/test/webauthn/two")
    assert "kind=swk" in page.text
    done = step_up(client, phone, kind="swk", came_from="/test/webauthn/top").json
    assert done["level"] == 2
    assert session_factors(dbsession, client)["swk"]["level"] == 2
    assert "level 2 page" in client.get("/test/webauthn/two").text
    client.get("/test/webauthn/top", status=303)  # still not level 3


def test_a_security_key_that_did_not_check_its_pin_is_refused_for_level_3(client, resident,
                                                                          dbsession):
    key = SoftAuthenticator()
    register(client, key)
    response = step_up(client, key, uv=False, status=400)
    assert "確認できませんでした" in response.json["message"]
    assert "hwk" not in session_factors(dbsession, client)
    [failure] = audit_entries(dbsession, "security.stepup")
    assert failure.outcome == "failure" and failure.detail["factor"] == "hwk"


def test_another_users_credential_is_refused(client, resident, dbsession, make_user):
    mine, theirs = SoftAuthenticator(), SoftAuthenticator()
    register(client, mine)
    client.logout()
    other = make_user(email="taro@example.jp")
    from kairan.testing import sign_in_directly

    sign_in_directly(client, dbsession, other)
    register(client, theirs, nickname="太郎のキー")
    options = step_up_options(client).json
    assert [d["id"] for d in options["allowCredentials"]] == [
        b64url(theirs.credentials[0].credential_id)]
    # Taro answers with Hanako's key (say he stole it): refused
    answer = mine.get(options, credential=mine.credentials[0])
    response = post_json(client, "/webauthn/stepup/verify", {"credential": answer}, status=400)
    assert "あなたのアカウントに登録されていません" in response.json["message"]
    assert "hwk" not in session_factors(dbsession, client)
    [failure] = audit_entries(dbsession, "security.stepup")
    assert failure.detail["reason"] == "other_user"


def test_a_replayed_assertion_fails(client, resident, dbsession):
    key = SoftAuthenticator()
    register(client, key)
    options = step_up_options(client).json
    answer = key.get(options)
    post_json(client, "/webauthn/stepup/verify", {"credential": answer})
    replay = post_json(client, "/webauthn/stepup/verify", {"credential": answer}, status=400)
    assert "最初からやり直してください" in replay.json["message"]
    # in the same session (no success rotated it), the challenge is simply used up
    options = step_up_options(client).json
    wrong = key.get(options, origin="http://evil.example")
    post_json(client, "/webauthn/stepup/verify", {"credential": wrong}, status=400)
    good_late = key.get(options)
    replay = post_json(client, "/webauthn/stepup/verify", {"credential": good_late}, status=400)
    assert "すでに使われています" in replay.json["message"]
    assert [e.detail.get("reason") for e in audit_entries(dbsession, "security.stepup")][1:] == [
        "challenge_session", "invalid: Unexpected client data origin \"http://evil.example\", "
        "expected \"http://localhost\"", "challenge_used"]


def test_an_expired_challenge_fails(client, resident, dbsession):
    key = SoftAuthenticator()
    register(client, key)
    options = step_up_options(client).json
    dbsession.execute(update(Challenge).where(Challenge.used_at.is_(None))
                      .values(expires=utcnow() - timedelta(seconds=1)))
    dbsession.commit()
    answer = key.get(options)
    response = post_json(client, "/webauthn/stepup/verify", {"credential": answer}, status=400)
    assert "有効期限" in response.json["message"]
    assert "hwk" not in session_factors(dbsession, client)


def test_challenges_are_256_bits_and_stored_only_hashed(client, resident, dbsession):
    register(client, SoftAuthenticator())
    options = step_up_options(client).json
    from .soft_authenticator import unb64url

    challenge = unb64url(options["challenge"])
    assert len(challenge) == 32
    dbsession.expire_all()
    ids = set(dbsession.scalars(select(Challenge.id)))
    import hashlib

    assert hashlib.sha256(challenge).hexdigest() in ids
    assert options["challenge"] not in json.dumps(sorted(ids))


def test_a_challenge_from_another_browser_is_refused(client, resident, dbsession, webauthn_config):
    key = SoftAuthenticator()
    register(client, key)
    options = step_up_options(client).json
    answer = key.get(options)
    from kairan.testing import KairanTestApp, sign_in_directly

    other_browser = KairanTestApp(webauthn_config.make_wsgi_app(),
                                  extra_environ={"REMOTE_ADDR": "192.0.2.99",
                                                 "HTTP_HOST": "localhost"})
    sign_in_directly(other_browser, dbsession, resident)
    response = post_json(other_browser, "/webauthn/stepup/verify", {"credential": answer},
                         status=400)
    assert "別のブラウザ" in response.json["message"]


def test_wrong_origin_or_rp_id_hash_is_refused(client, resident, dbsession):
    key = SoftAuthenticator()
    register(client, key)
    for kw in ({"origin": "http://evil.example"}, {"origin": "https://localhost"},
               {"rp_id": "evil.example"}):
        response = step_up(client, key, status=400, **kw)
        assert "確認できませんでした" in response.json["message"]
    assert "hwk" not in session_factors(dbsession, client)
    reasons = [e.detail["reason"] for e in audit_entries(dbsession, "security.stepup")]
    assert "origin" in reasons[0] and "origin" in reasons[1] and "RP ID" in reasons[2]


def test_a_sign_count_regression_is_refused_and_audited_as_a_clone(client, resident,
                                                                  dbsession):
    key = SoftAuthenticator()
    register(client, key)
    step_up(client, key, sign_count=5)
    response = step_up(client, key, sign_count=3, status=400)
    assert "コピー" in response.json["message"]
    [row] = credentials(dbsession)
    assert row.sign_count == 5
    [warning] = audit_entries(dbsession, "stepup.webauthn.clone_warning")
    assert warning.outcome == "denied" and warning.target == f"user:{resident.id}"
    assert warning.detail == {"credential": row.id, "purpose": "webauthn.stepup",
                              "stored_count": 5, "received_count": 3}
    # equal counts are a regression too; a counter that stays 0 (many passkeys) is not
    step_up(client, key, sign_count=5, status=400)
    assert len(audit_entries(dbsession, "stepup.webauthn.clone_warning")) == 2


def test_an_authenticator_without_a_counter_is_accepted(client, resident, dbsession):
    phone = SoftAuthenticator(backup_eligible=True, count_signatures=False)
    register(client, phone)
    step_up(client, phone, kind="swk")
    step_up(client, phone, kind="swk")
    assert audit_entries(dbsession, "stepup.webauthn.clone_warning") == []


def test_the_host_header_changes_nothing(client, resident, dbsession):
    # the cookie jar keeps cookies per host: send the browser's cookies by hand
    client.csrf_token()
    cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    evil = {"HTTP_HOST": "evil.example", "HTTP_COOKIE": cookies}
    options = post_json(client, "/webauthn/keys/options", {"nickname": "キー"},
                        extra_environ=evil).json
    assert options["rp"]["id"] == "localhost"
    # a browser on the forged host would sign for it: refused
    forged = SoftAuthenticator(origin="http://evil.example")
    answer = forged.create(options, rp_id="evil.example")
    post_json(client, "/webauthn/keys/register", {"credential": answer}, status=400,
              extra_environ=evil)
    # the real origin is accepted whatever the Host header says
    key = SoftAuthenticator()
    register(client, key)
    options = post_json(client, "/webauthn/stepup/options",
                        {"kind": "hwk", "came_from": "/test/webauthn/top"},
                        extra_environ=evil).json
    assert options["rpId"] == "localhost"
    post_json(client, "/webauthn/stepup/verify", {"credential": key.get(options)},
              extra_environ=evil)
    assert session_factors(dbsession, client)["hwk"]["level"] == 3


# -- passwordless sign-in ----------------------------------------------------------------


def test_the_sign_in_page_offers_the_passkey(client):
    page = client.get("/login?came_from=/test/webauthn/two")
    link = page.html.find("a", href=lambda h: h and h.startswith("/webauthn/signin"))
    assert link is not None and "came_from=%2Ftest%2Fwebauthn%2Ftwo" in link["href"]
    signin_page = client.get(link["href"])
    assert signin_page.html.find(attrs={"data-webauthn": "signin"})["data-came-from"] == \
        "/test/webauthn/two"
    assert "JavaScript" in signin_page.text


def test_passwordless_sign_in_with_a_discoverable_passkey(client, resident, dbsession):
    key = SoftAuthenticator()  # a security key that keeps the account: level 3
    register(client, key)
    client.logout()
    client.get("/dashboard", status=303)
    options = post_json(client, "/webauthn/signin/options",
                        {"came_from": "/test/webauthn/top"}).json
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"
    answer = key.get(options)
    done = post_json(client, "/webauthn/signin/verify", {"credential": answer}).json
    assert done == {"redirect": "/test/webauthn/top", "level": 3}
    assert "level 3 page" in client.get("/test/webauthn/top").text
    assert set(session_factors(dbsession, client)) == {"hwk"}
    [login] = audit_entries(dbsession, "login.success")
    assert login.actor_id == resident.id and login.detail == {"factor": "hwk", "level": 3}


def test_a_synced_passkey_signs_in_at_level_2(client, resident, dbsession):
    phone = SoftAuthenticator(backup_eligible=True)
    register(client, phone)
    client.logout()
    assert sign_in(client, phone, came_from="/test/webauthn/two").json["level"] == 2
    assert "level 2 page" in client.get("/test/webauthn/two").text
    client.get("/test/webauthn/top", status=303)


def test_passwordless_sign_in_needs_user_verification(client, resident, dbsession):
    key = SoftAuthenticator()
    register(client, key)
    client.logout()
    response = sign_in(client, key, uv=False, status=400)
    assert "確認できませんでした" in response.json["message"]
    client.get("/dashboard", status=303)
    [failure] = audit_entries(dbsession, "login.failure")
    assert failure.detail["factor"] == "webauthn"


def test_passwordless_sign_in_with_a_foreign_user_handle_is_refused(client, resident,
                                                                    dbsession, make_user):
    key = SoftAuthenticator()
    register(client, key)
    client.logout()
    response = sign_in(client, key, user_handle=b"\x01" * 32, status=400)
    assert "登録されていません" in response.json["message"]
    client.get("/dashboard", status=303)


def test_passwordless_sign_in_replay_and_unknown_key(client, resident, dbsession):
    key = SoftAuthenticator()
    register(client, key)
    client.logout()
    options = post_json(client, "/webauthn/signin/options", {}).json
    answer = key.get(options)
    post_json(client, "/webauthn/signin/verify", {"credential": answer})
    client.logout()
    post_json(client, "/webauthn/signin/verify", {"credential": answer}, status=400)
    stranger = SoftAuthenticator()
    stranger.create({"rp": {"id": "localhost"}, "user": {"id": b64url(b"x" * 16)},
                     "challenge": b64url(b"c" * 32)})
    response = sign_in(client, stranger, status=400)
    assert "登録されていません" in response.json["message"]
    client.get("/dashboard", status=303)


def test_passwordless_sign_in_of_a_disabled_account_is_refused(client, resident, dbsession):
    key = SoftAuthenticator()
    register(client, key)
    client.logout()
    resident.status = "disabled"
    dbsession.merge(resident)
    dbsession.commit()
    response = sign_in(client, key, status=403)
    assert "停止" in response.json["message"]
    client.get("/dashboard", status=303)


def test_a_sign_in_clone_warning_is_audited(client, resident, dbsession):
    key = SoftAuthenticator()
    register(client, key)
    client.logout()
    sign_in(client, key, sign_count=10)
    client.logout()
    sign_in(client, key, sign_count=2, status=400)
    [warning] = audit_entries(dbsession, "stepup.webauthn.clone_warning")
    assert warning.detail["purpose"] == "webauthn.signin"
    assert warning.detail["received_count"] == 2
