"""Fixtures of the points add-on's tests: a programme, residents, a level-2 operator session.

Tests marked ``postgres_only`` (row locks, killed connections) run on the
PostgreSQL run of ``db_backend`` and are skipped on the SQLite one.
"""

import secrets
from datetime import date, timedelta

import pytest

from kairan.db.meta import utcnow


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("postgres_only") is None:
        return
    if request.getfixturevalue("db_backend") != "postgresql":
        pytest.skip("needs PostgreSQL (row locks, pg_terminate_backend)")


def programme_values(**overrides):
    values = {
        "code": "miyagi-2025",
        "name": "宮城県地域ポイント2025",
        "name_en": "Miyagi regional points 2025",
        "spend_from": date(2025, 1, 6),
        "spend_until": date(2025, 2, 28),
        "expiry_kind": "fixed",
        "expires_on": date(2025, 3, 1),
        "expiry_days": None,
        "categories": ["supermarket", "drugstore"],
        "budget": 1_000_000,
    }
    values.update(overrides)
    return values


@pytest.fixture
def make_programme(dbsession):
    """make_programme(**overrides) -> a committed programme (far-future expiry by default)."""
    from kairan_points.services import create_programme

    counter = {"n": 0}

    def factory(**overrides):
        counter["n"] += 1
        overrides.setdefault("code", f"programme-{counter['n']}")
        overrides.setdefault("spend_from", date.today())
        overrides.setdefault("spend_until", date.today() + timedelta(days=365))
        overrides.setdefault("expires_on", date.today() + timedelta(days=400))
        programme = create_programme(dbsession, programme_values(**overrides))
        dbsession.commit()
        return programme

    return factory


@pytest.fixture
def programme(make_programme):
    return make_programme()


def key():
    return "test:" + secrets.token_hex(8)


def give_expiring(dbsession, programme, user, amount, expires_at):
    """Grant ``amount`` points (earned ten days ago) expiring at ``expires_at``, straight
    through the ledger; commit and return the wallet's account id."""
    from kairan_points import ledger
    from kairan_points.models import ISSUER

    wallet = ledger.wallet_account(dbsession, programme.id, user.id)
    issuer = ledger.system_account_id(dbsession, programme.id, ISSUER)
    ledger.transfer(dbsession, programme_id=programme.id, reason_code="grant",
                    idempotency_key=key(), now=utcnow() - timedelta(days=10),
                    postings=[ledger.Posting(issuer, -amount),
                              ledger.Posting(wallet.id, amount, expires_at=expires_at)])
    dbsession.commit()
    return wallet.id


def sign_in_at_level(testapp, dbsession, user, level=2):
    """A live session for ``user`` that proved ``level`` just now."""
    from kairan.security.models import AuthSession
    from kairan.security.sessions import token_hash

    token = secrets.token_urlsafe(32)
    now = utcnow()
    factors = {"pwd": {"level": 1, "at": now.isoformat()}}
    if level >= 2:
        factors["otp"] = {"level": level, "at": now.isoformat()}
    dbsession.add(AuthSession(id=token_hash(token), user_id=user.id, created=now,
                              last_seen=now - timedelta(seconds=1), factors=factors, data={}))
    dbsession.commit()
    testapp.set_cookie("kairan_session", token)
    return user


@pytest.fixture
def kairan(tmp_path, kairan_settings, app_config, clean_db):
    """kairan(*args, expect=0, extra=()) runs the ``kairan`` command on the test database,
    with an .ini that enables this add-on (``extra``: more ``key = value`` lines)."""
    from click.testing import CliRunner

    from kairan.cli.main import cli

    def run(*args, expect=0, extra=()):
        ini = tmp_path / "points.ini"
        ini.write_text("\n".join([
            "[app:main]", "use = egg:kairan", "kairan.env = testing",
            f"sqlalchemy.url = {kairan_settings['sqlalchemy.url']}",
            "kairan.base_url = http://localhost:6543", "kairan.addons = kairan_points",
            *extra, ""]))
        result = CliRunner().invoke(cli, ["-c", str(ini), *args], catch_exceptions=False)
        assert result.exit_code == expect, result.output
        assert "Traceback" not in result.output
        return result.output

    return run


def verify_ok(dbsession):
    """Assert the whole ledger verifies; return the report."""
    from kairan_points.verify import verify_ledger

    dbsession.rollback()
    report = verify_ledger(dbsession)
    assert report.ok, "\n".join(report.lines())
    dbsession.rollback()
    return report


@pytest.fixture(scope="module")
def fake_server():
    """The fake regional currency service (``fakecurrency``), one per test module, on a
    random loopback port."""
    from tests.addons.kairan_points.fakecurrency import FakeCurrency

    fake = FakeCurrency().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(fake_server):
    """The fake service as new for each test (running again if a test stopped it)."""

    def fresh():
        fake_server.reset()
        if fake_server.server is None:
            fake_server.start()

    fresh()
    yield fake_server
    fresh()
