"""An unexpected error shows a plain page without a stack trace and commits nothing."""

from sqlalchemy import select

from kairan.audit.models import AuditEntry


def test_an_unexpected_error_is_plain_and_commits_nothing(stepup_app, dbsession, make_user):
    make_user(email="taro@example.jp")
    stepup_app.login("taro@example.jp")
    response = stepup_app.post_form("/test/boom", {}, status=500)
    assert "エラーが発生しました" in response.text
    for leak in ("Traceback", "RuntimeError", "secret-internal-detail", "stepup_fixture"):
        assert leak not in response.text
    assert "object-src 'none'" in response.headers["Content-Security-Policy"]
    dbsession.expire_all()
    assert dbsession.scalars(select(AuditEntry).where(AuditEntry.action == "test.boom")).all() \
        == []


def test_an_unexpected_api_error_is_plain_json(stepup_app, dbsession, make_user):
    make_user(email="taro@example.jp")
    stepup_app.login("taro@example.jp")
    response = stepup_app.post_form("/test/boom", {}, headers={"Accept": "application/json"},
                                    status=500)
    assert response.json["error"] == 500 and response.json["message"]
    assert "secret-internal-detail" not in response.text
