"""Kairan's Pyramid 2 security policy.

Identity comes from the server-side session; permissions come from ACLs on
the context's lineage, checked against the principals: Everyone, and for a
signed-in user Authenticated, ``user:<id>``, the global roles and the local
roles granted on any node of the context's lineage.
"""

from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.interfaces import ISecurityPolicy
from pyramid.location import lineage
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from zope.interface import implementer

from kairan.security.models import LocalRole
from kairan.security.permissions import role_principal, user_principal


def get_user(request):
    """The signed-in, active user, or None. Reified as ``request.user``."""
    from kairan.accounts.models import User

    session = request.session
    user_id = session.user_id
    if user_id is None:
        return None
    user = getattr(session, "loaded_user", None)
    if user is None or user.id != user_id:
        # signed in during this request: the user and its roles in one statement
        # (the roles are read by every permission check; the relationship's own
        # "selectin" would be a second round trip)
        user = request.dbsession.get(User, user_id, options=[joinedload(User.roles)])
    if user is None or not user.is_active:
        return None
    return user


def local_roles(request, context, user_id):
    node_ids = [n.id for n in lineage(context) if getattr(n, "__local_roles__", False)]
    if not node_ids:
        return set()
    rows = request.dbsession.scalars(
        select(LocalRole.role).where(LocalRole.node_id.in_(node_ids), LocalRole.user_id == user_id)
    )
    return set(rows)


def principals_for(request, context):
    user = request.user
    if user is None:
        return [Everyone]
    roles = set(user.role_names) | local_roles(request, context, user.id)
    return [Everyone, Authenticated, user_principal(user.id)] + [
        role_principal(role) for role in sorted(roles)
    ]


@implementer(ISecurityPolicy)
class KairanSecurityPolicy:
    def __init__(self):
        self.helper = ACLHelper()

    def identity(self, request):
        return request.user

    def authenticated_userid(self, request):
        user = request.user
        return user.id if user is not None else None

    def permits(self, request, context, permission):
        return self.helper.permits(context, principals_for(request, context), permission)

    def remember(self, request, userid, factor="pwd", level=1, **kw):
        request.session.sign_in(userid, factor=factor, level=level, **kw)
        return []

    def forget(self, request, **kw):
        request.session.invalidate()
        return []
