from types import SimpleNamespace

from pyramid import testing
from zope.interface.verify import verifyClass

from kairan.dashboard.interfaces import IDashboardTile
from kairan.dashboard.tiles import AccountTile, LatestNewsTile


def test_core_tiles_provide_the_interface():
    assert verifyClass(IDashboardTile, AccountTile)
    assert verifyClass(IDashboardTile, LatestNewsTile)


def test_account_tile_shows_only_to_a_signed_in_user():
    request = testing.DummyRequest()
    request.user = None
    assert AccountTile().is_visible(request) is False
    request.user = SimpleNamespace(display_name="山田花子", email="hanako@example.jp")
    assert AccountTile().is_visible(request) is True
    values = AccountTile().values(request)
    assert values["display_name"] == "山田花子" and values["email"] == "hanako@example.jp"
    assert values["data_url"] == "/account/my-data.json"
