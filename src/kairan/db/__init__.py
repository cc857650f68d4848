"""Database wiring, after Pyramid's SQLAlchemy cookiecutter.

``includeme`` builds the engine from ``sqlalchemy.url``, binds a session per
request to pyramid_tm through zope.sqlalchemy and exposes it as
``request.dbsession``. pyramid_retry re-runs a request whose transaction hit a
serialization failure or deadlock. Nothing here lives at module level: the
engine belongs to the registry.
"""

import zope.sqlalchemy
from pyramid_retry import mark_error_retryable
from sqlalchemy import engine_from_config, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker


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


def get_session_factory(engine):
    return sessionmaker(bind=engine, expire_on_commit=False)


def get_tm_session(session_factory, transaction_manager, request=None):
    dbsession = session_factory(info={"request": request})
    zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    return dbsession


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
