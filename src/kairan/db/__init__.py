"""Database wiring, after Pyramid's SQLAlchemy cookiecutter.

``includeme`` builds the engine from ``sqlalchemy.url``, binds a session per
request to pyramid_tm through zope.sqlalchemy (``get_tm_session``) and exposes
it as ``request.dbsession``. pyramid_retry re-runs a request whose transaction hit a
serialization failure or deadlock. Nothing here lives at module level: the
engine belongs to the registry.
"""

import zope.sqlalchemy
from pyramid_retry import mark_error_retryable
from sqlalchemy import engine_from_config, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from zope.sqlalchemy.datamanager import ZopeTransactionEvents

# Session.info key of the ZopeTransactionEvents that tie a session to its transaction.
TRANSACTION_EVENTS = "kairan.transaction_events"


def get_engine(settings, prefix="sqlalchemy."):
    engine = engine_from_config(settings, prefix, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL lets readers go on while one writer commits; foreign keys are off
    # by default in SQLite; the busy timeout turns writer contention into a
    # short wait instead of "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class TransactionSession(Session):
    """A session that joins the transaction manager of the ZopeTransactionEvents in
    its ``info[TRANSACTION_EVENTS]``, exactly as ``zope.sqlalchemy.register`` would.

    A session without them (``audit_now``'s, an export's, a script's own) is a plain
    session that commits for itself.
    """


# zope.sqlalchemy.register() attaches seven listeners to each session it is given,
# about 0.2 ms of CPU on every request; attached once here, to the class, they
# forward to the session's own ZopeTransactionEvents, so what happens on each event
# is still zope.sqlalchemy's code.
def _forwarder(name, session_of):
    def forward(*args):
        events = session_of(*args).info.get(TRANSACTION_EVENTS)
        if events is not None:
            getattr(events, name)(*args)

    return forward


def _session(session, *args):
    return session


def _context_session(context):
    return context.session


for _event, _session_of in (
    ("after_begin", _session),
    ("after_attach", _session),
    ("after_flush", _session),
    ("before_commit", _session),
    ("after_bulk_update", _context_session),
    ("after_bulk_delete", _context_session),
    ("do_orm_execute", _context_session),
):
    event.listen(TransactionSession, _event, _forwarder(_event, _session_of))


def get_session_factory(engine):
    return sessionmaker(bind=engine, expire_on_commit=False, class_=TransactionSession)


def get_tm_session(session_factory, transaction_manager, request=None):
    """A new session from ``session_factory`` that commits and aborts with
    ``transaction_manager``'s transaction (``info["request"]`` is ``request``)."""
    dbsession = session_factory(info={"request": request})
    if isinstance(dbsession, TransactionSession):
        events = ZopeTransactionEvents(transaction_manager=transaction_manager)
    else:  # a factory of another Session class: the listeners go on this session
        events = zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    dbsession.info[TRANSACTION_EVENTS] = events
    return dbsession


def mark_changed(dbsession):
    """Tell the transaction ``dbsession`` is joined to, if any, that it wrote.

    zope.sqlalchemy sees the ORM's writes only: a request whose writes are all
    Core statements on tables, or raw SQL, would otherwise be rolled back as read-only.
    """
    events = dbsession.info.get(TRANSACTION_EVENTS)
    if events is not None:
        events.mark_changed(dbsession)


def includeme(config):
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    # Two requests creating the same unique row (an e-mail address, a slug)
    # both pass their checks; the loser's IntegrityError is worth one retry,
    # in which it sees the winner's row and answers with a clear message.
    mark_error_retryable(IntegrityError)
    config.include("pyramid_tm")
    config.include("pyramid_retry")
    engine = get_engine(settings)
    session_factory = get_session_factory(engine)
    config.registry["dbsession_factory"] = session_factory
    config.registry["db_engine"] = engine

    def dbsession(request):
        # An enclosing scope (a test, a script) may hand in its own session.
        existing = request.environ.get("app.dbsession")
        if existing is not None:
            return existing
        return get_tm_session(session_factory, request.tm, request=request)

    config.add_request_method(dbsession, reify=True)
