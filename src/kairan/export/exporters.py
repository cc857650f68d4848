"""The core's own exporters, registered through ``add_exporter`` like any add-on's."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kairan.export.services import Exporter
from kairan.export.writers import YIELD_PER
from kairan.i18n.translation import _


class ContentExporter(Exporter):
    """Every content node, trash included, in id order."""

    name = "content"
    title = _("Content")

    def columns(self, request):
        return [
            ("id", _("ID")), ("path", _("Path")), ("type", _("Type")),
            ("title", _("Title")), ("title_en", _("Title (English)")),
            ("state", _("State")), ("created", _("Created")), ("modified", _("Modified")),
        ]

    def rows(self, request):
        from kairan.content.models import Node

        query = (
            select(Node.id, Node.path, Node.type, Node.title, Node.title_en, Node.state,
                   Node.created, Node.modified)
            .order_by(Node.id)
            .execution_options(yield_per=YIELD_PER)
        )
        for row in request.dbsession.execute(query):
            yield tuple(row)


class UsersExporter(Exporter):
    """Accounts with their global roles; never a password hash or a token."""

    name = "users"
    title = _("Users")

    def columns(self, request):
        return [
            ("id", _("ID")), ("email", _("E-mail address")), ("display_name", _("Display name")),
            ("status", _("Status")), ("roles", _("Roles")), ("created", _("Created")),
        ]

    def rows(self, request):
        from kairan.accounts.models import User

        query = (
            select(User)
            .options(selectinload(User.roles))
            .order_by(User.id)
            .execution_options(yield_per=YIELD_PER)
        )
        for user in request.dbsession.scalars(query):
            yield {
                "id": user.id, "email": user.email, "display_name": user.display_name,
                "status": user.status, "roles": " ".join(user.role_names),
                "created": user.created,
            }


class AuditLogExporter(Exporter):
    """The audit log, oldest first."""

    name = "audit"
    title = _("Audit log")

    def columns(self, request):
        return [
            ("id", _("ID")), ("at", _("Time")), ("actor_id", _("Actor")),
            ("on_behalf_of", _("On behalf of")), ("action", _("Action")),
            ("target", _("Target")), ("address", _("Address")), ("outcome", _("Outcome")),
            ("detail", _("Detail")),
        ]

    def rows(self, request):
        from kairan.audit.models import AuditEntry

        columns = (AuditEntry.id, AuditEntry.at, AuditEntry.actor_id, AuditEntry.on_behalf_of,
                   AuditEntry.action, AuditEntry.target, AuditEntry.address,
                   AuditEntry.outcome, AuditEntry.detail)
        query = select(*columns).order_by(AuditEntry.id).execution_options(yield_per=YIELD_PER)
        for row in request.dbsession.execute(query):
            yield tuple(row)


CORE_EXPORTERS = (ContentExporter, UsersExporter, AuditLogExporter)
