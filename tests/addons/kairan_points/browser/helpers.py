"""Helpers of the points add-on's browser tests: signing in through a session row (at a
given assurance level, as ``sign_in_at_level`` does for WebTest), the phone-width check,
and the demo city's people and shop."""

import secrets
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import select

TOKYO = ZoneInfo("Asia/Tokyo")
RESIDENT = "resident@example.jp"
OPERATOR = "operator@example.jp"
SHOP_STAFF = "shop@example.jp"
SHOP_NAME = "回覧板マート"


def tokyo_today():
    return datetime.now(TOKYO).date()


def user_id(live_server, email):
    from kairan.accounts.models import User

    with live_server.session() as session:
        return session.scalars(select(User.id).where(User.email == email)).one()


def community_balance(live_server, email):
    """The balance of ``email``'s wallet in the demo's community programme."""
    from kairan_points import ledger
    from kairan_points.models import Programme

    with live_server.session() as session:
        programme = session.scalars(select(Programme).where(Programme.code == "community")).one()
        wallet = ledger.wallet_account(session, programme.id, user_id(live_server, email),
                                       create=False)
        return 0 if wallet is None else wallet.balance


def sign_in_as(context, live_server, email, level=1):
    """Give the browser ``context`` a live session of ``email`` that proved ``level`` just
    now (level 2: a second factor, as the operators' protected actions ask)."""
    from kairan.db.meta import utcnow
    from kairan.security.models import AuthSession
    from kairan.security.sessions import token_hash

    token = secrets.token_urlsafe(32)
    now = utcnow()
    factors = {"pwd": {"level": 1, "at": now.isoformat()}}
    if level >= 2:
        factors["otp"] = {"level": level, "at": now.isoformat()}
    with live_server.session() as session:
        session.add(AuthSession(id=token_hash(token), user_id=user_id(live_server, email),
                                created=now, last_seen=now - timedelta(seconds=1),
                                factors=factors, data={}))
        session.commit()
    context.clear_cookies()
    context.add_cookies([{"name": "kairan_session", "value": token, "url": live_server.url}])


def assert_fits_phone(page):
    """Nothing is wider than the (390 px) viewport: no sideways scrolling of the page."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[1] == 390, widths
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]} px wide on a {widths[1]} px phone"


def submit(page, button, within=None):
    """Click ``button`` of its form (in <main>, or in ``within``) once the form is seen to
    carry its CSRF token: WebTest's ``post_form`` adds the token by itself, so a form
    rendered without it passes the functional tests while a real browser's POST is
    refused (400 Bad CSRF token)."""
    scope = within if within is not None else page.locator("main")
    form = scope.locator("form").filter(has=page.get_by_role("button", name=button))
    assert form.count() == 1, f"{page.url}: {form.count()} forms with the button {button!r}"
    assert form.locator("input[name=csrf_token]").count() == 1, \
        f"the form of {button!r} on {page.url} has no csrf_token field"
    form.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def main_text(page):
    return page.locator("main").inner_text()


def demo_shop(live_server, live_server_settings):
    """(merchant id, the shop's static code) of the demo shop, through
    ``IMerchantDirectory.payload_for``."""
    from kairan_merchants.directory import MerchantDirectory
    from kairan_merchants.models import Merchant

    with live_server.session() as session:
        merchant = session.scalars(select(Merchant).where(Merchant.name == SHOP_NAME)).one()
        request = SimpleNamespace(dbsession=session,
                                  registry=SimpleNamespace(settings=live_server_settings))
        return merchant.id, MerchantDirectory().payload_for(request, merchant.branches[0].id)


def pay_in_database(live_server, live_server_settings, email, programme_code, amount):
    """A payment of ``amount`` points at the demo shop, through the payments service."""
    from kairan_merchants.directory import MerchantDirectory
    from kairan_points.models import Programme
    from kairan_points.payments import services as payments

    _merchant_id, code = demo_shop(live_server, live_server_settings)
    with live_server.session() as session:
        request = SimpleNamespace(dbsession=session,
                                  registry=SimpleNamespace(settings=live_server_settings))
        scan = MerchantDirectory().verify_payload(request, code)
        programme = session.scalars(select(Programme)
                                    .where(Programme.code == programme_code)).one()
        outcome = payments.pay(session, user_id=user_id(live_server, email), scan=scan,
                               programme=programme, amount=amount,
                               idempotency_key="browser-" + secrets.token_hex(8),
                               max_payment=100_000)
        session.commit()
        return outcome.payment
