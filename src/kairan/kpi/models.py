"""Monthly activity, the raw material of the monthly-active-users KPI."""

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kairan.db.meta import Base


class MonthlyActivity(Base):
    """One row per user per month (``YYYY-MM`` in Asia/Tokyo) in which they signed in or acted."""

    __tablename__ = "monthly_activity"

    # not a foreign key: a deleted account still counted in the months it was active
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True, index=True)
