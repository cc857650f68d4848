"""Permissions, roles and the site-wide ACL.

Views name a ``Permission``; resources carry ACLs that grant permissions to
principals; the policy decides. Roles are principals of the form
``role:<Name>``, granted globally (``user_roles``) or locally on a folder.
"""

from enum import StrEnum

from pyramid.authorization import ALL_PERMISSIONS, Allow, Authenticated


class Permission(StrEnum):
    VIEW = "view"  # see a piece of content
    MEMBER = "member"  # the signed-in resident's own pages
    ADD = "add"
    EDIT = "edit"
    DELETE = "delete"
    REVIEW = "review"  # publish, reject, retract
    VIEW_DRAFTS = "view_drafts"
    MANAGE = "manage"  # trash, site settings
    MANAGE_USERS = "manage_users"
    EXPORT = "export"
    VIEW_KPI = "view_kpi"
    VIEW_AUDIT = "view_audit"
    ACT_FOR_RESIDENT = "act_for_resident"


class Role(StrEnum):
    MEMBER = "Member"
    EDITOR = "Editor"
    REVIEWER = "Reviewer"
    OPERATOR = "Operator"
    MANAGER = "Manager"


CORE_ROLES = {
    Role.MEMBER: "住民 (Member)",
    Role.EDITOR: "編集者 (Editor)",
    Role.REVIEWER: "承認者 (Reviewer)",
    Role.OPERATOR: "運用担当 (Operator)",
    Role.MANAGER: "管理者 (Manager)",
}


def role_principal(role) -> str:
    return f"role:{role}"


def user_principal(user_id) -> str:
    return f"user:{user_id}"


EDITOR_PERMISSIONS = [
    Permission.VIEW,
    Permission.VIEW_DRAFTS,
    Permission.ADD,
    Permission.EDIT,
    Permission.DELETE,
]

# Checked last, at the top of every lineage: the grants that hold everywhere
# unless a resource denies them first.
SITE_ACL = [
    (Allow, Authenticated, Permission.MEMBER),
    (Allow, role_principal(Role.EDITOR), EDITOR_PERMISSIONS),
    (Allow, role_principal(Role.REVIEWER), [Permission.VIEW, Permission.VIEW_DRAFTS,
                                            Permission.REVIEW]),
    (Allow, role_principal(Role.OPERATOR), [Permission.EXPORT, Permission.VIEW_KPI,
                                            Permission.ACT_FOR_RESIDENT]),
    (Allow, role_principal(Role.MANAGER), ALL_PERMISSIONS),
]


class SiteRoot:
    """The context of every non-content route: carries only the site ACL."""

    __name__ = ""
    __parent__ = None
    __acl__ = SITE_ACL

    def __init__(self, request=None):
        self.request = request


def site_root_factory(request):
    return SiteRoot(request)
