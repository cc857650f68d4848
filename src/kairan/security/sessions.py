"""Server-side sessions kept in the database.

The browser holds a random 256-bit token; the ``sessions`` table holds its
SHA-256, so a leaked database does not hand out live cookies. A visitor who
never signs in and never gets a flash message has no session row at all:
anonymous pages cost no write. Changes to a session are made on its row in
the request's own transaction, so they commit or roll back with the rest of
the request. The session id is rotated at sign-in and at every step-up
(``rotate``) and deleted on the server at sign-out (``invalidate``).
"""

import functools
import hashlib
import secrets
from datetime import datetime, timedelta

from pyramid.interfaces import ISession
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import flag_modified
from zope.interface import implementer

from kairan.db.meta import utcnow
from kairan.security.assurance import lapse_idle_factors
from kairan.security.models import AuthSession

# last_seen is refreshed at most this often: the idle timers are minutes
# long, and a write on every page view would cost more than it tells.
TOUCH_INTERVAL = timedelta(seconds=60)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def cookie_name(settings) -> str:
    # The __Host- prefix binds the cookie to our exact origin over HTTPS.
    return "__Host-kairan_session" if settings["kairan.production"] else "kairan_session"


@implementer(ISession)
class DatabaseSession:
    """A dict-like ``ISession`` over one ``AuthSession`` row (created lazily)."""

    def __init__(self, request, row=None, token=None, user=None):
        self.request = request
        self.row = row
        self.token = token
        self.new = row is None
        # the row's user as read with the row (roles loaded), for ``request.user``
        self.loaded_user = user
        self._callback_added = False

    # -- persistence ---------------------------------------------------------
    def _ensure_row(self):
        if self.row is None:
            self.token = secrets.token_urlsafe(32)
            now = utcnow()
            self.row = AuthSession(
                id=token_hash(self.token),
                created=now,
                last_seen=now,
                factors={},
                data={},
                address=self.request.client_addr,
                user_agent=(self.request.user_agent or "")[:300],
            )
            self.request.dbsession.add(self.row)
            self._set_cookie_later()
        return self.row

    def _data(self):
        return self.row.data if self.row is not None else {}

    def changed(self):
        if self.row is not None:
            flag_modified(self.row, "data")

    def _set_cookie_later(self):
        if not self._callback_added:
            self._callback_added = True
            self.request.add_response_callback(self._write_cookie)

    def _write_cookie(self, request, response):
        settings = request.registry.settings
        name = cookie_name(settings)
        secure = settings["kairan.production"]
        if self.row is None or self.token is None:
            response.delete_cookie(name, path="/")
            return
        response.set_cookie(
            name,
            self.token,
            max_age=settings["kairan.session.max_seconds"],
            path="/",
            secure=secure,
            httponly=True,
            samesite="Lax",
        )

    # -- ISession --------------------------------------------------------------
    @property
    def created(self):
        return self.row.created.timestamp() if self.row is not None else utcnow().timestamp()

    def invalidate(self):
        if self.row is not None:
            self.request.dbsession.delete(self.row)
        self.row = None
        self.token = None
        self._set_cookie_later()

    def rotate(self):
        """Give this session a new id, keeping its data: used at sign-in and step-up."""
        old = self.row
        self.row = None
        self.token = None
        row = self._ensure_row()
        if old is not None:
            row.data = dict(old.data)
            row.factors = dict(old.factors)
            row.user_id = old.user_id
            row.acting_user_id = old.acting_user_id
            self.request.dbsession.delete(old)
        self._set_cookie_later()

    def flash(self, msg, queue="", allow_duplicate=True):
        row = self._ensure_row()
        messages = row.data.setdefault("_flash_" + queue, [])
        if allow_duplicate or msg not in messages:
            messages.append(msg)
        self.changed()

    def pop_flash(self, queue=""):
        if self.row is None or ("_flash_" + queue) not in self.row.data:
            return []
        messages = self.row.data.pop("_flash_" + queue)
        self.changed()
        return messages

    def peek_flash(self, queue=""):
        return list(self._data().get("_flash_" + queue, []))

    def new_csrf_token(self):
        token = secrets.token_hex(32)
        self["_csrft_"] = token
        return token

    def get_csrf_token(self):
        return self.get("_csrft_") or self.new_csrf_token()

    # -- dict interface --------------------------------------------------------
    def __getitem__(self, key):
        return self._data()[key]

    def get(self, key, default=None):
        return self._data().get(key, default)

    def __setitem__(self, key, value):
        self._ensure_row().data[key] = value
        self.changed()

    def __delitem__(self, key):
        del self._ensure_row().data[key]
        self.changed()

    def __contains__(self, key):
        return key in self._data()

    def __iter__(self):
        return iter(self._data())

    def __len__(self):
        return len(self._data())

    def keys(self):
        return self._data().keys()

    def items(self):
        return self._data().items()

    def values(self):
        return self._data().values()

    def pop(self, key, *default):
        value = self._ensure_row().data.pop(key, *default)
        self.changed()
        return value

    def popitem(self):
        item = self._ensure_row().data.popitem()
        self.changed()
        return item

    def setdefault(self, key, default=None):
        value = self._ensure_row().data.setdefault(key, default)
        self.changed()
        return value

    def update(self, *args, **kw):
        self._ensure_row().data.update(*args, **kw)
        self.changed()

    def clear(self):
        if self.row is not None:
            self.row.data = {}

    # -- Kairan additions --------------------------------------------------------
    @property
    def user_id(self):
        return self.row.user_id if self.row is not None else None

    def sign_in(self, user_id, factor="pwd", level=1, acting_user_id=None):
        """Bind the session to a user after a proven factor; rotates the id."""
        self.rotate()
        row = self.row
        row.user_id = user_id
        row.acting_user_id = acting_user_id
        row.factors = {}
        self.record_factor(factor, level, rotate=False)

    def record_factor(self, factor, level, rotate=True):
        """Remember that ``factor`` (an RFC 8176 amr value) proved ``level`` just now."""
        if rotate:
            self.rotate()
        row = self._ensure_row()
        factors = dict(row.factors or {})
        factors[factor] = {"level": int(level), "at": utcnow().isoformat()}
        row.factors = factors
        row.last_seen = utcnow()


