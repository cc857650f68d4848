"""One exporter per table of the add-on, streamed in batches (never the link hashes)."""

from sqlalchemy import select

from kairan.export.services import Exporter
from kairan.i18n.translation import _
from kairan_merchants.models import (
    ApplicationEvent,
    Merchant,
    MerchantApplication,
    MerchantBranch,
    MerchantEvent,
    MerchantStaff,
)


def _list(value):
    return " ".join(value or ())


class TableExporter(Exporter):
    """Columns are ``(attribute, title)``; rows are read from ``model`` ordered by ``order``."""

    model = None
    fields = ()
    order = ()
    convert = {}

    def columns(self, request):
        return list(self.fields)

    def rows(self, request):
        query = (select(self.model).order_by(*self.order).execution_options(yield_per=500))
        for row in request.dbsession.scalars(query):
            yield {key: self.convert.get(key, lambda v: v)(getattr(row, key))
                   for key, _title in self.fields}


class ApplicationsExporter(TableExporter):
    name = "merchant_applications"
    title = _("Merchant applications")
    model = MerchantApplication
    order = (MerchantApplication.id,)
    fields = (("id", _("ID")), ("status", _("Status")), ("legal_name", _("Legal name")),
              ("trade_name", _("Shop name")), ("trade_name_en", _("Shop name in English")),
              ("category", _("Category")), ("programmes", _("Programmes")),
              ("contact_name", _("Contact person")), ("contact_email", _("E-mail address")),
              ("contact_phone", _("Phone number")), ("branches", _("Branches")),
              ("declared_not_antisocial", _("Declared: not an anti-social force")),
              ("declared_not_adult_business", _("Declared: not an adult-entertainment "
                                                "business")),
              ("declared_no_cash_equivalents", _("Declared: no points for cash equivalents")),
              ("locale", _("Language")), ("created", _("Received")),
              ("confirmed_at", _("E-mail confirmed")), ("decided_at", _("Decided")),
              ("decided_by_id", _("Decided by (user ID)")),
              ("decision_reason", _("Reason")))
    convert = {"programmes": _list,
               "branches": lambda bs: "; ".join(
                   f"{b['name']} {b['postal_code']} {b['address']} {b['phone']}"
                   for b in bs or ())}


class ApplicationEventsExporter(TableExporter):
    name = "merchant_application_events"
    title = _("Merchant application history")
    model = ApplicationEvent
    order = (ApplicationEvent.id,)
    fields = (("id", _("ID")), ("application_id", _("Application ID")), ("at", _("When")),
              ("kind", _("What")), ("actor_id", _("By (user ID)")), ("text", _("Text")))


class MerchantsExporter(TableExporter):
    name = "merchants"
    title = _("Merchants")
    model = Merchant
    order = (Merchant.id,)
    fields = (("id", _("ID")), ("application_id", _("Application ID")),
              ("legal_name", _("Legal name")), ("name", _("Shop name")),
              ("name_en", _("Shop name in English")), ("category", _("Category")),
              ("programmes", _("Programmes")), ("status", _("Status")),
              ("status_reason", _("Reason")), ("status_changed_at", _("Status changed")),
              ("status_changed_by_id", _("Status changed by (user ID)")),
              ("contact_name", _("Contact person")), ("contact_email", _("E-mail address")),
              ("contact_phone", _("Phone number")), ("created", _("Registered")))
    convert = {"programmes": _list}


class BranchesExporter(TableExporter):
    name = "merchant_branches"
    title = _("Merchant branches")
    model = MerchantBranch
    order = (MerchantBranch.id,)
    fields = (("id", _("ID")), ("merchant_id", _("Merchant ID")), ("name", _("Shop name")),
              ("name_en", _("Shop name in English")), ("postal_code", _("Postal code")),
              ("address", _("Street address")), ("area", _("Area")), ("phone", _("Phone number")),
              ("hours", _("Opening hours")), ("qr_version", _("QR code version")),
              ("qr_rotated_at", _("QR code renewed")), ("created", _("Registered")),
              ("closed_at", _("Closed")), ("closed_by_id", _("Closed by (user ID)")))


class StaffExporter(TableExporter):
    name = "merchant_staff"
    title = _("Merchant staff")
    model = MerchantStaff
    order = (MerchantStaff.merchant_id, MerchantStaff.user_id)
    fields = (("merchant_id", _("Merchant ID")), ("user_id", _("User ID")),
              ("created", _("Since")))


class MerchantEventsExporter(TableExporter):
    name = "merchant_events"
    title = _("Merchant history")
    model = MerchantEvent
    order = (MerchantEvent.id,)
    fields = (("id", _("ID")), ("merchant_id", _("Merchant ID")), ("at", _("When")),
              ("kind", _("What")), ("actor_id", _("By (user ID)")), ("text", _("Text")))


EXPORTERS = (ApplicationsExporter(), ApplicationEventsExporter(), MerchantsExporter(),
             BranchesExporter(), StaffExporter(), MerchantEventsExporter())
