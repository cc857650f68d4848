"""The ``otp`` authenticator and the ``totp`` and ``recovery`` factor kinds."""

from sqlalchemy import func, select
from zope.interface import implementer

from kairan.audit.services import audit
from kairan.i18n.translation import _
from kairan.security.interfaces import IAuthenticator
from kairan_stepup.factors import Factor
from kairan_stepup.interfaces import IFactorKind
from kairan_stepup.totp import services
from kairan_stepup.totp.models import RecoveryCode


@implementer(IAuthenticator)
class OtpAuthenticator:
    name = "otp"  # RFC 8176: one-time password (TOTP or a recovery code)
    level = 2
    title = _("Code from an authenticator app")
    description = _("Enter the 6-digit code your authenticator app shows, or one of your "
                    "recovery codes.")

    def is_available(self, request):
        user = request.user
        if user is None:
            return False
        dbsession = request.dbsession
        return services.has_device(dbsession, user.id) \
            or services.recovery_codes_left(dbsession, user.id) > 0

    def start_url(self, request, came_from, level):
        return request.route_path("stepup.otp", _query={"came_from": came_from or ""})

    def enrol_url(self, request):
        return request.route_path("stepup.totp.enrol")


@implementer(IFactorKind)
class TotpKind:
    name = "totp"
    title = _("Authenticator apps")
    order = 20

    def factors(self, request, user):
        return [Factor(kind=self.name, id=str(device.id),
                       nickname=device.nickname or request.localizer.translate(
                           _("Authenticator app")),
                       level=2, added=device.confirmed, last_used=device.last_used)
                for device in services.devices(request.dbsession, user.id)]

    def add_url(self, request):
        return request.route_path("stepup.totp.enrol")

    def remove(self, request, user, factor_id):
        try:
            device_id = int(factor_id)
        except (TypeError, ValueError):
            return False
        removed = services.remove_devices(request.dbsession, user.id, device_id)
        if removed:
            audit(request, "stepup.totp.removed", target=f"user:{user.id}",
                  detail={"device": device_id})
        return removed > 0

    def remove_all(self, request, user):
        removed = services.remove_devices(request.dbsession, user.id)
        if removed:
            audit(request, "stepup.totp.removed", target=f"user:{user.id}",
                  detail={"devices": removed, "all": True})
        return removed


@implementer(IFactorKind)
class RecoveryCodeKind:
    """The set of recovery codes, shown as one factor. It is a way back in, not a
    standing factor: the settings page does not count it when it checks that the
    account keeps a factor of the level it requires (``recovery_only``)."""

    name = "recovery"
    title = _("Recovery codes")
    order = 90
    recovery_only = True

    def factors(self, request, user):
        dbsession = request.dbsession
        row = dbsession.execute(
            select(func.count(RecoveryCode.id), func.min(RecoveryCode.created),
                   func.max(RecoveryCode.used_at))
            .where(RecoveryCode.user_id == user.id)).one()
        total, created, last_used = row
        if not total:
            return []
        left = services.recovery_codes_left(dbsession, user.id)
        nickname = request.localizer.translate(
            _("${left} of ${total} codes left", mapping={"left": left, "total": total}))
        return [Factor(kind=self.name, id="codes", nickname=nickname, level=2, added=created,
                       last_used=last_used)]

    def add_url(self, request):
        return request.route_path("stepup.account.recovery")

    def remove(self, request, user, factor_id):
        return self.remove_all(request, user) > 0

    def remove_all(self, request, user):
        removed = services.remove_recovery_codes(request.dbsession, user.id)
        if removed:
            audit(request, "stepup.recovery.removed", target=f"user:{user.id}",
                  detail={"codes": removed})
        return removed
