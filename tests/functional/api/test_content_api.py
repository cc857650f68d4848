"""The content API: read, create, update, trash, workflow, errors; checked against OpenAPI."""

from urllib.parse import quote

import pytest
from sqlalchemy import select

from kairan.audit.models import AuditEntry
from kairan.content.models import Node

ITEM = "/api/v1/content/{path}"


def node_at(dbsession, path):
    dbsession.expire_all()
    return dbsession.scalar(select(Node).where(Node.path == path))


def test_anonymous_reads_a_published_folder_with_visible_children(tree, api):
    response = api.get("/api/v1/content/news/", status=200)
    data = response.json
    assert data["type"] == "folder" and data["path"] == "/news/"
    assert [c["path"] for c in data["children"]] == ["/news/drill/"]
    assert data["fields"]["title_en"] == "News"
    assert "owner_id" not in data and "owner_id" not in data["fields"]


def test_root_is_readable(tree, api):
    data = api.get("/api/v1/content/", status=200).json
    assert data["path"] == "/" and data["parent_path"] is None


def test_title_follows_the_language(tree, api):
    data = api.get("/api/v1/content/news/drill/", headers={"Accept-Language": "en"},
                   status=200).json
    assert data["title"] == "Disaster drill"
    data = api.get("/api/v1/content/news/drill/", status=200).json
    assert data["title"] == "防災訓練のお知らせ"


def test_anonymous_gets_401_on_a_draft_and_404_on_nothing(tree, api):
    response = api.get("/api/v1/content/news/draft/", status=401)
    assert response.json["error"] == "unauthorized"
    assert "WWW-Authenticate" in response.headers
    response = api.get("/api/v1/content/news/nothing-here/", status=404)
    assert response.json["error"] == "not_found"


def test_member_is_forbidden_to_read_a_draft_or_create(tree, api, signed_in):
    signed_in("Member")
    assert api.get("/api/v1/content/news/draft/", status=403).json["error"] == "forbidden"
    response = api.post("/api/v1/content/news/", {"type": "page", "title": "x"}, status=403)
    assert response.json["error"] == "forbidden"


def test_editor_creates_a_page_with_sanitized_body(tree, api, signed_in, dbsession):
    signed_in("Editor")
    body = {"type": "page", "name": "bousai", "title": "防災マップ", "title_en": "Hazard map",
            "body": '<p onclick="x()">地図</p><script>alert(1)</script>'}
    response = api.post("/api/v1/content/news/", body, status=201)
    data = response.json
    assert data["path"] == "/news/bousai/" and data["state"] == "private"
    assert response.headers["Location"].endswith("/api/v1/content/news/bousai")
    node = node_at(dbsession, "/news/bousai/")
    assert node.title == "防災マップ" and "script" not in node.body and "onclick" not in node.body


def test_create_an_event_with_times(tree, api, signed_in, dbsession):
    signed_in("Editor")
    body = {"type": "event", "title": "夏祭り", "start": "2026-08-01T18:00:00+09:00",
            "end": "2026-08-01T21:00:00+09:00", "place": "中央公園"}
    data = api.post("/api/v1/content/news/", body, status=201).json
    assert data["fields"]["start"] == "2026-08-01T09:00:00Z"
    body["end"] = "2026-08-01T17:00:00+09:00"
    response = api.post("/api/v1/content/news/", body, status=422)
    assert "end" in response.json["fields"]


@pytest.mark.parametrize("extra", [{"state": "published"}, {"owner_id": 1}, {"id": 99},
                                   {"path": "/x/"}, {"published_at": "2020-01-01T00:00:00Z"}])
def test_mass_assignment_is_refused(tree, api, signed_in, dbsession, extra):
    signed_in("Editor")
    body = {"type": "page", "title": "ずる", **extra}
    response = api.post("/api/v1/content/news/", body, status=422)
    assert response.json["error"] == "invalid"
    assert set(response.json["fields"]) == set(extra)
    assert node_at(dbsession, "/news/page-4/") is None
    assert dbsession.scalar(select(Node).where(Node.title == "ずる")) is None


def test_validation_errors_name_the_fields_in_the_users_language(tree, api, signed_in):
    signed_in("Editor")
    response = api.post("/api/v1/content/news/", {"type": "page", "title": ""}, status=422)
    assert set(response.json["fields"]) == {"title"}
    response = api.post("/api/v1/content/news/?_LOCALE_=en",
                        {"type": "page", "title": 5}, status=422)
    assert response.json["fields"]["title"] == "This value has the wrong type."
    response = api.post("/api/v1/content/news/", {"type": "page", "title": 5}, status=422)
    assert response.json["fields"]["title"] != "This value has the wrong type."
    response = api.post("/api/v1/content/news/", {"type": "nope", "title": "x"}, status=422)
    assert "type" in response.json["fields"]
    response = api.post("/api/v1/content/news/", {"type": "link", "title": "x",
                                                  "url": "javascript:alert(1)"}, status=422)
    assert "url" in response.json["fields"]


def test_bad_json_and_wrong_shapes(tree, api, signed_in):
    signed_in("Editor")
    for raw in ("{bad", "[]", "3", "null", '"x"', "[" * 100_000, b"\xff\xfe"):
        response = api.call("POST", "/api/v1/content/news/", raw=raw, status=400,
                            template=ITEM)
        assert response.json["error"] == "invalid_json"


