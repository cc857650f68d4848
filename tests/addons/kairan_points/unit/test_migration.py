"""The add-on's migration goes up, down and up again, triggers included (scratch SQLite)."""

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from kairan.db import migrate

TABLES = {"points_programmes", "points_accounts", "points_transfers", "points_lines",
          "points_lots", "points_lot_entries", "points_pending_grants",
          "points_bridge_moves", "points_bridge_credits", "points_bridge_reconciliations"}


def test_upgrade_downgrade_upgrade(tmp_path):
    settings = {"sqlalchemy.url": f"sqlite:///{tmp_path / 'p.sqlite'}",
                "kairan.addons": "kairan_points"}
    migrate.upgrade(settings)
    engine = create_engine(settings["sqlalchemy.url"])
    try:
        assert TABLES <= set(inspect(engine).get_table_names())
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO points_programmes (id, code, name, name_en, spend_from, "
                "spend_until, expiry_kind, expires_on, categories, budget, created, modified) "
                "VALUES (1, 'p', 'p', '', '2025-01-06', '2025-02-28', 'fixed', '2025-03-01', "
                "'[]', 10, '2025-01-01', '2025-01-01')"))
            connection.execute(text(
                "INSERT INTO points_transfers (id, programme_id, reason_code, reason, at, "
                "idempotency_key, request_hash) VALUES (1, 1, 'grant', '', '2025-01-01', 'k', "
                "'h')"))
        with pytest.raises(DBAPIError, match="never changed"), engine.begin() as connection:
            connection.execute(text("UPDATE points_transfers SET reason = 'x'"))
        migrate.downgrade(settings, "kairan_points@base")
        assert not TABLES & set(inspect(engine).get_table_names())
        migrate.upgrade(settings)
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_on_postgresql():
    import secrets

    from kairan.testing import create_postgres_database, drop_postgres_database, postgres_available

    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable")
    name = f"kairan_points_mig_{secrets.token_hex(3)}"
    url = create_postgres_database(name)
    settings = {"sqlalchemy.url": url, "kairan.addons": "kairan_points"}
    engine = create_engine(url)
    try:
        migrate.upgrade(settings)
        migrate.downgrade(settings, "kairan_points@base")
        assert not TABLES & set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM pg_proc "
                                          "WHERE proname LIKE 'points_%'")) == 0
        migrate.upgrade(settings)
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
        drop_postgres_database(name)
