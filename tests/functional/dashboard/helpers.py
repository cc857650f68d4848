"""Signing in without the sign-in form, shared by the dashboard, export and KPI tests."""


from kairan.testing import sign_in_directly

sign_in = sign_in_directly


def login_fixture(testapp, dbsession, make_user):
    def factory(*roles, email=None, display_name=None):
        user = make_user(email=email, roles=roles, display_name=display_name)
        return sign_in(testapp, dbsession, user)

    return factory
