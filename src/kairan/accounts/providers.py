"""The core's sections of "download my data" and the ``add_personal_data_provider`` directive."""

from sqlalchemy import or_, select
from zope.interface import implementer

from kairan.accounts.interfaces import IPersonalDataProvider
from kairan.audit.models import AuditEntry
from kairan.security.models import AuthSession


def _iso(value):
    return value.isoformat() if value is not None else None


@implementer(IPersonalDataProvider)
class AccountData:
    name = "account"

    def export(self, request, user):
        return {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "status": user.status,
            "locale": user.locale,
            "created": _iso(user.created),
            "email_verified_at": _iso(user.email_verified_at),
            "last_login_at": _iso(user.last_login_at),
            "password_changed_at": _iso(user.password_changed_at),
        }


@implementer(IPersonalDataProvider)
class RoleData:
    name = "roles"

    def export(self, request, user):
        return list(user.role_names)


@implementer(IPersonalDataProvider)
class SessionData:
    """The user's sessions, without their ids (the SHA-256 of a live cookie)."""

    name = "sessions"

    def export(self, request, user):
        current = getattr(request.session, "row", None)
        rows = request.dbsession.scalars(
            select(AuthSession).where(AuthSession.user_id == user.id).order_by(AuthSession.created)
        )
        return [
            {
                "created": _iso(row.created),
                "last_seen": _iso(row.last_seen),
                "address": row.address,
                "user_agent": row.user_agent,
                "factors": {name: {"level": f.get("level"), "at": f.get("at")}
                            for name, f in (row.factors or {}).items()},
                "current": current is not None and row.id == current.id,
            }
            for row in rows
        ]


@implementer(IPersonalDataProvider)
class AuditData:
    name = "audit"

    def export(self, request, user):
        rows = request.dbsession.scalars(
            select(AuditEntry)
            .where(or_(AuditEntry.actor_id == user.id, AuditEntry.on_behalf_of == user.id))
            .order_by(AuditEntry.at, AuditEntry.id)
        )
        return [
            {"at": _iso(e.at), "action": e.action, "target": e.target, "address": e.address,
             "outcome": e.outcome, "detail": e.detail, "on_behalf_of": e.on_behalf_of,
             "by_staff": e.on_behalf_of == user.id}
            for e in rows
        ]


CORE_PROVIDERS = (AccountData(), RoleData(), SessionData(), AuditData())


def add_personal_data_provider(config, provider):
    """Directive: register an ``IPersonalDataProvider`` under its ``name``.

    Two providers with the same name conflict at start-up.
    """
    provider = config.maybe_dotted(provider)
    if not IPersonalDataProvider.providedBy(provider):
        raise TypeError(f"{provider!r} does not provide IPersonalDataProvider")

    def register():
        config.registry.registerUtility(provider, IPersonalDataProvider, name=provider.name)

    config.action(("kairan.personal_data_provider", provider.name), register)


def personal_data(request, user) -> dict:
    """Everything every registered provider holds about ``user``, keyed by provider name."""
    return {
        name: provider.export(request, user)
        for name, provider in sorted(request.registry.getUtilitiesFor(IPersonalDataProvider))
    }
