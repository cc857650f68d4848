"""Scale-out proof: two server processes on one PostgreSQL behave as one site.

Nothing that matters lives in a process: a session created through one is
valid on the other, a sign-out through one ends it on both, and an edit made
through one (with the content API) is seen through the other at once, with
no process cache holding the old page.
"""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kairan.accounts.models import User, UserRole
from kairan.accounts.passwords import hash_password
from kairan.content.models import Folder, Page
from kairan.pagecache.services import bump_generation
from kairan.testing import TEST_PASSWORD
from tests.functional.scale.http import get, post, request

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

EMAIL = "scale-resident@example.jp"
EDITOR_EMAIL = "scale-editor@example.jp"
CSRF_FIELD = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


def add_user(engine, email, name, roles):
    now = datetime.now(UTC)
    with Session(engine) as session:
        user = User(email=email, display_name=name, status="active", created=now,
                    email_verified_at=now, password_hash=hash_password(TEST_PASSWORD))
        user.roles = [UserRole(role=role) for role in roles]
        session.add(user)
        session.commit()
        return user.id


@pytest.fixture(scope="module")
def resident(pg_engine):
    return add_user(pg_engine, EMAIL, "分散 太郎", ["Member"])


@pytest.fixture(scope="module")
def editor(pg_engine):
    return add_user(pg_engine, EDITOR_EMAIL, "広報 花子", ["Member", "Editor"])


def sign_in(port, email=EMAIL):
    """Sign in through the server on ``port``; return the browser's cookies."""
    page = get(port, "/login")
    assert page.status == 200, page.text[:500]
    cookies = page.cookies()
    token = CSRF_FIELD.search(page.text).group(1)
    reply = post(port, "/login", {"email": email, "password": TEST_PASSWORD,
                                  "csrf_token": token}, cookies=cookies)
    assert reply.status == 303, reply.text[:500]
    cookies.update(reply.cookies())
    assert cookies.get("kairan_session"), reply.headers
    return cookies


def test_both_processes_are_separate_and_healthy(servers):
    first, second = servers
    assert first.process.pid != second.process.pid
    for server in servers:
        assert get(server.port, "/healthz").status == 200


def test_a_session_from_one_process_is_valid_on_the_other(servers, resident):
    first, second = servers
    cookies = sign_in(first.port)
    anonymous = get(second.port, "/dashboard")
    assert anonymous.status in (302, 303)
    assert "/login" in anonymous.header("Location")

    signed_in = get(second.port, "/dashboard", cookies=cookies)
    assert signed_in.status == 200, signed_in.text[:500]
    assert "分散 太郎" in signed_in.text or "Sign out" in signed_in.text \
        or "ログアウト" in signed_in.text
    assert get(first.port, "/dashboard", cookies=cookies).status == 200


def test_a_sign_out_through_one_process_ends_the_session_on_both(servers, resident):
    first, second = servers
    cookies = sign_in(first.port)
    assert get(second.port, "/dashboard", cookies=cookies).status == 200
    page = get(second.port, "/dashboard", cookies=cookies)
    token = CSRF_FIELD.search(page.text).group(1)
    out = post(second.port, "/logout", {"csrf_token": token}, cookies=cookies)
    assert out.status in (302, 303), out.text[:500]
    # the old cookie, replayed on the process that signed it in, is anonymous now
    replay = get(first.port, "/dashboard", cookies={"kairan_session": cookies["kairan_session"]})
    assert replay.status in (302, 303)
    assert "/login" in replay.header("Location")


@pytest.fixture(scope="module")
def scale_page(pg_engine):
    now = datetime.now(UTC)
    with Session(pg_engine) as session:
        root = session.scalars(select(Folder).where(Folder.path == "/")).first()
        if root is None:
            root = Folder(name="", path="/", title="回覧板市", state="published", position=0,
                          created=now, modified=now, published_at=now)
            session.add(root)
            session.flush()
        page = Page(name="bunsan", path="/bunsan/", parent_id=root.id, position=0,
                    title="分散配置の確認（一）", body="<p>一台目の本文です。</p>",
                    state="published", created=now, modified=now, published_at=now)
        session.add(page)
        session.commit()
        return page.id


def test_an_edit_through_one_process_is_seen_through_the_other(servers, editor, scale_page,
                                                               pg_engine):
    first, second = servers
    for server in servers:  # both have served the old page once
        before = get(server.port, "/bunsan/")
        assert before.status == 200, before.text[:500]
        assert "分散配置の確認（一）" in before.text
    cookies = sign_in(first.port, EDITOR_EMAIL)
    edited = request(first.port, "PATCH", "/api/v1/content/bunsan/", cookies=cookies,
                     headers={"X-CSRF-Token": cookies["kairan_csrf"]},
                     json_body={"title": "分散配置の確認（二）"})
    assert edited.status == 200, edited.text[:500]
    after = get(second.port, "/bunsan/")
    assert "分散配置の確認（二）" in after.text
    assert "分散配置の確認（一）" not in after.text
    with Session(pg_engine) as session:
        assert session.get(Page, scale_page).title == "分散配置の確認（二）"


def test_a_database_change_is_seen_by_both_processes_at_once(servers, pg_engine, scale_page):
    for server in servers:  # both may hold the page in their page cache
        get(server.port, "/bunsan/")
    with Session(pg_engine) as session:
        session.execute(update(Page).where(Page.id == scale_page)
                        .values(title="分散配置の確認（三）", modified=datetime.now(UTC)))
        # a change made by hand says so, as `kairan cache clear` would
        bump_generation(session)
        session.commit()
    for server in servers:
        assert "分散配置の確認（三）" in get(server.port, "/bunsan/").text
