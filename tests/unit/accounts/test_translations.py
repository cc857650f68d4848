"""Every message of the accounts, audit and security screens has a Japanese translation."""

import os
import re

import pytest
from babel.messages.extract import extract_python
from babel.messages.pofile import read_po

import kairan
from kairan.accounts.views.register import EXISTS_BODY, EXISTS_SUBJECT, VERIFY_BODY, VERIFY_SUBJECT
from kairan.accounts.views.reset import RESET_BODY, RESET_SUBJECT

SRC = os.path.dirname(kairan.__file__)
THEME = os.path.join(os.path.dirname(os.path.dirname(SRC)), "themes", "kairan_theme_default",
                     "templates")
CATALOGUES = [os.path.join(SRC, "accounts", "locale", "ja", "LC_MESSAGES", "kairan.po"),
              os.path.join(SRC, "locale", "ja", "LC_MESSAGES", "kairan.po")]
PYTHON = ["accounts", "audit/views.py", "security", "views/errors.py"]
TEMPLATES = ["accounts", "manage_users", "audit", "security", "errors", "layout.pt", "footer.pt"]
TRANSLATED = re.compile(r'i18n:translate="">(.*?)</(?:p|h1|h2|a|button|label|span|li|th|'
                        r'dt|caption|tal:t)>', re.S)
NAME = re.compile(r'<span i18n:name="(\w+)">.*?</span>', re.S)


def _files(base, entries, suffix):
    for entry in entries:
        path = os.path.join(base, entry)
        if os.path.isfile(path):
            yield path
        for root, _dirs, names in os.walk(path):
            yield from (os.path.join(root, n) for n in names if n.endswith(suffix))


def _translations():
    table = {}
    for path in CATALOGUES:
        with open(path, "rb") as f:
            for message in read_po(f, locale="ja"):
                if message.id and message.string:
                    table[message.id] = message.string
    return table


def python_ids():
    ids = {VERIFY_SUBJECT, VERIFY_BODY, EXISTS_SUBJECT, EXISTS_BODY, RESET_SUBJECT, RESET_BODY}
    for path in _files(SRC, PYTHON, ".py"):
        with open(path, "rb") as f:
            for _line, _func, message, _comments in extract_python(f, ["_"], [], {}):
                ids.add(message[0] if isinstance(message, tuple) else message)
    return {i for i in ids if i}


def template_ids():
    ids = set()
    for path in _files(THEME, TEMPLATES, ".pt"):
        with open(path, encoding="utf-8") as f:
            text = NAME.sub(r"${\1}", f.read())
        for raw in TRANSLATED.findall(text):
            message = " ".join(raw.split())
            if "<" not in message:
                ids.add(message)
    return ids


def test_the_extraction_finds_messages():
    assert len(python_ids()) > 80 and len(template_ids()) > 30


@pytest.mark.parametrize("source", [python_ids, template_ids])
def test_every_message_has_a_japanese_translation(source):
    table = _translations()
    missing = sorted(m for m in source() if m not in table)
    assert missing == []
