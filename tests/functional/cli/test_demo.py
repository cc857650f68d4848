"""``kairan demo``: the demo city, idempotent, with users who can sign in."""

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, with_polymorphic

from kairan.accounts.models import User
from kairan.accounts.passwords import password_problems, verify_password
from kairan.content.models import Event, Link, News, Node
from kairan.demo.services import DEMO_USERS, JST


def counts(engine):
    with Session(engine) as session:
        return (session.scalar(select(func.count()).select_from(Node)),
                session.scalar(select(func.count()).select_from(User)))


def test_demo_loads_once_and_prints_the_users_every_time(kairan, cli_engine):
    first = kairan("demo")
    assert "demo city loaded" in first.output
    after_first = counts(cli_engine)
    second = kairan("demo")
    assert "nothing changed" in second.output
    assert counts(cli_engine) == after_first
    for output in (first.output, second.output):
        for user in DEMO_USERS:
            assert f"{user.email}  {user.password}" in output or (
                user.email in output and user.password in output)


def test_demo_users_have_every_role_and_their_passwords_work(kairan, cli_engine):
    kairan("demo")
    with Session(cli_engine) as session:
        for demo in DEMO_USERS:
            user = session.scalars(select(User).where(User.email == demo.email)).one()
            assert user.status == "active"
            assert demo.role in user.role_names
            assert verify_password(user.password_hash, demo.password)
            words = (demo.email, demo.email.split("@")[0], demo.display_name, "回覧板市")
            assert password_problems(demo.password, words) == []


def test_demo_content_tree(kairan, cli_engine):
    kairan("demo")
    with Session(cli_engine) as session:
        poly = with_polymorphic(Node, "*")
        nodes = {n.path: n for n in session.scalars(select(poly))}
    for folder in ("/", "/kurashi/", "/kosodate/", "/kenko/", "/bosai/", "/kanko/",
                   "/oshirase/"):
        assert nodes[folder].type == "folder"
        assert nodes[folder].state == "published"
    news = [n for n in nodes.values() if isinstance(n, News) and n.state == "published"]
    assert len(news) >= 8
    events = [n for n in nodes.values() if isinstance(n, Event)]
    assert len(events) >= 5
    assert all(e.start.tzinfo is not None and e.end > e.start and e.place for e in events)
    # a 09:00 start in Japan is stored as 00:00 UTC
    drill = nodes["/kanko/bosai-kunren-2/"]
    assert drill.start.astimezone(UTC).hour == 0
    assert drill.start.astimezone(JST).weekday() == 6  # a drill for everyone: on a Sunday
    assert any(isinstance(n, Link) for n in nodes.values())
    assert {n.state for n in nodes.values()} == {"published", "private", "pending"}
    with_english = [n for n in nodes.values() if n.body_en]
    without_english = [n for n in nodes.values() if n.body and not n.body_en]
    assert with_english and without_english
    parents = {n.id: n.path for n in nodes.values()}
    for node in nodes.values():
        if node.path != "/":
            assert node.path == parents[node.parent_id] + node.name + "/"
    assert all(n.published_at <= datetime.now(UTC) for n in news)


def test_search_finds_a_word_in_the_middle_of_a_japanese_sentence(kairan, cli_engine):
    from kairan.content.search.services import search

    kairan("demo")
    with Session(cli_engine) as session:
        found = search(session, "防災", locale="ja")
    paths = [hit.path for hit in found.hits]
    assert "/oshirase/bosai-kunren/" in paths
    # a word from the middle of a body sentence only
    with Session(cli_engine) as session:
        body_hits = [hit.path for hit in search(session, "開設・運営訓練", locale="ja").hits]
    assert "/oshirase/bosai-kunren/" in body_hits


def test_the_demo_is_refused_in_production(kairan):
    import pytest

    from kairan.demo.services import DemoRefused, load_demo

    with pytest.raises(DemoRefused):
        load_demo(None, {"kairan.production": True})
