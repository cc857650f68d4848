"""What an add-on declares shows up in the core's account screens, without core changes."""

from sqlalchemy import select

from kairan.accounts.models import User


def test_an_addon_role_can_be_granted_in_the_user_admin(stepup_app, dbsession, make_user):
    make_user(email="boss@example.jp", roles=("Manager",))
    user = make_user(email="driver@example.jp")
    stepup_app.login("boss@example.jp")
    page = stepup_app.get(f"/manage/users/{user.id}")
    assert "運転手 (TestDriver)" in page.text
    stepup_app.post(f"/manage/users/{user.id}/roles",
                    [("csrf_token", stepup_app.csrf_token()), ("__start__", "roles:sequence"),
                     ("checkbox", "TestDriver"), ("__end__", "roles:sequence")], status=303)
    dbsession.expire_all()
    assert dbsession.scalar(select(User).where(User.id == user.id)).role_names == ["TestDriver"]


def test_an_addon_section_is_in_download_my_data(stepup_app, make_user):
    make_user(email="taro@example.jp")
    stepup_app.login("taro@example.jp")
    data = stepup_app.post_form("/account/my-data.json", {}).json
    assert data["test_points"] == {"balance": 42, "owner": "taro@example.jp"}
    assert {"account", "roles", "sessions", "audit"} <= set(data)
