"""get_tm_session and mark_changed: a session joins the transaction manager it was
made for, as zope.sqlalchemy.register would make it, and only that one."""

import pytest
import transaction
from sqlalchemy import Integer, String, create_engine, event, func, insert, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from kairan.db import TransactionSession, get_session_factory, get_tm_session, mark_changed


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(20))


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'tm.sqlite'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine):
    return get_session_factory(engine)


@pytest.fixture
def manager():
    return transaction.TransactionManager(explicit=True)


def count(engine):
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Note))


def test_the_factory_makes_transaction_sessions(factory):
    session = factory()
    assert isinstance(session, TransactionSession)
    session.close()


def test_an_orm_write_commits_with_the_transaction(engine, factory, manager):
    with manager:
        dbsession = get_tm_session(factory, manager)
        dbsession.add(Note(text="a"))
        assert count(engine) == 0
    assert count(engine) == 1


def test_orm_dml_marks_the_session_changed(engine, factory, manager):
    with manager:
        get_tm_session(factory, manager).add(Note(id=1, text="a"))
    with manager:
        get_tm_session(factory, manager).execute(update(Note).values(text="b"))
    with engine.connect() as connection:
        assert connection.scalar(select(Note.text)) == "b"


def test_core_table_dml_is_rolled_back_unless_marked(engine, factory, manager):
    with manager:
        get_tm_session(factory, manager).execute(insert(Note.__table__), {"text": "unseen"})
    assert count(engine) == 0
    with manager:
        dbsession = get_tm_session(factory, manager)
        dbsession.execute(insert(Note.__table__), {"text": "marked"})
        mark_changed(dbsession)
    assert count(engine) == 1


def test_a_doomed_or_aborted_transaction_rolls_back(engine, factory, manager):
    manager.begin()
    dbsession = get_tm_session(factory, manager)
    dbsession.add(Note(text="a"))
    dbsession.flush()
    manager.doom()
    with pytest.raises(transaction.interfaces.DoomedTransaction):
        manager.commit()
    manager.abort()  # what pyramid_tm does with a doomed transaction
    manager.begin()
    get_tm_session(factory, manager).add(Note(text="b"))
    manager.abort()
    assert count(engine) == 0


def test_the_session_is_closed_at_the_end(factory, manager):
    with manager:
        dbsession = get_tm_session(factory, manager)
        note = Note(text="a")
        dbsession.add(note)
    assert note not in dbsession and not dbsession.in_transaction()


def test_committing_behind_the_managers_back_is_refused(factory, manager):
    with pytest.raises(AssertionError), manager:
        dbsession = get_tm_session(factory, manager)
        dbsession.add(Note(text="a"))
        dbsession.commit()


def test_each_session_joins_its_own_manager_only(engine, factory):
    first = transaction.TransactionManager(explicit=True)
    second = transaction.TransactionManager(explicit=True)
    first.begin()
    second.begin()
    get_tm_session(factory, first).add(Note(text="first"))
    get_tm_session(factory, second).add(Note(text="second"))
    assert len(first.get()._resources) == len(second.get()._resources) == 1
    second.abort()
    first.commit()
    with engine.connect() as connection:
        assert connection.scalars(select(Note.text)).all() == ["first"]


def test_a_session_without_a_manager_commits_for_itself(engine, factory, manager):
    # audit_now's, an export's and a script's sessions: plain sessions, even while
    # a request's transaction is open
    with manager:
        dbsession = factory()
        dbsession.add(Note(text="own"))
        dbsession.execute(update(Note).values(text="still own"))
        dbsession.commit()
        dbsession.close()
        assert manager.get()._resources == []
        mark_changed(dbsession)  # no manager: nothing to tell
        assert manager.get()._resources == []
    assert count(engine) == 1


def test_a_plain_sessionmaker_still_joins(engine, manager):
    with manager:
        get_tm_session(sessionmaker(bind=engine), manager).add(Note(text="a"))
    assert count(engine) == 1


def test_the_listeners_are_not_added_per_session(factory, manager, monkeypatch):
    # zope.sqlalchemy.register() would add seven to each session: the cost this avoids
    added = []
    monkeypatch.setattr(event, "listen", lambda *args, **kw: added.append(args[1]))
    with manager:
        get_tm_session(factory, manager).add(Note(text="a"))
    assert added == []
