"""The public directory of active shops: search by name, category, area and programme."""

from urllib.parse import quote

from pyramid.httpexceptions import HTTPNotFound
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy import func, or_, select

from kairan.i18n.translation import _
from kairan_merchants.models import Merchant, MerchantBranch
from kairan_merchants.services import CATEGORY_CODES
from kairan_merchants.views.common import matched_id
from kairan_merchants.views.labels import area_label, category_label, programme_label

PAGE_SIZE = 20
MAX_QUERY = 100


def _like(text):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def map_link(request, branch):
    template = request.registry.settings["kairan.merchants.map_url"]
    return template.replace("{query}", quote(f"{branch.postal_code} {branch.address}"))


def _options(request, choices, chosen):
    return [{"value": code, "label": label, "selected": code == chosen}
            for code, label in choices]


@view_config(route_name="merchants.directory",
             renderer="kairan_merchants:templates/directory.pt",
             permission=NO_PERMISSION_REQUIRED, request_method="GET")
def directory(request):
    translate = request.localizer.translate
    settings = request.registry.settings
    params = request.GET
    errors = []
    q = (params.get("q") or "").strip()
    category = params.get("category") or ""
    area = params.get("area") or ""
    programme = params.get("programme") or ""
    areas = [a.code for a in settings["kairan.merchants.area_list"]]
    programmes = [p.code for p in settings["kairan.merchants.programme_list"]]
    if len(q) > MAX_QUERY:
        errors.append(_("Enter at most ${max} characters.", mapping={"max": MAX_QUERY}))
    for value, allowed in ((category, CATEGORY_CODES), (area, areas), (programme, programmes)):
        if value and value not in allowed:
            errors.append(_("Choose a value from the list."))
            break
    try:
        page_number = max(1, min(int(params.get("page") or 1), 10_000))
    except ValueError:
        errors.append(_("The page number is not valid."))
        page_number = 1

    shops, total = [], 0
    if errors:
        request.response.status_int = 400
    else:
        query = (select(MerchantBranch, Merchant)
                 .join(Merchant, MerchantBranch.merchant_id == Merchant.id)
                 .where(Merchant.status == "active", MerchantBranch.closed_at.is_(None)))
        if q:
            pattern = _like(q)
            query = query.where(or_(
                func.lower(Merchant.name).like(pattern, escape="\\"),
                func.lower(Merchant.name_en).like(pattern, escape="\\"),
                func.lower(MerchantBranch.name).like(pattern, escape="\\"),
                func.lower(MerchantBranch.name_en).like(pattern, escape="\\")))
        if category:
            query = query.where(Merchant.category == category)
        if area:
            query = query.where(MerchantBranch.area == area)
        rows = request.dbsession.execute(query.order_by(MerchantBranch.name,
                                                        MerchantBranch.id)).all()
        if programme:
            # programmes are a JSON list: filtered here, the same on SQLite and PostgreSQL
            rows = [(b, m) for b, m in rows if programme in (m.programmes or ())]
        total = len(rows)
        start = (page_number - 1) * PAGE_SIZE
        for branch, merchant in rows[start:start + PAGE_SIZE]:
            shops.append({
                "url": request.route_path("merchants.shop", branch_id=branch.id),
                "name": branch.localized_name(request.locale_name),
                "merchant": merchant.localized_name(request.locale_name),
                "category": category_label(request, merchant.category),
                "area": area_label(request, branch.area),
                "address": branch.address,
            })
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)

    def page_url(number):
        query = {k: v for k, v in (("q", q), ("category", category), ("area", area),
                                   ("programme", programme)) if v}
        query["page"] = number
        return request.route_path("merchants.directory", _query=query)

    return {
        "page_title": translate(_("Shops that accept the city's points")),
        "errors": [translate(e) for e in errors],
        "q": q,
        "categories": _options(request, [(c, category_label(request, c))
                                         for c in CATEGORY_CODES], category),
        "areas": _options(request, [(a, area_label(request, a)) for a in areas], area),
        "programmes": _options(request, [(p, programme_label(request, p))
                                         for p in programmes], programme),
        "shops": shops,
        "total": total,
        "page": page_number,
        "pages": pages,
        "previous_url": page_url(page_number - 1) if page_number > 1 else None,
        "next_url": page_url(page_number + 1) if page_number < pages else None,
    }


@view_config(route_name="merchants.shop", renderer="kairan_merchants:templates/shop.pt",
             permission=NO_PERMISSION_REQUIRED, request_method="GET")
def shop(request):
    branch = request.dbsession.get(MerchantBranch, matched_id(request, "branch_id"))
    if branch is None or branch.closed or branch.merchant.status != "active":
        raise HTTPNotFound()
    merchant = branch.merchant
    locale = request.locale_name
    others = [{"name": b.localized_name(locale),
               "url": request.route_path("merchants.shop", branch_id=b.id)}
              for b in merchant.branches if b.id != branch.id and not b.closed]
    return {
        "page_title": branch.localized_name(locale),
        "merchant": merchant.localized_name(request.locale_name),
        "category": category_label(request, merchant.category),
        "branch": {"name": branch.localized_name(locale), "postal_code": branch.postal_code,
                   "address": branch.address, "area_label": area_label(request, branch.area),
                   "phone": branch.phone, "hours": branch.hours,
                   "tel": "tel:" + "".join(ch for ch in branch.phone if ch.isdigit())},
        "programmes": [programme_label(request, p) for p in merchant.programmes or ()],
        "map_url": map_link(request, branch),
        "others": others,
        "directory_url": request.route_path("merchants.directory"),
    }
