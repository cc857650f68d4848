"""The demo city's shops: four merchants, approved, with a demo staff account."""

from datetime import timedelta

from sqlalchemy import select
from zope.interface import implementer

from kairan.accounts.models import User, UserRole
from kairan.accounts.passwords import hash_password
from kairan.db.meta import utcnow
from kairan.demo.interfaces import IDemoLoader
from kairan_merchants.models import (
    ApplicationEvent,
    Merchant,
    MerchantApplication,
    MerchantBranch,
    MerchantEvent,
    MerchantStaff,
)
from kairan_merchants.normalising import legal_name_key
from kairan_merchants.services import MERCHANT_STAFF_ROLE

# A fixed, printed demo password: it passes the password policy and is meant to be known.
STAFF = ("shop@example.jp", "山田 商店（回覧板マート）", "kairan-demo-omise-2025")

SHOPS = (
    # legal name, shop name, English, category, [(branch, postal, address, area, phone, hours)]
    ("株式会社回覧板マート", "回覧板マート", "Kairan Mart", "supermarket", [
        ("回覧板マート 中央店", "980-0001", "回覧板市中央1丁目2-3", "chuo", "022-201-0001",
         "9:00〜22:00（年中無休）"),
        ("回覧板マート 北店", "980-0101", "回覧板市北町4丁目5-6", "kita", "022-201-0002",
         "9:30〜21:00（元日休業）"),
    ]),
    ("株式会社みやぎコンビニ", "まちかどストア 駅前店", "Machikado Store", "convenience_store", [
        ("まちかどストア 駅前店", "980-0002", "回覧板市中央2丁目1-1 駅前ビル1階", "chuo",
         "022-202-1234", "24時間営業"),
    ]),
    ("有限会社青葉薬局", "あおば薬局 南口店", "Aoba Pharmacy", "drugstore", [
        ("あおば薬局 南口店", "980-0201", "回覧板市南町3丁目8-2", "minami", "022-203-5678",
         "平日 9:00〜19:00、土曜 9:00〜13:00（日曜・祝日休み）"),
    ]),
    ("食堂ひまわり（個人事業主 佐々木 恵）", "食堂ひまわり", "Himawari Diner", "restaurant", [
        ("食堂ひまわり", "980-0301", "回覧板市東町1丁目10-4", "higashi", "090-1234-5678",
         "11:00〜14:00、17:00〜21:00（月曜定休）"),
    ]),
)


@implementer(IDemoLoader)
class MerchantsDemoLoader:
    name = "merchants"
    title = "Shops that take the city's points (kairan_merchants)"
    order = 20

    def load(self, dbsession, registry, today):
        settings = registry.settings
        programmes = [p.code for p in settings["kairan.merchants.programme_list"]]
        operator = dbsession.scalar(select(User).where(User.email == "operator@example.jp"))
        operator_id = operator.id if operator is not None else None
        staff = self._staff_user(dbsession)
        lines = []
        for legal, name, name_en, category, branches in SHOPS:
            exists = dbsession.scalar(select(Merchant.id).where(Merchant.legal_name == legal))
            if exists is not None:
                continue
            merchant = self._merchant(dbsession, legal, name, name_en, category, branches,
                                      programmes, operator_id)
            if category == "supermarket" and staff is not None:
                dbsession.add(MerchantStaff(merchant_id=merchant.id, user_id=staff.id,
                                            created=utcnow()))
            lines.append(f"merchant: {name} ({len(branches)} shop(s))")
        if staff is not None:
            # printed on every run, like the core's demo users
            lines.append(f"merchant staff: {STAFF[0]} / {STAFF[2]} ({SHOPS[0][1]})")
        return lines

    @staticmethod
    def _staff_user(dbsession):
        email, display_name, password = STAFF
        user = dbsession.scalar(select(User).where(User.email == email))
        if user is None:
            now = utcnow()
            user = User(email=email, display_name=display_name, status="active", created=now,
                        email_verified_at=now, password_changed_at=now,
                        password_hash=hash_password(password))
            user.roles = [UserRole(role="Member"), UserRole(role=MERCHANT_STAFF_ROLE)]
            dbsession.add(user)
            dbsession.flush()
        return user

    @staticmethod
    def _merchant(dbsession, legal, name, name_en, category, branches, programmes,
                  operator_id):
        now = utcnow()
        applied = now - timedelta(days=30)
        decided = now - timedelta(days=25)
        first = branches[0]
        application = MerchantApplication(
            status="approved", legal_name=legal, legal_name_key=legal_name_key(legal),
            trade_name=name, trade_name_en=name_en, category=category, programmes=programmes,
            contact_name="担当者", contact_email=f"demo-{category}@example.jp",
            contact_phone="".join(ch for ch in first[4] if ch.isdigit()),
            branches=[dict(zip(("name", "postal_code", "address", "area", "phone", "hours"),
                               b, strict=True)) for b in branches],
            declared_not_antisocial=True, declared_not_adult_business=True,
            declared_no_cash_equivalents=True, locale="ja",
            # not a SHA-256 (no token can ever match it): the demo has no secret links
            link_hash=f"demo-{category}", link_expires=applied,
            created=applied, confirmed_at=applied, decided_at=decided,
            decided_by_id=operator_id)
        application.events = [
            ApplicationEvent(at=applied, kind="submitted"),
            ApplicationEvent(at=applied, kind="confirmed"),
            ApplicationEvent(at=decided, kind="approved", actor_id=operator_id),
        ]
        dbsession.add(application)
        dbsession.flush()
        merchant = Merchant(
            application_id=application.id, legal_name=legal, name=name, name_en=name_en,
            category=category, programmes=programmes, status="active", status_reason="",
            contact_name="担当者", contact_email=application.contact_email,
            contact_phone=application.contact_phone, created=decided)
        merchant.branches = [
            MerchantBranch(name=b[0], postal_code=b[1], address=b[2], area=b[3], phone=b[4],
                           hours=b[5], qr_version=1, created=decided) for b in branches]
        merchant.events = [MerchantEvent(at=decided, kind="approved", actor_id=operator_id)]
        dbsession.add(merchant)
        dbsession.flush()
        return merchant
