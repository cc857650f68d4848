"""The demo city's points: two programmes, points in the demo resident's wallet, once."""

from datetime import date

from kairan_points.models import Account, Programme
from sqlalchemy import func, select

from kairan.accounts.models import User
from kairan.demo.services import load_demo, run_demo_loaders
from tests.addons.kairan_points.conftest import verify_ok


def resident_balance(dbsession):
    resident = dbsession.scalar(select(User).where(User.email == "resident@example.jp"))
    return dbsession.scalar(select(func.coalesce(func.sum(Account.balance), 0)).where(
        Account.user_id == resident.id, Account.kind == "wallet"))


def test_the_demo_has_programmes_and_a_resident_with_points(dbsession, registry):
    load_demo(dbsession, registry.settings, today=date(2025, 1, 20))
    dbsession.flush()
    lines = run_demo_loaders(dbsession, registry, today=date(2025, 1, 20))
    dbsession.commit()
    assert any(line.startswith("points: 県地域ポイント2025") for line in lines)
    codes = set(dbsession.scalars(select(Programme.code)))
    assert codes == {"regional2025", "community"}
    assert resident_balance(dbsession) == 3500
    # a second run grants nothing more and prints nothing for the points
    again = run_demo_loaders(dbsession, registry, today=date(2025, 1, 20))
    dbsession.commit()
    assert not [line for line in again if line.startswith("points:")]
    assert resident_balance(dbsession) == 3500
    verify_ok(dbsession)
