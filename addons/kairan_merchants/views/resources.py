"""Route factories: the screening pages' ACL and one merchant's pages' ACL."""

from pyramid.authorization import Allow

from kairan.security.permissions import Role, SiteRoot, role_principal
from kairan_merchants.interfaces import SCREEN_PERMISSION, IMerchantDirectory


class ScreeningRoot(SiteRoot):
    """Operators screen applications and suspend merchants (Managers hold every permission
    through the site ACL behind this one)."""

    __name__ = "merchants-screening"

    def __init__(self, request=None):
        super().__init__(request)
        self.__parent__ = SiteRoot(request)
        self.__acl__ = [(Allow, role_principal(Role.OPERATOR), SCREEN_PERMISSION)]


def screening_root(request):
    return ScreeningRoot(request)


def merchant_context(request):
    """The merchant of ``{merchant_id}``; its ACL lets only its staff in. A merchant that
    does not exist still gets a context (with no grants), so a visitor is sent to sign in
    and a signed-in stranger is refused alike, whether or not the id exists."""
    directory = request.registry.getUtility(IMerchantDirectory)
    return directory.context_for(request, int(request.matchdict["merchant_id"]))
