"""Amount validation as properties: whatever arrives, a whole number in range or a refusal."""

import math
import unicodedata

import colander
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kairan_points.errors import InvalidAmount
from kairan_points.ledger import LEDGER_MAX, Posting, check_amount, transfer
from kairan_points.schemas import GrantSchema, Points
from pyramid.csrf import LegacySessionCSRFStoragePolicy
from pyramid.interfaces import ICSRFStoragePolicy
from pyramid.registry import Registry
from pyramid.testing import DummyRequest

LIMIT = 1_000_000


@given(st.integers())
def test_check_amount_accepts_exactly_the_whole_numbers_in_range(value):
    if 1 <= value <= LIMIT:
        assert check_amount(value, LIMIT) == value
    else:
        with pytest.raises(InvalidAmount):
            check_amount(value, LIMIT)


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(), st.none(),
                 st.booleans(), st.decimals(allow_nan=True), st.lists(st.integers())))
def test_check_amount_refuses_everything_that_is_not_an_int(value):
    with pytest.raises(InvalidAmount):
        check_amount(value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -0.0, 1e30, 10.0])
def test_check_amount_refuses_floats_even_whole_ones(value):
    assert math.isnan(value) or value == value
    with pytest.raises(InvalidAmount):
        check_amount(value)


def test_the_ledger_limit_is_far_below_a_bigint():
    assert LEDGER_MAX * 10**6 < 2**63
    with pytest.raises(InvalidAmount):
        check_amount(LEDGER_MAX + 1)


def test_a_transfer_with_a_bad_amount_is_refused_before_touching_the_database():
    class NoDatabase:
        def __getattr__(self, name):
            raise AssertionError(f"the database was used: {name}")

    for amount in (0, 1.5, True, float("nan"), "5", LEDGER_MAX + 1):
        with pytest.raises(InvalidAmount):
            transfer(NoDatabase(), programme_id=1, reason_code="grant", idempotency_key="k",
                     postings=[Posting(1, amount), Posting(2, -1)])


def node():
    return colander.SchemaNode(Points())


@given(st.text(max_size=40))
def test_the_points_type_reads_digits_only(text):
    try:
        value = node().deserialize(text)
    except colander.Invalid:
        return
    if value is colander.null:
        assert text == ""
        return
    normalized = unicodedata.normalize("NFKC", text).strip().replace(",", "")
    assert isinstance(value, int) and value >= 0
    assert normalized.isdigit() and int(normalized) == value


@pytest.mark.parametrize("text,expected", [("500", 500), ("１，０００", 1000), (" 42 ", 42),
                                           ("0007", 7)])
def test_the_points_type_reads_what_people_type(text, expected):
    assert node().deserialize(text) == expected


@pytest.mark.parametrize("text", ["-5", "+5", "1.5", "1e3", "NaN", "inf", "0x10", "五", "1 000",
                                  "9" * 16, "１．５"])
def test_the_points_type_refuses_the_rest(text):
    with pytest.raises(colander.Invalid):
        node().deserialize(text)


def grant_schema():
    # the request only gives the form its CSRF token (kept in its own dummy session)
    request = DummyRequest()
    request.registry = Registry()
    request.registry.registerUtility(LegacySessionCSRFStoragePolicy(), ICSRFStoragePolicy)
    return GrantSchema().bind(request=request, programmes=[("1", "A")], limit=LIMIT)


GOOD = {"programme": "1", "email": "resident@example.jp", "reason": "r",
        "idempotency_key": "k" * 32}


@given(st.one_of(st.text(max_size=30), st.integers().map(str),
                 st.floats(allow_nan=True, allow_infinity=True).map(str)))
def test_the_grant_form_gives_an_amount_in_range_or_an_error(amount):
    try:
        data = grant_schema().deserialize({**GOOD, "amount": amount})
    except colander.Invalid as error:
        assert "amount" in error.asdict()
        return
    assert isinstance(data["amount"], int) and 1 <= data["amount"] <= LIMIT


def test_the_grant_form_drops_fields_it_does_not_know():
    data = grant_schema().deserialize({**GOOD, "amount": "10", "balance": "999",
                                       "user_id": "7", "actor_id": "1"})
    assert set(data) == {"programme", "email", "amount", "reason", "idempotency_key"}


def test_the_grant_form_refuses_a_programme_not_offered():
    with pytest.raises(colander.Invalid) as caught:
        grant_schema().deserialize({**GOOD, "amount": "10", "programme": "2"})
    assert "programme" in caught.value.asdict()
