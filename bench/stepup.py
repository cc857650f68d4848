"""Server-side cost of the sign-in factors, so a city can size its servers.

``.venv/bin/python bench/stepup.py [--runs N] [--addons "kairan_stepup"]``

Everything runs in this process on a fresh SQLite database (migrated to every
head): no network, no browser. Each measurement is a function in
``MEASUREMENTS`` taking the ``Bench`` context and returning a list of seconds;
the script prints the median and the 90th percentile of each. To add one (a
WebAuthn assertion, a JPKI verification), write a function and decorate it with
``@measurement("name")``.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEASUREMENTS = []


def measurement(name):
    """Register ``function(bench, runs) -> [seconds, ...]`` under ``name``."""

    def register(function):
        MEASUREMENTS.append((name, function))
        return function

    return register


class Bench:
    """The application under measurement, with helpers the measurements share."""

    PASSWORD = "tsuki-no-usagi-42"

    def __init__(self, addons):
        from kairan.config import configure
        from kairan.db import migrate

        self.directory = tempfile.mkdtemp(prefix="kairan-bench-stepup-")
        self.settings = {
            "sqlalchemy.url": f"sqlite:///{self.directory}/bench.sqlite",
            "kairan.env": "testing",
            "kairan.secret": "bench-" + os.urandom(8).hex(),
            "kairan.base_url": "http://localhost",
            "kairan.addons": addons,
            # the bench measures verification, not the limiters
            "kairan.login.account_limit": "1000000",
            "kairan.login.address_limit": "1000000",
            "kairan.stepup.otp.limit": "1000000",
            "kairan.stepup.otp.daily_limit": "1000000",
        }
        migrate.upgrade(dict(self.settings))
        self.config = configure(dict(self.settings), environ={})
        self.registry = self.config.registry
        self.app = self.config.make_wsgi_app()
        self.counter = 0

    def session(self):
        from sqlalchemy.orm import Session

        return Session(bind=self.registry["db_engine"], expire_on_commit=False)

    def make_user(self):
        from kairan.accounts.models import User
        from kairan.accounts.passwords import hash_password
        from kairan.db.meta import utcnow

        self.counter += 1
        with self.session() as dbsession:
            user = User(email=f"bench{self.counter}@example.jp", display_name="ベンチ",
                        password_hash=hash_password(self.PASSWORD), status="active",
                        created=utcnow(), email_verified_at=utcnow())
            dbsession.add(user)
            dbsession.commit()
            return user

    def browser(self):
        from kairan.testing import KairanTestApp

        return KairanTestApp(self.app, extra_environ={"REMOTE_ADDR": "192.0.2.10",
                                                      "HTTP_HOST": "localhost"})

    def close(self):
        self.registry["db_engine"].dispose()


def timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


@measurement("password sign-in (POST /login, argon2id m=19 MiB t=2 p=1)")
def password_sign_in(bench, runs):
    user = bench.make_user()
    durations = []
    for _i in range(runs):
        browser = bench.browser()
        token = browser.csrf_token()
        durations.append(timed(lambda b=browser, t=token: b.post(
            "/login", {"email": user.email, "password": bench.PASSWORD, "csrf_token": t},
            status=303)))
    return durations


@measurement("argon2id verify alone (kairan.accounts.passwords.verify_password)")
def argon2_verify(bench, runs):
    from kairan.accounts.passwords import hash_password, verify_password

    stored = hash_password(bench.PASSWORD)
    return [timed(lambda: verify_password(stored, bench.PASSWORD)) for _i in range(runs)]


def _totp_user(bench):
    from kairan_stepup.crypto import encrypt
    from kairan_stepup.totp import services
    from kairan_stepup.totp.models import TotpDevice

    from kairan.db.meta import utcnow

    user = bench.make_user()
    seed = services.new_seed()
    with bench.session() as dbsession:
        dbsession.add(TotpDevice(user_id=user.id, nickname="bench",
                                 secret=encrypt(bench.registry, seed), created=utcnow(),
                                 confirmed=utcnow(), last_step=0))
        dbsession.commit()
    return user, seed


@measurement("TOTP verification (service: decrypt, 3 steps, guarded UPDATE, commit)")
def totp_verify_service(bench, runs):
    import pyotp
    from kairan_stepup.totp import services

    user, seed = _totp_user(bench)
    totp = pyotp.TOTP(seed)
    start = time.time()
    durations = []
    for i in range(runs):
        # one fresh time step per run: each step is accepted once
        now = start + 30 * (i + 1)
        code = totp.at(now)

        def verify(now=now, code=code):
            with bench.session() as dbsession:
                outcome, _device = services.verify_totp(dbsession, bench.registry, user.id,
                                                        code, now=now)
                dbsession.commit()
            assert outcome == services.SUCCESS, outcome

        durations.append(timed(verify))
    return durations


@measurement("TOTP step-up (POST /stepup/otp: limiters, verify, session rotation, audit)")
def totp_step_up_request(bench, runs):
    import pyotp
    from kairan_stepup.totp import services

    from kairan.testing import sign_in_directly

    user, seed = _totp_user(bench)
    totp = pyotp.TOTP(seed)
    clock = {"now": time.time()}
    real_step = services.current_step
    services.current_step = lambda now=None: int((clock["now"] if now is None else now) // 30)
    try:
        durations = []
        for _i in range(runs):
            clock["now"] += 30
            browser = bench.browser()
            with bench.session() as dbsession:
                sign_in_directly(browser, dbsession, user)
            token = browser.csrf_token()
            code = totp.at(clock["now"])
            durations.append(timed(lambda b=browser, t=token, c=code: b.post(
                "/stepup/otp", {"code": c, "csrf_token": t}, status=303)))
        return durations
    finally:
        services.current_step = real_step


def _webauthn_key(bench):
    """A user with a security key from the tests' software authenticator, and that key."""
    import json

    sys.path.insert(0, str(ROOT))
    from kairan.testing import sign_in_directly
    from tests.addons.kairan_stepup.soft_authenticator import SoftAuthenticator

    user = bench.make_user()
    key = SoftAuthenticator()
    browser = bench.browser()
    with bench.session() as dbsession:
        sign_in_directly(browser, dbsession, user)

    def post(browser, url, body, status=200):
        return browser.post(url, json.dumps(body), content_type="application/json",
                            headers={"X-CSRF-Token": browser.csrf_token()}, status=status)

    options = post(browser, "/webauthn/keys/options", {"nickname": "bench"}).json
    post(browser, "/webauthn/keys/register", {"credential": key.create(options)})
    return user, key, post


