"""kairan.content.services, called directly as the views and the API do."""

import pytest
from sqlalchemy import func, select

from kairan.audit.models import AuditEntry
from kairan.content import events
from kairan.content.models import Node, Revision
from kairan.content.services import (
    ContentError,
    ContentForbidden,
    available_transitions,
    copy,
    create_content,
    move,
    purge,
    reorder,
    restore,
    restore_revision,
    transition,
    trash,
    trashed_nodes,
    update_content,
)
from kairan.content.traversal import node_by_id
from kairan.security.permissions import Role


@pytest.fixture
def editor_request(content_request, make_user):
    return content_request(make_user(roles=(Role.EDITOR,)))


@pytest.fixture
def seen(registry):
    """Content events notified during the test."""
    got = []

    def subscriber(event):
        got.append(event)

    registry.registerHandler(subscriber, (events.ContentEvent,))
    yield got
    registry.unregisterHandler(subscriber, (events.ContentEvent,))


def test_create_sets_slug_path_owner_position_revision_event_audit(
        editor_request, dbsession, site, seen):
    guide = node_by_id(dbsession, site["guide"])
    page = create_content(editor_request, guide, "page",
                          {"title": "ごみの出し方", "title_en": "Garbage Days!",
                           "body": '<p onclick="x()">本文<script>alert(1)</script></p>',
                           "state": "published", "owner_id": 999})
    assert page.name == "garbage-days"
    assert page.path == "/guide/garbage-days/"
    assert page.owner_id == editor_request.user.id
    assert page.state == "private"  # mass assignment ignored
    assert page.position == 1  # after 'welcome'
    assert page.body == "<p>本文</p>"
    assert [type(e) for e in seen] == [events.ContentAdded]
    assert dbsession.scalar(select(func.count()).select_from(Revision)
                            .where(Revision.node_id == page.id)) == 1
    assert dbsession.scalar(select(AuditEntry.action).where(AuditEntry.target == page.path)) \
        == "content.add"


def test_generated_name_falls_back_to_type_and_id_and_stays_unique(editor_request, dbsession,
                                                                   site):
    guide = node_by_id(dbsession, site["guide"])
    first = create_content(editor_request, guide, "news", {"title": "お知らせ"})
    assert first.name == f"news-{first.id}"
    again = create_content(editor_request, guide, "page", {"title": "x", "title_en": "Welcome"})
    assert again.name == "welcome-2"
    with pytest.raises(ContentError) as info:
        create_content(editor_request, guide, "page", {"title": "x"}, name="welcome")
    assert info.value.field == "name"
    with pytest.raises(ContentError):
        create_content(editor_request, guide, "page", {"title": "x"}, name="Bad Name")


def test_root_names_claimed_by_routes_are_refused(editor_request, dbsession, site):
    root = node_by_id(dbsession, site["root"])
    with pytest.raises(ContentError) as info:
        create_content(editor_request, root, "folder", {"title": "x"}, name="manage")
    assert info.value.field == "name"


def test_create_refuses_wrong_container_and_missing_permission(content_request, make_user,
                                                               dbsession, site):
    member = content_request(make_user(roles=(Role.MEMBER,)))
    guide = node_by_id(dbsession, site["guide"])
    with pytest.raises(ContentForbidden):
        create_content(member, guide, "page", {"title": "x"})
    editor = content_request(make_user(roles=(Role.EDITOR,)))
    welcome = node_by_id(dbsession, site["welcome"])
    with pytest.raises(ContentError):
        create_content(editor, welcome, "page", {"title": "x"})  # a page is no container
    with pytest.raises(ContentError) as info:
        create_content(editor, guide, "page", {"title": "  "})
    assert info.value.field == "title"


def test_update_keeps_revisions_and_restore(editor_request, dbsession, site, seen):
    page = node_by_id(dbsession, site["welcome"])
    update_content(editor_request, page, {"title": "改訂", "body": "<p>二版</p>"}, "typo")
    update_content(editor_request, page, {"body": "<p>三版</p>"})
    numbers = list(dbsession.scalars(select(Revision.number).where(Revision.node_id == page.id)
                                     .order_by(Revision.number)))
    assert numbers == [1, 2]
    restore_revision(editor_request, page, 1)
    assert page.body == "<p>二版</p>"
    assert page.title == "改訂"
    assert [type(e) for e in seen] == [events.ContentModified] * 3
    with pytest.raises(ContentError):
        restore_revision(editor_request, page, 99)


def test_workflow_guards(content_request, make_user, dbsession, site, seen):
    editor = content_request(make_user(roles=(Role.EDITOR,)))
    reviewer = content_request(make_user(roles=(Role.REVIEWER,)))
    guide = node_by_id(dbsession, site["guide"])
    page = create_content(editor, guide, "page", {"title": "審査"})
    assert [t.name for t in available_transitions(editor, page)] == ["submit"]
    with pytest.raises(ContentForbidden):
        transition(editor, page, "publish")
    with pytest.raises(ContentError):
        transition(editor, page, "retract")  # not from 'private'
    transition(editor, page, "submit")
    assert page.state == "pending"
    assert [t.name for t in available_transitions(reviewer, page)] == ["publish", "reject"]
    transition(reviewer, page, "publish")
    assert page.state == "published" and page.published_at is not None
    assert isinstance(seen[-1], events.ContentStateChanged)
    assert seen[-1].old_state == "pending" and seen[-1].transition == "publish"
    denied = dbsession.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.outcome == "denied"))
    assert denied == 1


