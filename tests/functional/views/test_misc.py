"""Language switch, health check, robots.txt."""

from kairan.i18n.translation import LOCALE_COOKIE


def test_language_switch_sets_a_cookie_and_returns(testapp):
    response = testapp.get("/language/en", params={"came_from": "/search?q=x"}, status=303)
    assert response.location == "http://localhost/search?q=x"
    assert testapp.cookies[LOCALE_COOKIE] == "en"
    page = testapp.get("/no-such-page", status=404)
    assert '<html lang="en"' in page.text


def test_language_switch_refuses_an_open_redirect(testapp):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = testapp.get("/language/en", params={"came_from": target}, status=303)
        assert response.location.startswith("http://localhost/")
        assert "evil.example" not in response.location


def test_unknown_language_changes_nothing(testapp):
    testapp.get("/language/xx", status=303)
    assert LOCALE_COOKIE not in testapp.cookies
    assert '<html lang="ja"' in testapp.get("/no-such-page", status=404).text


def test_health_check_touches_the_database(testapp):
    assert testapp.get("/healthz").json == {"status": "ok"}


def test_robots_txt_points_at_the_sitemap(testapp):
    response = testapp.get("/robots.txt")
    assert response.content_type == "text/plain"
    assert "Sitemap: http://localhost/sitemap.xml" in response.text
    assert "Disallow: /manage/" in response.text
