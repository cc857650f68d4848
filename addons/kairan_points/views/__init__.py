"""The wallet's and the operators' pages.

``/points``: the signed-in resident's own wallets and history; nobody else's
transfer is ever found (404). ``/manage/points``: operators (and managers)
with the permission ``points.operate`` on ``PointsManagement``; grants,
corrections and approvals also need the protected action ``points.grant``.
"""

from pyramid.authorization import Allow

from kairan.security.permissions import SITE_ACL, Role, role_principal

OPERATE = "points.operate"


class PointsManagement:
    """The context of the operators' points pages: operators may operate the wallet."""

    __name__ = ""
    __parent__ = None
    __acl__ = [(Allow, role_principal(Role.OPERATOR), OPERATE), *SITE_ACL]

    def __init__(self, request=None):
        self.request = request


def matched_id(request, limit=2**31 - 1):
    """The route's ``{id}`` as an int; an id no row can have is a 404, not a database error."""
    from pyramid.httpexceptions import HTTPNotFound

    raw = request.matchdict["id"]
    if len(raw) > 12 or int(raw) > limit or int(raw) < 1:
        raise HTTPNotFound()
    return int(raw)


def includeme(config):
    manage = PointsManagement
    config.add_route("points.wallet", "/points")
    config.add_route("points.transfer", "/points/transfers/{id:\\d+}")
    config.add_route("points.manage", "/manage/points", factory=manage)
    config.add_route("points.programme_add", "/manage/points/programmes/new", factory=manage)
    config.add_route("points.programme_edit", "/manage/points/programmes/{id:\\d+}/edit",
                     factory=manage)
    config.add_route("points.grant", "/manage/points/grant", factory=manage)
    config.add_route("points.correct", "/manage/points/correct", factory=manage)
    config.add_route("points.approvals", "/manage/points/approvals", factory=manage)
    config.add_route("points.decide", "/manage/points/approvals/{id:\\d+}", factory=manage)
    config.scan("kairan_points.views")
