"""Every form of the points add-on that a browser posts carries the CSRF token, and its
page passes axe and fits a 390 px phone.

WebTest's ``post_form`` adds the token from the cookie by itself, so a form rendered
without its ``csrf_token`` field passes the functional tests while every real browser's
POST is refused (400 Bad CSRF token). Only a browser sees it.
"""

import pytest

from tests.addons.kairan_points.browser.helpers import (
    OPERATOR,
    RESIDENT,
    assert_fits_phone,
    sign_in_as,
)

pytestmark = pytest.mark.browser

RESIDENT_FORMS = ("/points/checkin",)
OPERATOR_FORMS = ("/manage/points/programmes/new", "/manage/points/grant",
                  "/manage/points/correct", "/manage/points/activities/new",
                  "/manage/points/campaigns/new")


def test_every_posted_form_carries_its_csrf_token(live_server, page, assert_accessible):
    missing = []
    for email, level, paths in ((RESIDENT, 1, RESIDENT_FORMS), (OPERATOR, 2, OPERATOR_FORMS)):
        sign_in_as(page.context, live_server, email, level=level)
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            assert_accessible(page)
            assert_fits_phone(page)
            forms = page.locator("main form[method=post], main form[method=POST]")
            assert forms.count() >= 1, path
            for index in range(forms.count()):
                if forms.nth(index).locator("input[name=csrf_token]").count() != 1:
                    missing.append(path)
    assert missing == [], f"forms without their csrf_token field: {missing}"
