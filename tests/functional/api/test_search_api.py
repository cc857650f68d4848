"""Search through the API; the index follows content changes made through the services."""

from urllib.parse import quote

from sqlalchemy import text

from kairan.content.search.services import reindex_all


def found(api, query, locale="ja"):
    response = api.get("/api/v1/search?q=" + quote(query),
                       headers={"Accept-Language": locale}, template="/api/v1/search")
    return [r["path"] for r in response.json["results"]]


def test_edit_trash_and_retract_update_the_index(tree, api, editor, testapp, make_user):
    assert found(api, "防災") == ["/news/drill/"]
    api.patch("/api/v1/content/news/drill/", {"body": "<p>避難訓練を行います。</p>"},
              status=200)
    assert found(api, "防災") == ["/news/drill/"]  # still in the title
    assert found(api, "避難訓練") == ["/news/drill/"]
    api.patch("/api/v1/content/news/drill/", {"title_en": "Evacuation"}, status=200)
    assert found(api, "evacuation", "en") == ["/news/drill/"]
    api.delete("/api/v1/content/news/", status=204)
    assert found(api, "避難訓練") == []
    testapp.logout()
    reviewer = make_user(roles=("Manager",))
    testapp.login(reviewer.email)
    assert found(api, "避難訓練") == []


def test_a_failed_request_leaves_the_index_unchanged(tree, api, editor):
    api.patch("/api/v1/content/news/drill/", {"title": "", "body": "<p>新語</p>"}, status=422)
    assert found(api, "新語") == []


def test_reindex_all_rebuilds_from_the_tree(tree, dbsession):
    dbsession.execute(text("DELETE FROM search_fts"))
    dbsession.commit()
    assert reindex_all(dbsession) == 3  # root, news folder, drill (the draft is private)
    dbsession.commit()
    count = dbsession.execute(text("SELECT count(*) FROM search_fts")).scalar_one()
    assert count == 6  # one row per locale


def test_search_api_validates_parameters(tree, api):
    for query in ("page=0", "page=abc", "page_size=1000", "q=" + "x" * 201):
        response = api.get("/api/v1/search?" + query, template="/api/v1/search", status=422)
        assert response.json["error"] == "invalid"
    data = api.get("/api/v1/search", template="/api/v1/search", status=200).json
    assert data["total"] == 0 and data["results"] == []


def test_search_api_messages_follow_accept_language(tree, api):
    response = api.get("/api/v1/search?page=x", headers={"Accept-Language": "en-US,en"},
                       template="/api/v1/search", status=422)
    assert response.json["fields"]["page"] == "Give a whole number."
    response = api.get("/api/v1/search?page=x", template="/api/v1/search", status=422)
    assert response.json["fields"]["page"] == "整数で指定してください。"


def test_undecodable_query_strings_are_400_not_500(tree, testapp):
    for url in ("/search?q=%ff%fe", "/search?q=%ed%a0%80", "/?x=%c3"):
        response = testapp.get(url, status=400)
        assert "UTF-8" in response.text
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    response = testapp.get("/api/v1/search?q=%ff", status=400)
    assert response.json["error"] == "bad_request"
    assert testapp.get("/search?q=%00", status=200)
    assert testapp.get("/search?q=%E9%98%B2%E7%81%BD", status=200)
