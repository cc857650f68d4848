"""The database rate limiter, counted over many keys and windows (SECURITY.md: brute force).

10,000 guesses are not sent over HTTP (each costs an argon2 verification);
the functional tests show that a used-up limiter refuses even the right
password with 429, and this shows the counting those answers rest on.
"""

import pytest
from pyramid.testing import DummyRequest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from zope.interface.verify import verifyClass

from kairan.security.interfaces import IRateLimiter
from kairan.security.models import RateLimitHit
from kairan.security.ratelimit import DatabaseRateLimiter, purge_rate_limits


class Clock:
    def __init__(self, now=1_700_000_000):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def request_():
    engine = create_engine("sqlite://")
    RateLimitHit.__table__.create(engine)
    with Session(engine) as session:
        yield DummyRequest(dbsession=session)
    engine.dispose()


def test_implements_the_interface():
    assert verifyClass(IRateLimiter, DatabaseRateLimiter)


def test_ten_thousand_guesses_on_one_account_get_only_the_limit_per_window(request_):
    clock = Clock(1_700_000_000 - 1_700_000_000 % 900)
    limiter = DatabaseRateLimiter("login.account", 10, 900, clock=clock)
    allowed = 0
    for guess in range(10_000):
        # the view asks exceeded() first and counts only attempts it lets through
        if not limiter.exceeded(request_, "taro@example.jp"):
            allowed += limiter.hit(request_, "taro@example.jp")
        if guess % 1000 == 999:
            clock.now += 900  # ten windows over the run
    assert allowed == 10 * 10


def test_many_keys_are_counted_apart(request_):
    limiter = DatabaseRateLimiter("login.address", 3, 60, clock=Clock())
    keys = [f"192.0.2.{i}" for i in range(200)]
    for _round in range(3):
        for key in keys:
            assert limiter.hit(request_, key)
    assert all(limiter.exceeded(request_, key) for key in keys)
    assert not limiter.hit(request_, keys[0])
    assert not limiter.exceeded(request_, "198.51.100.1")
    assert request_.dbsession.scalar(select(RateLimitHit.count).where(
        RateLimitHit.key != "")) in (3, 4)


def test_keys_are_stored_hashed_and_clear_forgets_them(request_):
    limiter = DatabaseRateLimiter("login.account", 2, 60, clock=Clock())
    limiter.hit(request_, "taro@example.jp")
    limiter.hit(request_, "taro@example.jp")
    assert limiter.exceeded(request_, "taro@example.jp")
    stored = request_.dbsession.scalars(select(RateLimitHit.key)).all()
    assert stored and all("taro" not in key and len(key) == 64 for key in stored)
    limiter.clear(request_, "taro@example.jp")
    assert not limiter.exceeded(request_, "taro@example.jp")


def test_retry_after_is_the_rest_of_the_window(request_):
    clock = Clock(1_700_000_000 - 1_700_000_000 % 900 + 100)
    limiter = DatabaseRateLimiter("x", 1, 900, clock=clock)
    assert limiter.retry_after(request_) == 800


def test_purge_drops_old_windows(request_):
    clock = Clock(1_000_000)
    limiter = DatabaseRateLimiter("x", 1, 60, clock=clock)
    limiter.hit(request_, "a")
    clock.now += 2 * 86400
    limiter.hit(request_, "a")
    assert purge_rate_limits(request_.dbsession, now=clock.now) == 1
