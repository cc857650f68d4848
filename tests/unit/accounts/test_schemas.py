"""The account schemas: unknown fields ignored, password rules on the right field."""

import colander
import pytest
from pyramid import testing
from pyramid.csrf import LegacySessionCSRFStoragePolicy

from kairan.accounts.schemas import (
    PasswordChangeSchema,
    ProfileSchema,
    RegisterSchema,
    UserRolesSchema,
)


@pytest.fixture
def request_():
    config = testing.setUp(settings={"kairan.site_title": "回覧板市",
                                     "kairan.locales": ["ja", "en"]})
    config.set_csrf_storage_policy(LegacySessionCSRFStoragePolicy())
    yield testing.DummyRequest()
    testing.tearDown()


GOOD = {"email": " Hanako@Example.JP ", "display_name": " 花子 ",
        "new_password": "kawa-no-nagare-ni", "confirm_password": "kawa-no-nagare-ni"}


def test_register_normalises_and_ignores_extra_fields(request_):
    data = RegisterSchema().bind(request=request_).deserialize(
        {**GOOD, "status": "active", "role": "Manager", "user_id": "1"})
    assert data["email"] == "hanako@example.jp" and data["display_name"] == "花子"
    assert set(data) <= {"email", "display_name", "new_password", "confirm_password",
                         "csrf_token"}


def test_register_password_errors_sit_on_their_fields(request_):
    schema = RegisterSchema().bind(request=request_)
    with pytest.raises(colander.Invalid) as e:
        schema.deserialize({**GOOD, "confirm_password": "something-else"})
    assert set(e.value.asdict()) == {"confirm_password"}
    with pytest.raises(colander.Invalid) as e:
        schema.deserialize({**GOOD, "new_password": "hanako-pass",
                            "confirm_password": "hanako-pass"})
    assert set(e.value.asdict()) == {"new_password"}
    with pytest.raises(colander.Invalid) as e:
        schema.deserialize({**GOOD, "email": "not-an-address"})
    assert "email" in e.value.asdict()


def test_password_change_knows_the_user(request_):
    user = testing.DummyResource(email="taro@example.jp", display_name="Taro")
    schema = PasswordChangeSchema().bind(request=request_, user=user)
    with pytest.raises(colander.Invalid) as e:
        schema.deserialize({"current_password": "x", "new_password": "i-am-taro-ok",
                            "confirm_password": "i-am-taro-ok"})
    assert set(e.value.asdict()) == {"new_password"}
    data = schema.deserialize({"current_password": "x", "new_password": "kawa-no-nagare",
                               "confirm_password": "kawa-no-nagare"})
    assert data["sign_out_others"] is False  # an unticked box is not sent by browsers


def test_profile_locale_must_be_offered(request_):
    schema = ProfileSchema().bind(request=request_)
    assert schema.deserialize({"display_name": "x", "locale": "en"})["locale"] == "en"
    with pytest.raises(colander.Invalid):
        schema.deserialize({"display_name": "x", "locale": "fr"})


def test_roles_must_be_declared(request_):
    schema = UserRolesSchema().bind(request=request_, role_titles={"Editor": "編集者"})
    assert schema.deserialize({"roles": ["Editor"]})["roles"] == {"Editor"}
    with pytest.raises(colander.Invalid):
        schema.deserialize({"roles": ["God"]})


def test_a_weak_password_is_reported_together_with_other_field_errors(request_):
    schema = RegisterSchema().bind(request=request_)
    with pytest.raises(colander.Invalid) as e:
        schema.deserialize({**GOOD, "display_name": "", "new_password": "short",
                            "confirm_password": "short"})
    assert {"display_name", "new_password"} <= set(e.value.asdict())
