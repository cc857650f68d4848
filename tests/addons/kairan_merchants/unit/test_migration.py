"""kairan_merchants_0002 adds the branches' English name and closing columns, keeps the rows
already there, goes down and up again."""

import secrets

import pytest
from sqlalchemy import create_engine, inspect, text

from kairan.db import migrate
from kairan.testing import create_postgres_database, drop_postgres_database, postgres_available

NEW_COLUMNS = {"name_en", "closed_at", "closed_by_id"}


def _columns(engine):
    return {c["name"] for c in inspect(engine).get_columns("merchant_branches")}


def _up_down_up(settings):
    engine = create_engine(settings["sqlalchemy.url"])
    try:
        migrate.upgrade(settings)
        migrate.downgrade(settings, "kairan_merchants_0001")
        assert not NEW_COLUMNS & _columns(engine)
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO merchants (id, legal_name, name, name_en, category, programmes, "
                "status, status_reason, contact_name, contact_email, contact_phone, created) "
                "VALUES (1, 'x', '店', '', 'retail', '[]', 'active', '', 'c', 'c@example.jp', "
                "'0222111111', '2025-01-01 00:00:00')"))
            connection.execute(text(
                "INSERT INTO merchant_branches (id, merchant_id, name, postal_code, address, "
                "area, phone, hours, qr_version, created) VALUES (1, 1, '本店', '980-0001', "
                "'a', 'chuo', '022-211-1111', '', 1, '2025-01-01 00:00:00')"))
        migrate.upgrade(settings)
        assert NEW_COLUMNS <= _columns(engine)
        with engine.connect() as connection:
            row = connection.execute(text(
                "SELECT name, name_en, closed_at FROM merchant_branches")).one()
        assert tuple(row) == ("本店", "", None)
        # (models and migrations agreeing is tests/functional/db/test_migrations.py's job:
        # alembic's check compares every model this process has imported)
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_on_sqlite(tmp_path):
    _up_down_up({"sqlalchemy.url": f"sqlite:///{tmp_path / 'm.sqlite'}",
                 "kairan.addons": "kairan_merchants"})


def test_upgrade_downgrade_upgrade_on_postgresql():
    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable")
    name = f"kairan_merchants_mig_{secrets.token_hex(3)}"
    url = create_postgres_database(name)
    try:
        _up_down_up({"sqlalchemy.url": url, "kairan.addons": "kairan_merchants"})
    finally:
        drop_postgres_database(name)
