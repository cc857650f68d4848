"""An editor writes a page, previews and submits it; a reviewer publishes it."""

from .conftest import demo_password


def sign_in(page, live_server, role):
    user = demo_password(role)
    page.goto(live_server.url + "/login")
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード").fill(user.password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def sign_out(page):
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_load_state()


def test_editor_creates_previews_submits_and_reviewer_publishes(live_server, browser_context,
                                                                 assert_accessible):
    page = browser_context.new_page()
    sign_in(page, live_server, "Editor")
    page.goto(live_server.url + "/kurashi/@@add?type=page")
    assert_accessible(page)
    page.get_by_label("タイトル（日本語）").fill("ごみ出しカレンダーのお知らせ")
    page.get_by_label("本文（日本語、HTML）").fill(
        "<p>来月から<strong>燃えるごみ</strong>の収集日が変わります。</p>"
        "<script>alert('x')</script>"
    )
    page.get_by_role("button", name="プレビュー").click()
    page.wait_for_load_state()
    preview = page.locator(".preview")
    assert "燃えるごみ" in preview.inner_text()
    assert preview.locator("script").count() == 0
    assert_accessible(page)
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    url = page.url
    assert "ごみ出しカレンダーのお知らせ" in page.locator("h1").first.inner_text()
    page.get_by_role("button", name="審査を依頼する").click()
    page.wait_for_load_state()
    assert_accessible(page)
    sign_out(page)

    anonymous = browser_context.new_page()
    response = anonymous.goto(url)
    assert "/login" in anonymous.url or response.status in (403, 404)
    anonymous.close()

    sign_in(page, live_server, "Reviewer")
    page.goto(url)
    page.get_by_role("button", name="公開する").click()
    page.wait_for_load_state()
    sign_out(page)

    response = page.goto(url)
    assert response.status == 200
    assert "燃えるごみ" in page.locator("main").inner_text()
    assert_accessible(page)
