"""``kairan db``: upgrade, current, check, downgrade on a real database."""

from tests.functional.cli.conftest import Kairan, write_ini


def test_current_shows_every_head_applied(kairan):
    result = kairan("db", "current")
    applied, heads = result.output.splitlines()[:2]
    assert applied.removeprefix("applied: ") == heads.removeprefix("heads:   ").strip()
    assert "needs" not in result.output


def test_check_agrees(kairan):
    assert "models and migrations agree" in kairan("db", "check").output


def test_downgrade_then_upgrade_round_trip(tmp_path):
    # on a database of its own: the shared ones stay migrated for the other tests
    url = f"sqlite:///{tmp_path / 'round.sqlite'}"
    kairan = Kairan(write_ini(tmp_path / "round.ini", url), url)
    kairan("db", "upgrade")
    kairan("db", "downgrade", "base")
    result = kairan("db", "current")
    assert "applied: (none)" in result.output
    assert "needs 'kairan db upgrade'" in result.output
    kairan("db", "upgrade")
    assert "needs" not in kairan("db", "current").output


def test_an_unreachable_database_is_one_clear_line(tmp_path):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    kairan = Kairan(write_ini(tmp_path / "bad.ini", url), url)
    result = kairan("db", "current", expect=1)
    assert result.output.startswith("Error: OperationalError")
