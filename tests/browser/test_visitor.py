"""A visitor browses the demo city and searches it, in Chromium, on a phone-sized screen."""


def test_visitor_browses_navigation_and_breadcrumbs(live_server, page, assert_accessible):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert_accessible(page)
    menu = page.get_by_role("navigation", name="メインメニュー")
    first = menu.get_by_role("link").first
    section = first.inner_text()
    first.click()
    page.wait_for_load_state()
    assert page.locator("h1").first.inner_text().strip() == section.strip()
    assert page.get_by_role("navigation", name="パンくずリスト").count() == 1
    assert_accessible(page)


def test_visitor_searches_a_word_in_the_middle_of_a_sentence(live_server, page,
                                                             assert_accessible):
    page.goto(live_server.url + "/")
    page.get_by_label("サイト内検索").first.fill("防災")
    page.get_by_label("サイト内検索").first.press("Enter")
    page.wait_for_url("**/search?**")
    results = page.locator("main mark")
    assert results.count() >= 1
    assert "防災" in results.first.inner_text()
    assert_accessible(page)


def test_visitor_reads_english_or_is_told_it_is_missing(live_server, page):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="English").first.click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Sign in").count() >= 1
