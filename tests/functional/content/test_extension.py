"""``config.add_content_type`` and ``config.add_workflow`` as an add-on uses them."""

import colander
import pytest
from pyramid.exceptions import ConfigurationConflictError
from pyramid.response import Response
from sqlalchemy import select

from kairan.content.models import Node
from kairan.content.schemas import ContentSchema
from kairan.content.workflow import Transition, Workflow, WorkflowError
from kairan.security.permissions import Permission, Role

from .conftest import sign_in


class Notice(Node):
    """A type of the tests' own (single-table: it needs no table of its own)."""

    __mapper_args__ = {"polymorphic_identity": "test_notice"}


class NoticeSchema(ContentSchema):
    body = colander.SchemaNode(colander.String(), title="Body", missing="")


NOTICE_WORKFLOW = Workflow(
    name="test_notice_workflow",
    states={"private": "Private", "published": "Published"},
    transitions=(Transition("post", "Post", ("private",), "published", Permission.EDIT),
                 Transition("unpost", "Unpost", ("published",), "private", Permission.EDIT)),
)


def notice_view(context, request):
    return Response(f"NOTICE:{context.title}")


@pytest.fixture
def addon_app(kairan_settings, app_config):
    from kairan.config import configure

    config = configure(dict(kairan_settings), environ={})
    config.add_content_type("test_notice", Notice, "Notice", addable_to=("folder",),
                            schema=NoticeSchema)
    config.add_workflow(NOTICE_WORKFLOW, content_types=("test_notice",))
    config.add_view(notice_view, context=Notice, permission=Permission.VIEW)
    config.commit()
    yield config.make_wsgi_app()
    config.registry["db_engine"].dispose()


@pytest.fixture
def addon_testapp(addon_app, clean_db):
    from kairan.testing import KairanTestApp

    return KairanTestApp(addon_app, extra_environ={"REMOTE_ADDR": "192.0.2.10",
                                                   "HTTP_HOST": "localhost"})


def test_a_registered_type_is_addable_rendered_and_uses_its_workflow(
        addon_testapp, dbsession, site, make_user):
    sign_in(addon_testapp, dbsession, make_user(roles=(Role.EDITOR,)))
    choose = addon_testapp.get("/guide/@@add")
    assert "@@add?type=test_notice" in choose.text
    addon_testapp.get("/guide/@@add?type=test_notice")
    addon_testapp.post("/guide/@@add", {"csrf_token": addon_testapp.cookies["kairan_csrf"],
                                        "type": "test_notice", "title": "断水のお知らせ",
                                        "name": "water", "save": "1"}, status=303)
    node = dbsession.scalar(select(Node).where(Node.path == "/guide/water/"))
    assert node.type == "test_notice"
    assert "NOTICE:断水のお知らせ" in addon_testapp.get("/guide/water/").text
    addon_testapp.post("/guide/water/@@transition",
                       {"csrf_token": addon_testapp.cookies["kairan_csrf"], "name": "post"},
                       status=303)
    dbsession.expire_all()
    assert dbsession.get(Node, node.id).state == "published"


def test_two_types_with_one_name_conflict(kairan_settings, app_config):
    from kairan.config import configure

    config = configure(dict(kairan_settings), environ={})
    try:
        config.add_content_type("test_notice", Notice, "Notice", addable_to=("folder",))
        config.add_content_type("test_notice", Notice, "Notice again", addable_to=("folder",))
        with pytest.raises(ConfigurationConflictError) as info:
            config.commit()
        assert "test_notice" in str(info.value)
    finally:
        config.registry["db_engine"].dispose()


def includeme(config):
    """This module as an add-on that claims the core's 'page' type name."""
    from kairan.content.models import Page

    config.add_content_type("page", Page, "Another page")


def test_an_addon_claiming_a_core_type_name_fails_at_start_up(kairan_settings, app_config):
    from kairan.config import configure

    settings = dict(kairan_settings, **{"kairan.addons": __name__})
    with pytest.raises(ConfigurationConflictError) as info:
        configure(settings, environ={})
    assert "kairan.content_type" in str(info.value) and "page" in str(info.value)


def test_an_inconsistent_workflow_fails_at_start_up(kairan_settings, app_config):
    from kairan.config import configure

    broken = Workflow(name="broken", states={"private": "P", "published": "Pub"},
                      transitions=(Transition("go", "Go", ("private",), "archived",
                                              Permission.EDIT),))
    config = configure(dict(kairan_settings), environ={})
    try:
        with pytest.raises(WorkflowError, match="archived"):
            config.add_workflow(broken)
    finally:
        config.registry["db_engine"].dispose()


def test_a_model_that_is_not_a_node_is_refused(kairan_settings, app_config):
    from kairan.config import configure

    config = configure(dict(kairan_settings), environ={})
    try:
        with pytest.raises(TypeError):
            config.add_content_type("thing", object, "Thing")
        with pytest.raises(ValueError):
            config.add_content_type("not_notice", Notice, "Mismatch")
    finally:
        config.registry["db_engine"].dispose()
