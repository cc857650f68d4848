"""Signing in without the sign-in form, shared by the dashboard, export and KPI tests."""

import secrets
from datetime import timedelta

from kairan.db.meta import utcnow


def sign_in(testapp, dbsession, user):
    """Give ``testapp`` a live session for ``user``, as the sign-in form would."""
    from kairan.security.models import AuthSession
    from kairan.security.sessions import token_hash

    token = secrets.token_urlsafe(32)
    now = utcnow()
    dbsession.add(AuthSession(id=token_hash(token), user_id=user.id, created=now,
                              last_seen=now - timedelta(seconds=1),
                              factors={"pwd": {"level": 1, "at": now.isoformat()}}, data={}))
    dbsession.commit()
    testapp.set_cookie("kairan_session", token)
    return user


def login_fixture(testapp, dbsession, make_user):
    def factory(*roles, email=None, display_name=None):
        user = make_user(email=email, roles=roles, display_name=display_name)
        return sign_in(testapp, dbsession, user)

    return factory
