"""The password policy and argon2id parameters (SECURITY.md, "Sign-in and sessions")."""

import pytest
from argon2 import extract_parameters
from argon2.low_level import Type

from kairan.accounts.passwords import (
    blocklist,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)


def test_hash_is_argon2id_with_at_least_19_mib_and_two_passes():
    params = extract_parameters(hash_password("a long enough phrase"))
    assert params.type is Type.ID
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2


def test_verify():
    stored = hash_password("kawa-no-nagare")
    assert verify_password(stored, "kawa-no-nagare")
    assert not verify_password(stored, "kawa-no-nagarE")
    assert not verify_password(None, "kawa-no-nagare")  # unknown account: dummy hash, False
    assert not verify_password("not a hash", "x")
    assert not needs_rehash(stored)


@pytest.mark.parametrize("length, ok", [(7, False), (8, True), (128, True), (129, False)])
def test_length_boundaries(length, ok):
    password = ("ab3-" * 40)[:length]
    assert (password_problems(password) == []) is ok


def test_length_counts_characters_not_bytes():
    assert password_problems("日本語のパスワ") != []  # 7 characters, 21 bytes
    assert password_problems("日本語のパスワード") == []


def test_no_composition_rules():
    assert password_problems("correct horse battery staple") == []
    assert password_problems("ひらがなだけのながいあいことば") == []


def test_blocklist_is_large_and_normalised():
    assert len(blocklist()) > 10_000
    for common in ("password", "PASSWORD1", "ｐａｓｓｗｏｒｄ１", "iloveyou", "qwertyuiop",
                   "sakura123"):
        problems = password_problems(common)
        assert any("common" in str(p) for p in problems), common


def test_context_words_are_refused():
    words = ["回覧板市", "kairan", "taro.yamada", "山田太郎"]
    assert password_problems("my-taro.yamada-pass", words)
    assert password_problems("山田太郎のぱすわーど", words)
    assert password_problems("KAIRAN-town-2025", words)
    assert password_problems("kawa-no-nagare-ni", words) == []
    assert password_problems("ab-cd-ef-gh", ["ab"]) == []  # words under 3 characters are ignored
