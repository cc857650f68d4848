"""The browser harness itself: Chromium starts, our pages load, axe runs."""


def test_not_found_page_renders_and_is_accessible(live_server, page, assert_accessible):
    response = page.goto(live_server.url + "/no-such-page")
    assert response.status == 404
    assert page.locator("h1").count() == 1
    # the skip link is the first focusable element and targets the main region
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    assert_accessible(page)
