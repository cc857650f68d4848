"""The content generation: one counter, bumped by every change to public content."""

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from kairan.db.meta import Base


class ContentGeneration(Base):
    """A single row (id 1). Every server process compares its cached pages against it."""

    __tablename__ = "content_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