@measurement("WebAuthn assertion verification alone (py_webauthn, ES256)")
def webauthn_verify_alone(bench, runs):
    import json

    from webauthn import verify_authentication_response

    _user, key, _post = _webauthn_key(bench)
    credential = key.credentials[0]
    challenge = os.urandom(32)
    from tests.addons.kairan_stepup.soft_authenticator import b64url

    durations = []
    for _i in range(runs):
        answer = key.get(json.dumps({"challenge": b64url(challenge), "allowCredentials": []}))
        durations.append(timed(lambda a=answer: verify_authentication_response(
            credential=a, expected_challenge=challenge, expected_rp_id="localhost",
            expected_origin="http://localhost",
            credential_public_key=credential.cose_public_key(),
            credential_current_sign_count=credential.sign_count - 1,
            require_user_verification=True)))
    return durations


@measurement("WebAuthn step-up (POST /webauthn/stepup/verify: challenge, signature, "
             "sign count, session rotation, audit)")
def webauthn_step_up_request(bench, runs):
    from kairan.testing import sign_in_directly

    user, key, post = _webauthn_key(bench)
    durations = []
    for _i in range(runs):
        browser = bench.browser()
        with bench.session() as dbsession:
            sign_in_directly(browser, dbsession, user)
        options = post(browser, "/webauthn/stepup/options", {"kind": "hwk"}).json
        answer = key.get(options)
        durations.append(timed(lambda b=browser, a=answer: post(
            b, "/webauthn/stepup/verify", {"credential": a})))
    return durations


def _jpki_card(bench):
    """A test CA (made by ``kairan jpki make-test-ca``'s code) set as the trust anchors."""
    from kairan_stepup.jpki.testca import make_test_ca

    ca = make_test_ca(tempfile.mkdtemp(prefix="kairan-bench-jpki-"))
    bench.registry.settings["kairan.stepup.jpki.trust_anchors"] = [str(ca.trust_anchors)]
    bench.registry.settings["kairan.stepup.jpki.crl_files"] = [str(ca.crl)]
    return ca


@measurement("JPKI verification alone (RSA-2048 PKCS#1 v1.5 signature, chain to the "
             "anchor, CRL lookup)")
def jpki_verify_alone(bench, runs):
    from types import SimpleNamespace

    from kairan_stepup.jpki.testca import sign_bytes
    from kairan_stepup.jpki.verify import verify_card

    cert, key = _jpki_card(bench).user("good")
    request = SimpleNamespace(registry=bench.registry)
    durations = []
    for i in range(runs):
        message = f"kairan-jpki-v1 origin=http://localhost nonce={i:043d} time=now".encode()
        signature = sign_bytes(key, message)
        durations.append(timed(lambda m=message, s=signature: verify_card(request, m, s, cert)))
    return durations


@measurement("JPKI step-up (POST /mynumber/card/verify: challenge, card checks, session "
             "rotation, audit)")
def jpki_step_up_request(bench, runs):
    import html
    import re

    from kairan_stepup.jpki.models import MyNumberBinding
    from kairan_stepup.jpki.testca import sign_challenge
    from kairan_stepup.jpki.verify import binding_subject

    from kairan.db.meta import utcnow
    from kairan.testing import sign_in_directly

    cert, key = _jpki_card(bench).user("good")
    user = bench.make_user()
    with bench.session() as dbsession:
        dbsession.add(MyNumberBinding(user_id=user.id, provider="jpki",
                                      subject=binding_subject(cert), created=utcnow()))
        dbsession.commit()
    durations = []
    for _i in range(runs):
        browser = bench.browser()
        with bench.session() as dbsession:
            sign_in_directly(browser, dbsession, user)
        token = browser.csrf_token()
        page = browser.post("/mynumber/card", {"mode": "stepup", "csrf_token": token})
        text = html.unescape(re.search(r'name="challenge"[^>]*>([^<]+)<', page.text)[1])
        response = sign_challenge(key, cert, text.strip())
        durations.append(timed(lambda b=browser, r=response, t=token: b.post(
            "/mynumber/card/verify", {"response": r, "csrf_token": t}, status=303)))
    return durations


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--addons", default="kairan_stepup")
    parser.add_argument("--only", default="", help="run measurements whose name contains this")
    args = parser.parse_args(argv)
    bench = Bench(args.addons)
    try:
        print(f"{args.runs} runs each, SQLite, Python {sys.version.split()[0]}, "
              f"{os.cpu_count()} CPUs")
        for name, function in MEASUREMENTS:
            if args.only and args.only not in name:
                continue
            function(bench, min(5, args.runs))  # warm up: templates, statements, caches
            durations = sorted(function(bench, args.runs))
            median = statistics.median(durations) * 1000
            p90 = durations[int(0.9 * (len(durations) - 1))] * 1000
            print(f"{name}: median {median:.2f} ms, p90 {p90:.2f} ms")
    finally:
        bench.close()


if __name__ == "__main__":
    main()
