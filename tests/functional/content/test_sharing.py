"""Local roles: an editor of one department's folder edits there and nowhere else."""

from sqlalchemy import select

from kairan.audit.models import AuditEntry
from kairan.content.models import Node
from kairan.security.models import LocalRole
from kairan.security.permissions import Role

from .conftest import sign_in


def test_manager_grants_a_folder_role_and_the_editor_works_only_there(
        testapp, dbsession, site, login, make_user):
    clerk = make_user(email="clerk@city.example.jp", roles=(Role.MEMBER,))
    login(Role.MANAGER)
    page = testapp.get("/draft/@@sharing")
    assert 'for="share-email"' in page.text
    csrf = testapp.cookies["kairan_csrf"]
    response = testapp.post("/draft/@@sharing", {"csrf_token": csrf, "email": "nobody@x.jp",
                                                 "role": "Editor"}, status=400)
    assert 'aria-describedby="share-error"' in response.text
    testapp.post("/draft/@@sharing", {"csrf_token": csrf, "email": "clerk@city.example.jp",
                                      "role": "Manager"}, status=400)  # not sharable
    testapp.post("/draft/@@sharing", {"csrf_token": csrf, "email": "Clerk@City.example.jp",
                                      "role": "Editor"}, status=303)
    assert dbsession.scalar(select(LocalRole.role).where(LocalRole.user_id == clerk.id)) \
        == "Editor"
    assert "content.share" in dbsession.scalars(select(AuditEntry.action)).all()

    testapp.reset()
    sign_in(testapp, dbsession, clerk)
    testapp.get("/draft/@@edit", status=200)
    testapp.get("/draft/@@add?type=page", status=200)
    testapp.post("/draft/@@add", {"csrf_token": testapp.cookies["kairan_csrf"],
                                  "type": "page", "title": "課のお知らせ", "name": "notice",
                                  "save": "1"}, status=303)
    testapp.get("/draft/notice/@@edit", status=200)  # below the folder too
    testapp.get("/guide/@@edit", status=403)
    testapp.get("/guide/welcome/@@edit", status=403)
    testapp.get("/@@sharing", status=403)
    # an editor may not publish: that needs a reviewer
    testapp.post("/draft/notice/@@transition", {"csrf_token": testapp.cookies["kairan_csrf"],
                                                "name": "publish"}, status=403)


def test_manager_removes_a_local_role(testapp, dbsession, site, login, make_user):
    clerk = make_user(email="clerk@city.example.jp")
    dbsession.add(LocalRole(node_id=site["draft"], user_id=clerk.id, role="Reviewer"))
    dbsession.commit()
    login(Role.MANAGER)
    page = testapp.get("/draft/@@sharing")
    assert "clerk@city.example.jp" in page.text
    testapp.post("/draft/@@sharing", {"csrf_token": testapp.cookies["kairan_csrf"],
                                      "user_id": str(clerk.id), "role": "Reviewer",
                                      "remove": "1"}, status=303)
    assert dbsession.scalar(select(LocalRole)) is None
    assert "content.unshare" in dbsession.scalars(select(AuditEntry.action)).all()


def test_editor_cannot_open_sharing(testapp, site, login):
    login(Role.EDITOR)
    testapp.get("/draft/@@sharing", status=403)


def test_owner_can_edit_own_private_item(testapp, dbsession, site, login):
    user = login(Role.MEMBER)
    node = dbsession.get(Node, site["welcome"])
    node.owner_id = user.id
    dbsession.commit()
    testapp.get("/guide/welcome/@@edit", status=200)
    testapp.get("/draft/@@edit", status=403)
