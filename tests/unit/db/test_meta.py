from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite

from kairan.db.meta import NAMING_CONVENTION, Base, UTCDateTime, utcnow


def test_utcnow_is_aware_utc():
    now = utcnow()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


def test_utc_datetime_stores_naive_utc_and_returns_aware():
    column_type = UTCDateTime()
    jst = timezone(timedelta(hours=9))
    stored = column_type.process_bind_param(datetime(2025, 3, 1, 0, 0, tzinfo=jst),
                                            sqlite.dialect())
    assert stored == datetime(2025, 2, 28, 15, 0)
    assert stored.tzinfo is None
    loaded = column_type.process_result_value(stored, sqlite.dialect())
    assert loaded == datetime(2025, 2, 28, 15, 0, tzinfo=UTC)


def test_utc_datetime_refuses_naive_values():
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2025, 1, 1), sqlite.dialect())


def test_utc_datetime_passes_none_through():
    assert UTCDateTime().process_bind_param(None, sqlite.dialect()) is None
    assert UTCDateTime().process_result_value(None, sqlite.dialect()) is None


def test_metadata_uses_the_naming_convention():
    assert Base.metadata.naming_convention["pk"] == NAMING_CONVENTION["pk"]
