"""Hypothesis against the real database: a stateful ledger and amounts through the services.

The state machine grants, pays, corrects, replays keys, lets time pass and
expires lots, refunds payments, and moves points to the regional currency
bridge and back (out, refused and reverted, accepted, credited in, a credit
delivered again), keeping a model of each wallet's lots and of the bridge
account beside it; after every step the balances match the model and the
whole ledger verifies.
"""

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from kairan_points import expiry, ledger, services
from kairan_points.bridge import services as bridge
from kairan_points.bridge.interfaces import Accepted, InboundCredit
from kairan_points.bridge.models import BridgeMove
from kairan_points.errors import InsufficientPoints, InvalidAmount, PointsRefused
from kairan_points.models import BRIDGE, ISSUER, Account, Transfer
from kairan_points.payments.models import Payment
from kairan_points.payments.services import refund
from kairan_points.verify import verify_ledger
from sqlalchemy import func, select

from kairan.db.meta import utcnow

BRIDGE_SETTINGS = {"kairan.points.bridge.max_amount": 100_000,
                   "kairan.points.bridge.programmes": []}
SETTINGS = settings(max_examples=12, stateful_step_count=15, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def test_the_ledger_holds_its_invariants_after_every_step(dbsession, make_programme, make_user):
    counter = itertools.count()

    class Ledger(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.programme = make_programme(budget=10_000)
            self.users = [make_user() for _ in range(2)]
            self.shop = ledger.merchant_account(dbsession, self.programme.id, 1).id
            self.issuer = ledger.system_account_id(dbsession, self.programme.id, ISSUER)
            dbsession.commit()
            self.now = utcnow()
            self.lots = {u.id: [] for u in self.users}  # [remaining, expires_at]
            self.issued = 0
            self.last = None
            self.payments = []  # [payment id, user index, amount, refunded]
            self.bridge = ledger.system_account_id(dbsession, self.programme.id, BRIDGE)
            self.bridge_balance = 0  # out - reverted - in
            self.moves = []  # [move id, user index, amount] still waiting for an answer
            # the moves an earlier example left waiting are answered, so that the claims
            # of this one find only its own
            later = self.now + timedelta(days=3650)
            for move_id, token in bridge.claim(dbsession, later, limit=10**6):
                bridge.record_accepted(dbsession, move_id, token,
                                       Accepted(remote_id=f"fx-{move_id}", at=later), later)
            dbsession.commit()

        def key(self):
            return f"sm:{next(counter)}"

        def wallet(self, user):
            return ledger.wallet_account(dbsession, self.programme.id, user.id).id

        def spendable(self, user):
            return sum(r for r, e in self.lots[user.id] if e > self.now)

        def consume(self, user, amount):
            """The model of a wallet debit: the unexpired lots, first to expire first."""
            left = amount
            for lot in sorted((lot for lot in self.lots[user.id] if lot[1] > self.now),
                              key=lambda lot: lot[1]):
                part = min(lot[0], left)
                lot[0] -= part
                left -= part

        def credit(self, user, amount):
            self.lots[user.id].append([amount, services.expiry_for(self.programme, self.now)])

        @rule(who=st.integers(0, 1), amount=st.integers(1, 3000), days=st.integers(1, 5))
        def grant(self, who, amount, days):
            user = self.users[who]
            expires = self.now + timedelta(days=days)
            wallet = self.wallet(user)
            postings = [ledger.Posting(self.issuer, -amount),
                        ledger.Posting(wallet, amount, expires_at=expires)]
            if self.issued + amount > 10_000:
                try:
                    ledger.transfer(dbsession, programme_id=self.programme.id,
                                    reason_code="grant", idempotency_key=self.key(),
                                    now=self.now, postings=postings)
                except services.PointsRefused:
                    dbsession.rollback()
                    return
                raise AssertionError("a grant past the budget went through")
            key = self.key()
            ledger.transfer(dbsession, programme_id=self.programme.id, reason_code="grant",
                            idempotency_key=key, now=self.now, postings=postings)
            dbsession.commit()
            self.issued += amount
            self.lots[user.id].append([amount, expires])
            self.last = (key, postings)

        @rule(who=st.integers(0, 1), amount=st.integers(1, 2000))
        def pay(self, who, amount):
            user = self.users[who]
            postings = [ledger.Posting(self.wallet(user), -amount),
                        ledger.Posting(self.shop, amount)]
            key = self.key()
            try:
                record = ledger.transfer(dbsession, programme_id=self.programme.id,
                                         reason_code="payment", idempotency_key=key,
                                         now=self.now, postings=postings)
            except InsufficientPoints:
                dbsession.rollback()
                assert amount > self.spendable(user)
                return
            payment = Payment(transfer_id=record.id, programme_id=self.programme.id,
                              merchant_id=1, branch_id=1, user_id=user.id, amount=amount,
                              refunded=0, receipt_code="TEST01", created=self.now)
            dbsession.add(payment)
            dbsession.commit()
            assert amount <= self.spendable(user)
            self.consume(user, amount)
            self.payments.append([payment.id, who, amount, 0])
            self.last = (key, postings)

        @rule()
        def replay(self):
            if self.last is None:
                return
            before = dbsession.scalar(select(func.count()).select_from(Transfer))
            key, postings = self.last
            reason = "grant" if postings[0].account_id == self.issuer else "payment"
            again = ledger.transfer(dbsession, programme_id=self.programme.id,
                                    reason_code=reason, idempotency_key=key, now=self.now,
                                    postings=postings)
            dbsession.commit()
            assert again.replayed
            assert dbsession.scalar(select(func.count()).select_from(Transfer)) == before

        @rule(hours=st.integers(1, 72))
        def time_passes(self, hours):
            self.now += timedelta(hours=hours)

        @rule()
        def expire(self):
            for user in self.users:
                expiry.expire_account(dbsession, self.wallet(user), self.now)
                dbsession.commit()
                self.lots[user.id] = [lot for lot in self.lots[user.id] if lot[1] > self.now]

        @rule(who=st.integers(0, 1), amount=st.one_of(
            st.integers(max_value=0), st.floats(allow_nan=True), st.booleans()))
        def bad_amount(self, who, amount):
            with_before = dbsession.scalar(select(func.count()).select_from(Transfer))
            try:
                services.grant(dbsession, self.programme, self.users[who].id, amount, "",
                               actor_id=None, idempotency_key=self.key())
            except InvalidAmount:
                pass
            else:
                raise AssertionError(f"{amount!r} was accepted")
            dbsession.rollback()
            assert dbsession.scalar(select(func.count()).select_from(Transfer)) == with_before

        @rule(data=st.data())
        def refund(self, data):
            if not self.payments:
                return
            entry = data.draw(st.sampled_from(self.payments))
            payment_id, who, paid, refunded = entry
            amount = data.draw(st.integers(1, paid + 5))  # sometimes more than is left
            payment = dbsession.get(Payment, payment_id)
            try:
                record = refund(dbsession, payment=payment, amount=amount, actor_id=None,
                                idempotency_key=self.key() + "-refund-form",
                                refund_days=365, now=self.now)
            except PointsRefused:
                dbsession.rollback()
                assert amount > paid - refunded
                return
            dbsession.commit()
            assert amount <= paid - refunded and not record.replayed
            entry[3] += amount
            self.credit(self.users[who], amount)

        @rule(who=st.integers(0, 1), amount=st.integers(1, 2000))
        def bridge_out(self, who, amount):
            user = self.users[who]
            try:
                outcome = bridge.move_out(dbsession, user_id=user.id, programme=self.programme,
                                          amount=amount, form_key=self.key() + "-bridge-form",
                                          settings=BRIDGE_SETTINGS, now=self.now)
            except InsufficientPoints:
                dbsession.rollback()
                assert amount > self.spendable(user)
                return
            dbsession.commit()
            assert amount <= self.spendable(user)
            self.consume(user, amount)
            self.bridge_balance += amount
            self.moves.append([outcome.move.id, who, amount])

        def answer_oldest_move(self):
            """Claim the oldest waiting move as the outbox worker would; (entry, token)."""
            if not self.moves:
                return None, None
            claimed = bridge.claim(dbsession, self.now, limit=1)
            dbsession.commit()
            assert [move_id for move_id, _token in claimed] == [self.moves[0][0]]
            return self.moves.pop(0), claimed[0][1]

        @rule()
        def bridge_refused_and_reverted(self):
            entry, token = self.answer_oldest_move()
            if entry is None:
                return
            move_id, who, amount = entry
            assert bridge.record_refused(dbsession, move_id, token, "HTTP 422", self.now)
            dbsession.commit()
            # the answer again (a duplicate delivery): nothing more
            assert not bridge.record_refused(dbsession, move_id, token, "HTTP 422", self.now)
            dbsession.rollback()
            self.bridge_balance -= amount
            self.credit(self.users[who], amount)

        @rule()
        def bridge_accepted(self):
            entry, token = self.answer_oldest_move()
            if entry is None:
                return
            accepted = Accepted(remote_id=f"fx-{entry[0]}", at=self.now)
            assert bridge.record_accepted(dbsession, entry[0], token, accepted, self.now)
            dbsession.commit()
            assert not bridge.record_refused(dbsession, entry[0], token, "late", self.now)
            dbsession.rollback()

        @rule(who=st.integers(0, 1), amount=st.integers(1, 3000), again=st.booleans())
        def bridge_in(self, who, amount, again):
            user = self.users[who]
            credit = InboundCredit(remote_id=f"fx-in-{next(counter)}", remote_user=str(user.id),
                                   programme=self.programme.code, amount=amount, at=self.now)
            outcome = bridge.credit_inbound(dbsession, credit, BRIDGE_SETTINGS, now=self.now)
            dbsession.commit()
            assert not outcome.replayed
            if again:  # the service delivers the same credit twice
                twice = bridge.credit_inbound(dbsession, credit, BRIDGE_SETTINGS, now=self.now)
                dbsession.commit()
                assert twice.replayed and twice.credit.id == outcome.credit.id
            self.bridge_balance -= amount
            self.credit(user, amount)

        @invariant()
        def the_bridge_matches_the_model(self):
            dbsession.expire_all()
            assert dbsession.get(Account, self.bridge).balance == self.bridge_balance
            waiting = dbsession.scalars(select(BridgeMove.id).where(
                BridgeMove.programme_id == self.programme.id,
                BridgeMove.status.in_(("pending", "sending"))).order_by(BridgeMove.id)).all()
            assert waiting == [move_id for move_id, _who, _amount in self.moves]
            dbsession.rollback()

        @invariant()
        def balances_match_the_model(self):
            dbsession.expire_all()
            for user in self.users:
                account = dbsession.get(Account, self.wallet(user))
                assert account.balance == sum(r for r, _e in self.lots[user.id])
                assert account.balance >= 0
                assert ledger.spendable_balance(dbsession, account.id, self.now) == \
                    self.spendable(user)
            assert ledger.issued(dbsession, self.programme.id) == self.issued
            dbsession.rollback()

        @invariant()
        def the_ledger_verifies(self):
            report = verify_ledger(dbsession)
            dbsession.rollback()
            assert report.ok, "\n".join(report.lines())

    run_state_machine_as_test(Ledger, settings=SETTINGS)