def test_trash_restore_and_purge_subtree(content_request, make_user, dbsession, site, seen):
    manager = content_request(make_user(roles=(Role.MANAGER,)))
    guide = node_by_id(dbsession, site["guide"])
    trash(manager, guide)
    dbsession.flush()
    welcome = dbsession.get(Node, site["welcome"])
    dbsession.refresh(welcome)
    assert welcome.deleted_at is not None  # the subtree went with it
    assert [n.id for n in trashed_nodes(dbsession)] == [site["guide"]]
    with pytest.raises(ContentError):
        restore(manager, welcome)  # its folder first
    restore(manager, guide)
    dbsession.refresh(welcome)
    assert welcome.deleted_at is None
    assert [type(e) for e in seen] == [events.ContentTrashed, events.ContentRestored]
    trash(manager, guide)
    purge(manager, guide)
    assert dbsession.get(Node, site["welcome"]) is None
    root = node_by_id(dbsession, site["root"])
    with pytest.raises(ContentError):
        trash(manager, root)


def test_move_rewrites_paths_and_copy_clones_subtree(content_request, make_user, dbsession,
                                                     site):
    manager = content_request(make_user(roles=(Role.MANAGER,)))
    guide = node_by_id(dbsession, site["guide"])
    draft = node_by_id(dbsession, site["draft"])
    move(manager, guide, draft)
    dbsession.expire_all()
    assert dbsession.get(Node, site["welcome"]).path == "/draft/guide/welcome/"
    guide = node_by_id(dbsession, site["guide"])
    with pytest.raises(ContentError):
        move(manager, node_by_id(dbsession, site["draft"]), guide)  # into its own child
    root = node_by_id(dbsession, site["root"])
    clone = copy(manager, guide, root)
    assert clone.path == "/guide/" and clone.state == "private"
    copied_page = dbsession.scalar(select(Node).where(Node.path == "/guide/welcome/"))
    assert copied_page is not None and copied_page.id != site["welcome"]
    again = copy(manager, guide, root)
    assert again.path == "/guide-2/"


def test_reorder_needs_every_child_once(editor_request, dbsession, site):
    root = node_by_id(dbsession, site["root"])
    reorder(editor_request, root, [site["draft"], site["guide"]])
    assert dbsession.get(Node, site["draft"]).position == 0
    with pytest.raises(ContentError):
        reorder(editor_request, root, [site["draft"]])
    with pytest.raises(ContentError):
        reorder(editor_request, root, ["x", site["guide"]])


def test_a_link_to_javascript_is_refused_even_without_the_schema(editor_request, dbsession,
                                                                 site):
    guide = node_by_id(dbsession, site["guide"])
    with pytest.raises(ContentError) as info:
        create_content(editor_request, guide, "link", {"title": "x", "url": "javascript:x()"})
    assert info.value.field == "url"


def _jpeg(width, height):
    import io

    from PIL import Image as PILImage

    out = io.BytesIO()
    PILImage.new("RGB", (width, height), (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def test_copies_share_blobs_and_purge_keeps_those_still_used(content_request, make_user,
                                                             dbsession, site):
    from kairan.content.models import Blob

    manager = content_request(make_user(roles=(Role.MANAGER,)))
    guide = node_by_id(dbsession, site["guide"])
    image = create_content(manager, guide, "image",
                           {"title": "写真", "upload": {"data": _jpeg(1600, 800),
                                                        "filename": "photo.jpg"}})
    assert image.mimetype == "image/jpeg" and (image.width, image.height) == (1600, 800)
    draft = node_by_id(dbsession, site["draft"])
    clone = copy(manager, image, draft)
    assert clone.blob_id == image.blob_id and clone.display_blob_id == image.display_blob_id
    trash(manager, image)
    purge(manager, image)
    assert dbsession.get(Blob, clone.blob_id) is not None
    trash(manager, clone)
    purge(manager, clone)
    assert dbsession.scalar(select(func.count()).select_from(Blob)) == 0


def test_replacing_a_file_keeps_the_old_one_in_history(editor_request, dbsession, site):
    guide = node_by_id(dbsession, site["guide"])
    document = create_content(editor_request, guide, "file",
                              {"title": "様式", "upload": {"data": b"v1", "filename": "a.txt"}})
    first_blob = document.blob_id
    update_content(editor_request, document, {"upload": {"data": b"v2", "filename": "b.txt"}})
    assert document.blob_id != first_blob and document.filename == "b.txt"
    update_content(editor_request, document, {"title": "様式（改）"})  # no upload: kept
    assert document.filename == "b.txt"
    restore_revision(editor_request, document, 1)
    assert document.blob_id == first_blob and document.filename == "a.txt"


def test_move_to_a_position_among_the_new_siblings(content_request, make_user, dbsession,
                                                   site):
    manager = content_request(make_user(roles=(Role.MANAGER,)))
    welcome = node_by_id(dbsession, site["welcome"])
    root = node_by_id(dbsession, site["root"])
    moved = move(manager, welcome, root, position=0)
    dbsession.expire_all()
    order = [n.name for n in dbsession.scalars(
        select(Node).where(Node.parent_id == site["root"]).order_by(Node.position))]
    assert order[0] == "welcome" and moved.path == "/welcome/"
