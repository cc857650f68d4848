"""20 parallel submissions of one valid code give exactly one success, on every backend:
through the whole application (20 threads, each a browser with the same session), and
through the service with 20 database sessions."""

import threading

from kairan_stepup.crypto import encrypt
from kairan_stepup.totp import services
from kairan_stepup.totp.models import TotpDevice
from sqlalchemy import select
from sqlalchemy.orm import Session

from kairan.testing import KairanTestApp
from tests.addons.kairan_stepup.functional.totp_helpers import resident

PARALLEL = 20


def _device(dbsession, registry, user, seed):
    device = TotpDevice(user_id=user.id, nickname="phone", secret=encrypt(registry, seed),
                        created=services.utcnow(), confirmed=services.utcnow(), last_step=0)
    dbsession.add(device)
    dbsession.commit()
    return device


def _together(worker):
    barrier = threading.Barrier(PARALLEL)
    results = [None] * PARALLEL

    def run(i):
        barrier.wait()
        results[i] = worker(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_twenty_parallel_requests_with_one_code_one_success(
        app, testapp, dbsession, make_user, registry, clock):
    user = resident(make_user, testapp, dbsession)
    seed = services.new_seed()
    _device(dbsession, registry, user, seed)
    testapp.get("/stepup/otp")  # the CSRF cookie
    token = testapp.csrf_token()
    cookie = "; ".join(f"{name}={value}" for name, value in testapp.cookies.items())
    # one browser each: a TestApp keeps its cookies in a jar that threads must not share
    browsers = [KairanTestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.10",
                                                  "HTTP_HOST": "localhost"})
                for _i in range(PARALLEL)]
    code = clock.code(seed)

    def submit(i):
        response = browsers[i].post("/stepup/otp", {"code": code, "csrf_token": token},
                                    headers={"Cookie": cookie}, expect_errors=True)
        if response.status_int == 303 and response.location.endswith("/dashboard"):
            return "stepped up"
        # refused as a replay (400) or once locked (429); or, once the winner's step-up
        # has rotated the session id away, sent to sign in (303 to /login)
        if response.status_int == 303:
            return "signed out" if "/login" in response.location else response.location
        return response.status_int

    outcomes = _together(submit)
    assert outcomes.count("stepped up") == 1, outcomes
    assert set(outcomes) <= {"stepped up", "signed out", 400, 429}, outcomes
    dbsession.expire_all()
    assert dbsession.scalar(select(TotpDevice.last_step)) == clock.step()


def test_twenty_parallel_service_calls_with_one_code_one_success(
        engine, dbsession, make_user, registry, clock):
    user = make_user()
    seed = services.new_seed()
    _device(dbsession, registry, user, seed)
    code = clock.code(seed)

    def verify(_i):
        with Session(bind=engine) as session:
            outcome, _device_id = services.verify_totp(session, registry, user.id, code)
            session.commit()
            return outcome

    outcomes = _together(verify)
    assert outcomes.count(services.SUCCESS) == 1, outcomes
    assert outcomes.count(services.REPLAY) == PARALLEL - 1
