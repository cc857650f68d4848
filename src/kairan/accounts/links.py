"""Links that add-ons put on the account pages: ``config.add_account_link``.

A resident's own account page lists links such as "Sign-in security"
(kind ``"account"``); a manager's page about one user lists links such as
"Reset second factors" (kind ``"manage_user"``, the route gets ``user_id``).
Two add-ons claiming one name fail at start-up.
"""

from dataclasses import dataclass

from zope.interface import Interface

KINDS = ("account", "manage_user")


class IAccountLink(Interface):
    """Marker for the registry's account links (see ``add_account_link``)."""


@dataclass(frozen=True)
class AccountLink:
    name: str
    route_name: str
    title: str  # translatable
    kind: str = "account"
    order: int = 100
    permission: str | None = None  # checked on the request's context; None: everyone


def add_account_link(config, name, route_name, title, kind="account", order=100,
                     permission=None):
    """Directive: list ``route_name`` under ``title`` on the account pages of ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"account link {name!r}: kind must be one of {KINDS}")
    link = AccountLink(name, route_name, title, kind, order, permission)

    def register():
        config.registry.registerUtility(link, IAccountLink, name=name)

    config.action(("kairan.account_link", name), register)


def account_links(request, kind="account", **route_kw):
    """[(url, title)] of the links of ``kind`` the user may follow, in order."""
    links = sorted((link for _name, link in request.registry.getUtilitiesFor(IAccountLink)
                    if link.kind == kind), key=lambda link: (link.order, link.name))
    return [(request.route_path(link.route_name, **route_kw), link.title) for link in links
            if link.permission is None or request.has_permission(link.permission)]