def test_unsafe_methods_need_the_csrf_header(tree, api, signed_in, dbsession):
    signed_in("Editor")
    response = api.call("POST", "/api/v1/content/news/", {"type": "page", "title": "x"},
                        csrf=False, status=400, template=ITEM)
    assert response.json["error"] == "csrf"
    response = api.call("DELETE", "/api/v1/content/news/drill/", csrf=False, status=400,
                        template=ITEM)
    assert node_at(dbsession, "/news/drill/").deleted_at is None


def test_patch_changes_only_the_given_fields(tree, api, signed_in, dbsession):
    signed_in("Editor")
    data = api.patch("/api/v1/content/news/drill/", {"title_en": "Fire drill"}, status=200).json
    assert data["fields"]["title_en"] == "Fire drill"
    node = node_at(dbsession, "/news/drill/")
    assert node.title == "防災訓練のお知らせ" and "防災訓練" in node.body
    response = api.patch("/api/v1/content/news/drill/", {"name": "renamed"}, status=422)
    assert "name" in response.json["fields"]
    response = api.patch("/api/v1/content/news/drill/", {"title": ""}, status=422)
    assert node_at(dbsession, "/news/drill/").title == "防災訓練のお知らせ"


def test_put_replaces_the_fields(tree, api, signed_in, dbsession):
    signed_in("Editor")
    api.put("/api/v1/content/news/drill/", {"title": "新しい題"}, status=200)
    node = node_at(dbsession, "/news/drill/")
    assert node.title == "新しい題"
    assert api.put("/api/v1/content/news/drill/", {"body": "x"}, status=422).json["fields"]


def test_delete_moves_to_the_trash(tree, api, signed_in, dbsession):
    signed_in("Editor")
    api.delete("/api/v1/content/news/drill/", status=204)
    assert node_at(dbsession, "/news/drill/").deleted_at is not None
    api.get("/api/v1/content/news/drill/", status=404)
    assert api.delete("/api/v1/content/", status=409).json["error"] == "refused"


def test_workflow_through_the_api_and_search_follows(tree, api, signed_in, testapp,
                                                     make_user, dbsession):
    signed_in("Editor")
    data = api.post("/api/v1/content/news/", {"type": "news", "title": "避難所の開設について",
                                              "name": "hinan"}, status=201).json
    url = "/api/v1/content/news/hinan/"
    names = [t["name"] for t in api.get(url + "@@transitions", status=200,
                                        template=ITEM + "/@@transitions").json["transitions"]]
    assert "submit" in names and "publish" not in names
    response = api.post(url + "@@transition", {"transition": "publish"}, status=403,
                        template=ITEM + "/@@transition")
    # the refusal is answered, not raised, so its audit entry is kept
    denials = dbsession.scalars(select(AuditEntry).where(AuditEntry.outcome != "success")).all()
    assert any("transition" in entry.action for entry in denials)
    data = api.post(url + "@@transition", {"transition": "submit"}, status=200,
                    template=ITEM + "/@@transition").json
    assert data["state"] == "pending"
    search_url = "/api/v1/search?q=" + quote("避難所")
    assert api.get(search_url, template="/api/v1/search").json["total"] == 0
    testapp.logout()
    reviewer = make_user(roles=("Reviewer",))
    testapp.login(reviewer.email)
    response = api.post(url + "@@transition", {"transition": "bogus"}, status=422,
                        template=ITEM + "/@@transition")
    assert "transition" in response.json["fields"]
    response = api.post(url + "@@transition", {"transition": "publish", "state": "x"},
                        status=422, template=ITEM + "/@@transition")
    data = api.post(url + "@@transition", {"transition": "publish"}, status=200,
                    template=ITEM + "/@@transition").json
    assert data["state"] == "published" and data["published_at"]
    results = api.get("/api/v1/search?q=" + quote("避難所"), template="/api/v1/search").json
    assert [r["path"] for r in results["results"]] == ["/news/hinan/"]
    assert results["results"][0]["title_html"] == "<mark>避難所</mark>の開設について"


def test_method_not_allowed_is_json(tree, api):
    response = api.call("OPTIONS", "/api/v1/content/news/", csrf=False, status="*")
    assert response.status_int in (404, 405)
    assert response.json["error"] in ("not_found", "method_not_allowed")


def test_text_no_database_can_store_is_refused(tree, api, signed_in, dbsession):
    signed_in("Editor")
    for raw in ('{"type": "page", "title": "a\\u0000b"}', '{"type": "page", "title": "\\ud800"}',
                '{"type": "page", "title": "x", "\\u0000": 1}'):
        response = api.call("POST", "/api/v1/content/news/", raw=raw, status=422, template=ITEM)
        assert response.json["error"] == "invalid"
    response = api.call("POST", "/api/v1/content/news/drill/@@transition",
                        raw='{"transition": "\\ud800"}', status=422)
    assert response.json["fields"] == {"transition": response.json["fields"]["transition"]}


def test_session_gives_the_csrf_token_to_signed_in_clients(tree, api, testapp, signed_in):
    response = api.get("/api/v1/session", template="/api/v1/session", status=401)
    assert response.json["error"] == "unauthorized"
    user = signed_in("Editor")
    response = api.get("/api/v1/session", template="/api/v1/session", status=200)
    assert response.json["user"]["id"] == user.id
    assert "no-store" in response.headers["Cache-Control"]
    token = response.json["csrf_token"]
    created = testapp.post("/api/v1/content/news/", '{"type": "page", "title": "トークン"}',
                           content_type="application/json", headers={"X-CSRF-Token": token},
                           status=201)
    assert created.json["title"] == "トークン"
