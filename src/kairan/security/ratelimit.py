"""Rate limiters kept in the database, so every server process shares them.

A fixed window per (limiter, key); the key is hashed, so an address or an
e-mail address typed at the sign-in form is not stored in the clear. The
increment is one upsert with RETURNING: two processes counting at once never
lose a hit.
"""

import hashlib
import time

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from zope.interface import implementer

from kairan.security.interfaces import IRateLimiter
from kairan.security.models import RateLimitHit


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@implementer(IRateLimiter)
class DatabaseRateLimiter:
    def __init__(self, name, limit, window, clock=time.time):
        self.name = name
        self.limit = int(limit)
        self.window = int(window)
        self.clock = clock

    def _window(self):
        now = int(self.clock())
        return now - now % self.window

    def _count(self, request, key):
        row = request.dbsession.get(RateLimitHit, (self.name, _hash(key), self._window()))
        return row.count if row is not None else 0

    def hit(self, request, key):
        dbsession = request.dbsession
        dialect = dbsession.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        values = {"limiter": self.name, "key": _hash(key), "window": self._window(), "count": 1}
        stmt = insert(RateLimitHit).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["limiter", "key", "window"],
            set_={"count": RateLimitHit.count + 1},
        ).returning(RateLimitHit.count)
        count = dbsession.execute(stmt).scalar_one()
        return count <= self.limit

    def exceeded(self, request, key):
        return self._count(request, key) >= self.limit

    def clear(self, request, key):
        request.dbsession.execute(
            delete(RateLimitHit).where(
                RateLimitHit.limiter == self.name, RateLimitHit.key == _hash(key)
            )
        )

    def retry_after(self, request):
        return self.window - int(self.clock()) % self.window


def register_rate_limiter(config, name, limit, window, factory=DatabaseRateLimiter):
    """Directive: register a named ``IRateLimiter``; a second one with the same name fails."""

    def register():
        config.registry.registerUtility(factory(name, limit, window), IRateLimiter, name=name)

    config.action(("kairan.rate_limiter", name), register)


def get_rate_limiter(request, name) -> IRateLimiter:
    return request.registry.getUtility(IRateLimiter, name=name)


def purge_rate_limits(dbsession, now=None, keep_seconds=86400):
    """Delete windows that started more than ``keep_seconds`` ago; return how many."""
    now = int(now if now is not None else time.time())
    result = dbsession.execute(delete(RateLimitHit).where(RateLimitHit.window < now - keep_seconds))
    return result.rowcount or 0
