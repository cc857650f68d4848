"""Helpers for the merchant tests: the outbox, the application form as deform posts it."""

import re

import pytest
from sqlalchemy import select

BRANCH_KEYS = ("name", "postal_code", "address", "area", "phone", "hours")
SHOP = {"name": "回覧板マート 中央店", "postal_code": "980-0001", "address": "回覧板市中央1-2-3",
        "area": "chuo", "phone": "022-201-0001", "hours": "9:00〜22:00"}


def application_fields(**overrides):
    """The application form's values; ``branches`` is a list of up to 4 dicts."""
    fields = {
        "legal_name": "株式会社テスト商事", "trade_name": "テストマート", "trade_name_en": "",
        "category": "supermarket", "programmes": ["regional2025"],
        "contact_name": "山田 太郎", "contact_email": "owner@example.jp",
        "contact_phone": "022-211-2111", "branches": [SHOP],
        "declared_not_antisocial": True, "declared_not_adult_business": True,
        "declared_no_cash_equivalents": True,
    }
    fields.update(overrides)
    return fields


def application_params(csrf, fields):
    """The (name, value) pairs deform expects (peppercorn markers for the nested parts)."""
    params = [("csrf_token", csrf), ("_charset_", "UTF-8"), ("__formid__", "form")]
    for key in ("legal_name", "trade_name", "trade_name_en", "category"):
        params.append((key, fields[key]))
    params.append(("__start__", "programmes:sequence"))
    params += [("checkbox", code) for code in fields["programmes"]]
    params.append(("__end__", "programmes:sequence"))
    for key in ("contact_name", "contact_email", "contact_phone"):
        params.append((key, fields[key]))
    branches = list(fields["branches"]) + [{}] * (4 - len(fields["branches"]))
    for index, branch in enumerate(branches, start=1):
        params.append(("__start__", f"branch_{index}:mapping"))
        params += [(key, branch.get(key, "")) for key in BRANCH_KEYS]
        params.append(("__end__", f"branch_{index}:mapping"))
    for key in ("declared_not_antisocial", "declared_not_adult_business",
                "declared_no_cash_equivalents"):
        if fields[key]:
            params.append((key, "true"))
    params.append(("submit", "submit"))
    return params


def post_application(testapp, status=200, **overrides):
    testapp.get("/shops/apply")
    return testapp.post("/shops/apply", application_params(testapp.csrf_token(),
                                                            application_fields(**overrides)),
                        status=status)


def link_in(message, path):
    match = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"[^\s]*)", message.body)
    assert match, f"no {path} link in: {message.body}"
    return match.group(1)


@pytest.fixture
def outbox(dbsession):
    from kairan.mail.models import OutboxMessage

    def read(recipient=None):
        dbsession.expire_all()
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if recipient is not None:
            query = query.where(OutboxMessage.recipient == recipient)
        return list(dbsession.scalars(query))

    return read


@pytest.fixture
def operator(make_user):
    return make_user(email="operator@example.jp", roles=("Member", "Operator"),
                     display_name="田中 運用")


def decide(testapp, application_id, decision, text=""):
    url = f"/manage/merchants/applications/{application_id}"
    return testapp.post(url, [
        ("csrf_token", testapp.csrf_token()), ("_charset_", "UTF-8"), ("__formid__", "form"),
        ("__start__", "decision:rename"), ("deformField1", decision),
        ("__end__", "decision:rename"),
        ("text", text), ("submit", "submit")], status="*")