@functools.cache
def _row_and_user_statement():
    # Built once: only the bound id changes. Like the Session.get it replaces, it
    # does not flush what the request has pending.
    from kairan.accounts.models import User

    return (
        select(AuthSession, User)
        .outerjoin(User, User.id == AuthSession.user_id)
        .options(joinedload(User.roles))
        .where(AuthSession.id == bindparam("id"))
        .execution_options(autoflush=False)
    )


def load_session(request):
    """The session factory: the row named by the cookie, if live; else a lazy new session."""
    settings = request.registry.settings
    token = request.cookies.get(cookie_name(settings))
    if not token or len(token) > 100:
        return DatabaseSession(request)
    found = (
        request.dbsession.execute(_row_and_user_statement(), {"id": token_hash(token)})
        .unique()
        .one_or_none()
    )
    if found is None:
        session = DatabaseSession(request)
        session._set_cookie_later()  # clear the stale cookie
        return session
    row, user = found
    now = utcnow()
    idle = timedelta(seconds=settings["kairan.session.idle_seconds"])
    total = timedelta(seconds=settings["kairan.session.max_seconds"])
    if now - row.last_seen > idle or now - row.created > total:
        session = DatabaseSession(request)
        session._set_cookie_later()
        return session
    session = DatabaseSession(request, row, token, user)
    request.session_previous_seen = row.last_seen
    if now - row.last_seen > TOUCH_INTERVAL:
        # a level whose idle limit passed stays lapsed once last_seen moves on
        lowered = lapse_idle_factors(settings, row.factors, now - row.last_seen)
        if lowered is not None:
            row.factors = lowered
        row.last_seen = now
    return session


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)
