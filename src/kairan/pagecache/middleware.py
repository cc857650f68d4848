"""A per-process cache of anonymous pages, never older than the database.

Anonymous GETs of public pages are most of a city portal's traffic, and
rendering one costs several milliseconds (bench/README.md). This WSGI
middleware keeps the rendered bytes and serves them again while the content
generation in the database is unchanged: every request reads that one row
(a primary-key lookup, well under a millisecond), so an edit committed
through any process is seen by every process at once, and the application
still keeps no state that matters in its processes. Entries also expire
after ``max_age`` seconds, for pages that change with the clock (upcoming
events).

Only these are cached: GET, no session cookie and no Authorization header
(nobody signed in), a 200 answer whose type is HTML, XML or Atom, that sets
no cookie, is not ``no-store`` and did not use a CSRF token (the request
flags that), within ``max_bytes``. The key is the host, path, query string
and language cookie.
"""

import threading
import time
from collections import OrderedDict

from sqlalchemy.exc import SQLAlchemyError

from kairan.pagecache.services import SELECT_GENERATION

UNCACHEABLE = "kairan.uncacheable"
CACHEABLE_TYPES = ("text/html", "application/xml", "application/atom+xml", "text/xml")
SKIPPED_PREFIXES = ("/api/", "/manage", "/static/", "/healthz")


def mark_uncacheable(request):
    """Keep this response out of the page cache (it carries something per visitor)."""
    request.environ[UNCACHEABLE] = True


class PageCache:
    def __init__(self, app, read_generation, session_cookie, locale_cookie, max_entries=1000,
                 max_age=60, max_bytes=512 * 1024, clock=time.monotonic):
        self.app = app
        self.read_generation = read_generation
        self.session_cookie = session_cookie
        self.locale_cookie = locale_cookie
        self.max_entries = max_entries
        self.max_age = max_age
        self.max_bytes = max_bytes
        self.clock = clock
        self.entries = OrderedDict()
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not self._eligible(environ):
            return self.app(environ, start_response)
        try:
            generation = self._generation()
        except SQLAlchemyError:
            return self.app(environ, start_response)
        key = self._key(environ)
        now = self.clock()
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None and entry[0] == generation and now - entry[1] < self.max_age:
                self.entries.move_to_end(key)
                _gen, _at, status, headers, body = entry
                start_response(status, list(headers))
                return [body]
        return self._render_and_store(environ, start_response, key, generation, now)

    def _eligible(self, environ):
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("HTTP_AUTHORIZATION"):
            return False
        if environ.get("PATH_INFO", "").startswith(SKIPPED_PREFIXES):
            return False
        cookies = environ.get("HTTP_COOKIE", "")
        return self.session_cookie + "=" not in cookies

    def _key(self, environ):
        locale = ""
        for part in environ.get("HTTP_COOKIE", "").split(";"):
            name, _sep, value = part.strip().partition("=")
            if name == self.locale_cookie:
                locale = value
        return (environ.get("HTTP_HOST", ""), environ.get("PATH_INFO", ""),
                environ.get("QUERY_STRING", ""), locale)

    def _generation(self):
        return self.read_generation()

    def _render_and_store(self, environ, start_response, key, generation, now):
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        app_iter = self.app(environ, capture)
        try:
            body = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        if generation is not None and self._storable(environ, captured, body):
            with self.lock:
                self.entries[key] = (generation, now, captured["status"],
                                     tuple(captured["headers"]), body)
                self.entries.move_to_end(key)
                while len(self.entries) > self.max_entries:
                    self.entries.popitem(last=False)
        return [body]

    def _storable(self, environ, captured, body):
        if environ.get(UNCACHEABLE) or not captured.get("status", "").startswith("200"):
            return False
        if len(body) > self.max_bytes:
            return False
        headers = {name.lower(): value for name, value in captured["headers"]}
        if "set-cookie" in headers or "no-store" in headers.get("cache-control", ""):
            return False
        return headers.get("content-type", "").split(";")[0].strip() in CACHEABLE_TYPES


class GenerationReader:
    """Reads the content generation for the page cache, as cheaply as the database allows.

    SQLite: through the application's engine (a local file read). PostgreSQL:
    on one autocommit connection per server thread with a prepared statement,
    so the check is a single round trip with no transaction to open and roll
    back and no pool checkout: about 0.1 ms instead of 0.3 to 1 ms through
    SQLAlchemy's pool (measured with psycopg 3 on the bench machine). Each
    thread holds one extra connection, which docs/scaling.md counts.
    """

    def __init__(self, engine):
        self.engine = engine
        self.postgres = engine.url.get_backend_name() == "postgresql"
        self.local = threading.local()

    def __call__(self):
        if not self.postgres:
            with self.engine.connect() as connection:
                return connection.execute(SELECT_GENERATION).scalar()
        import psycopg

        connection = getattr(self.local, "connection", None)
        try:
            if connection is None or connection.closed:
                url = self.engine.url.set(drivername="postgresql")
                connection = psycopg.connect(url.render_as_string(hide_password=False),
                                             autocommit=True)
                self.local.connection = connection
            row = connection.execute(str(SELECT_GENERATION), prepare=True).fetchone()
        except psycopg.Error as e:
            self.local.connection = None
            raise GenerationUnavailable(str(e)) from e
        return row[0] if row else None


class GenerationUnavailable(SQLAlchemyError):
    """The generation could not be read: the request bypasses the cache."""


def wrap(app, registry):
    """The application behind the page cache, unless ``kairan.page_cache.entries`` is 0."""
    from kairan.i18n.translation import LOCALE_COOKIE
    from kairan.security.sessions import cookie_name

    settings = registry.settings
    if settings["kairan.page_cache.entries"] <= 0:
        return app
    return PageCache(app, GenerationReader(registry["db_engine"]), cookie_name(settings),
                     LOCALE_COOKIE,
                     max_entries=settings["kairan.page_cache.entries"],
                     max_age=settings["kairan.page_cache.max_age"])
