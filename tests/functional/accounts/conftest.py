"""Helpers for the account tests: reading the outbox, finding links in mails."""

import re

import pytest
from sqlalchemy import select


@pytest.fixture
def outbox(dbsession):
    """outbox() -> list of OutboxMessage, oldest first (reads committed rows)."""
    from kairan.mail.models import OutboxMessage

    def read():
        dbsession.expire_all()
        return list(dbsession.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    return read


def link_in(message, path):
    """The path of the first link in ``message`` that starts with ``path``."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"[^\s]*)", message.body)
    assert match, f"no {path} link in: {message.body}"
    return match.group(1)


def register(testapp, email="hanako@example.jp", password="kawa-no-nagare-ni", name="山田花子",
             status=200):
    return testapp.post_form("/register", {
        "email": email, "display_name": name,
        "new_password": password, "confirm_password": password,
    }, status=status)
