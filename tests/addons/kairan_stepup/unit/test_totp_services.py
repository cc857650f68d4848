"""TOTP and recovery-code helpers without a database; the interfaces are implemented."""

import base64

import pyotp
from kairan_stepup.interfaces import IFactorKind
from kairan_stepup.totp import services
from kairan_stepup.totp.factors import OtpAuthenticator, RecoveryCodeKind, TotpKind
from zope.interface.verify import verifyClass

from kairan.security.interfaces import IAuthenticator

NOW = 1_750_000_015.0  # the middle of a 30-second step


def test_the_classes_implement_their_interfaces():
    assert verifyClass(IAuthenticator, OtpAuthenticator)
    assert verifyClass(IFactorKind, TotpKind)
    assert verifyClass(IFactorKind, RecoveryCodeKind)


def test_seeds_are_160_bits_and_random():
    seeds = {services.new_seed() for _i in range(50)}
    assert len(seeds) == 50
    assert all(len(base64.b32decode(seed)) == 20 for seed in seeds)


def test_window_accepts_one_step_either_side_and_no_more():
    seed = services.new_seed()
    totp = pyotp.TOTP(seed)
    step = int(NOW // 30)
    for offset in (-1, 0, 1):
        assert services.matching_step(seed, totp.at(NOW + 30 * offset), NOW) == step + offset
    for offset in (-2, 2):
        assert services.matching_step(seed, totp.at(NOW + 30 * offset), NOW) is None


def test_codes_and_recovery_codes_are_normalised():
    assert services.normalise_code(" 123 456 ") == "123456"
    assert services.normalise_code("12345") is None
    assert services.normalise_code("１２３ ４５６") == "123456"  # full-width, from an IME
    assert services.normalise_code("١٢٣٤٥٦") is None  # other digits are not codes
    assert services.normalise_recovery("AB3CD-7EF9G") == "ab3cd7ef9g"
    assert services.normalise_recovery("ab3cd 7ef9o") == "ab3cd7ef90"  # o read as 0
    assert services.normalise_recovery("ab3cd-7ef9") is None


def test_recovery_hashes_depend_on_the_salt_and_the_pepper():
    pepper = services.pepper({"kairan.secret": "a"})
    other = services.pepper({"kairan.secret": "b"})
    one = services.hash_code(pepper, "00" * 16, "ab3cd7ef9g")
    assert one != services.hash_code(pepper, "11" * 16, "ab3cd7ef9g")
    assert one != services.hash_code(other, "00" * 16, "ab3cd7ef9g")
    assert "ab3cd7ef9g" not in one
