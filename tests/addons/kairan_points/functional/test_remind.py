"""``kairan points remind``: expiry reminders, once per lot, in the resident's language."""

from datetime import timedelta

from kairan_points import ledger
from kairan_points.earning.models import Reminder
from kairan_points.models import ISSUER
from sqlalchemy import func, select

from kairan.db.meta import utcnow
from kairan.mail.models import OutboxMessage
from tests.addons.kairan_points.conftest import key, verify_ok


def give(dbsession, programme, user, amount, expires_in_days):
    wallet = ledger.wallet_account(dbsession, programme.id, user.id)
    issuer = ledger.system_account_id(dbsession, programme.id, ISSUER)
    expires_at = utcnow() + timedelta(days=expires_in_days)
    ledger.transfer(dbsession, programme_id=programme.id, reason_code="grant",
                    idempotency_key=key(), now=utcnow() - timedelta(days=40),
                    postings=[ledger.Posting(issuer, -amount),
                              ledger.Posting(wallet.id, amount, expires_at=expires_at)])
    dbsession.commit()
    return wallet


def mails(dbsession):
    dbsession.expire_all()
    return list(dbsession.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_remind_mails_each_lot_once_in_the_residents_language(kairan, dbsession, programme,
                                                              make_user):
    japanese = make_user(email="hanako@example.jp")
    english = make_user(email="john@example.jp")
    english.locale = "en"
    spent = make_user(email="spent@example.jp")
    make_user(email="nothing@example.jp")
    dbsession.commit()
    give(dbsession, programme, japanese, 1_200, 5)
    give(dbsession, programme, japanese, 300, 30)     # later than 14 days: not yet
    give(dbsession, programme, japanese, 70, -1)      # already expired: no reminder
    give(dbsession, programme, english, 450, 10)
    wallet = give(dbsession, programme, spent, 80, 3)
    merchant = ledger.merchant_account(dbsession, programme.id, 1)
    ledger.transfer(dbsession, programme_id=programme.id, reason_code="payment",
                    idempotency_key=key(),
                    postings=[ledger.Posting(wallet.id, -80), ledger.Posting(merchant.id, 80)])
    dbsession.commit()

    output = kairan("points", "remind")
    assert "2 residents have points expiring within 14 days" in output
    assert "mailed 2 residents about 2 lots" in output
    sent = {m.recipient: m for m in mails(dbsession)}
    assert set(sent) == {"hanako@example.jp", "john@example.jp"}
    ja = sent["hanako@example.jp"]
    assert ja.subject == "ポイントの有効期限が近づいています"
    assert "1,200ポイント" in ja.body and "宮城県地域ポイント2025" in ja.body
    assert "300" not in ja.body and "70ポイント" not in ja.body
    assert "http://localhost:6543/points" in ja.body
    en = sent["john@example.jp"]
    assert en.subject == "Your points expire soon"
    assert "Miyagi regional points 2025: 450 points expire on" in en.body

    # idempotent: a second run mails nobody
    assert "mailed 0 residents about 0 lots" in kairan("points", "remind")
    assert len(mails(dbsession)) == 2
    # a wider window reaches the 30-day lot, and only it
    assert "mailed 1 residents about 1 lots" in kairan("points", "remind", "--days", "40")
    last = mails(dbsession)[-1]
    assert last.recipient == "hanako@example.jp" and "300ポイント" in last.body
    assert "1,200" not in last.body
    assert dbsession.scalar(select(func.count()).select_from(Reminder)) == 3
    verify_ok(dbsession)


def test_the_setting_gives_the_default_window(kairan, dbsession, programme, make_user):
    resident = make_user(email="hanako@example.jp")
    give(dbsession, programme, resident, 100, 2)
    give(dbsession, programme, resident, 200, 6)
    output = kairan("points", "remind", extra=["kairan.points.remind_days = 3"])
    assert "within 3 days" in output
    [mail] = mails(dbsession)
    assert "100ポイント" in mail.body and "200ポイント" not in mail.body
    verify_ok(dbsession)


def test_bad_days_are_refused(kairan):
    assert "Invalid value" in kairan("points", "remind", "--days", "0", expect=2)
    assert "Invalid value" in kairan("points", "remind", "--days", "x", expect=2)
