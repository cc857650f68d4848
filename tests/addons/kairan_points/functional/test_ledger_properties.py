"""Hypothesis against the real database: a stateful ledger and amounts through the services.

The state machine grants, pays, corrects, replays keys, lets time pass and
expires lots, keeping a model of each wallet's lots beside it; after every
step the balances match the model and the whole ledger verifies.
"""

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from kairan_points import ledger, services
from kairan_points.errors import InsufficientPoints, InvalidAmount
from kairan_points.models import ISSUER, Account, Transfer
from kairan_points.verify import verify_ledger
from sqlalchemy import func, select

from kairan.db.meta import utcnow

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

        def key(self):
            return f"sm:{next(counter)}"

        def wallet(self, user):
            return ledger.wallet_account(dbsession, self.programme.id, user.id).id

        def spendable(self, user):
            return sum(r for r, e in self.lots[user.id] if e > self.now)

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
                ledger.transfer(dbsession, programme_id=self.programme.id,
                                reason_code="payment", idempotency_key=key, now=self.now,
                                postings=postings)
            except InsufficientPoints:
                dbsession.rollback()
                assert amount > self.spendable(user)
                return
            dbsession.commit()
            assert amount <= self.spendable(user)
            left = amount
            for lot in sorted((lot for lot in self.lots[user.id] if lot[1] > self.now),
                              key=lambda lot: lot[1]):
                part = min(lot[0], left)
                lot[0] -= part
                left -= part
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
                ledger.expire_account(dbsession, self.wallet(user), self.now)
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
