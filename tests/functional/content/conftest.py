"""Fixtures for the content tests: a small site, signing in without the sign-in form,
and a request object for calling the content services directly."""


import pytest
from pyramid.request import Request, apply_request_extensions
from pyramid.threadlocal import manager

from kairan.db.meta import utcnow
from kairan.testing import sign_in_directly


@pytest.fixture
def site(dbsession):
    """A root, a published folder 'guide' with a published page 'welcome', a private
    folder 'draft'; returned as a dict of ids by name."""
    from kairan.content.models import Folder, Page

    now = utcnow()

    def node(model, parent, name, title, state="published", position=0, **kw):
        path = "/" if parent is None else parent.path + name + "/"
        item = model(type=model.__mapper__.polymorphic_identity,
                     parent_id=None if parent is None else parent.id, name=name, path=path,
                     title=title, title_en=kw.pop("title_en", ""), state=state,
                     position=position, created=now, modified=now,
                     published_at=now if state == "published" else None, **kw)
        dbsession.add(item)
        dbsession.flush()
        return item

    root = node(Folder, None, "", "回覧板市", body="<p>ようこそ</p>")
    guide = node(Folder, root, "guide", "くらしの案内", title_en="Living guide")
    welcome = node(Page, guide, "welcome", "ようこそ", body="<p>本文です</p>")
    draft = node(Folder, root, "draft", "準備中の課", state="private", position=1)
    dbsession.commit()
    return {"root": root.id, "guide": guide.id, "welcome": welcome.id, "draft": draft.id}


sign_in = sign_in_directly


@pytest.fixture
def login(testapp, dbsession, make_user):
    """login(*roles) -> the user, signed in on ``testapp``."""

    def factory(*roles, email=None):
        user = make_user(email=email, roles=roles)
        sign_in(testapp, dbsession, user)
        return user

    return factory


@pytest.fixture
def content_request(registry, dbsession):
    """content_request(user) -> a request whose dbsession is the test's session."""
    made = []

    def factory(user=None):
        request = Request.blank("/", environ={"app.dbsession": dbsession,
                                              "REMOTE_ADDR": "192.0.2.1"})
        request.registry = registry
        apply_request_extensions(request)
        request.__dict__["user"] = user
        manager.push({"request": request, "registry": registry})
        made.append(request)
        return request

    yield factory
    for _request in made:
        manager.pop()
