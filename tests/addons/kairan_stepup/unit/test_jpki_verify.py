"""The card checks on their own: signature algorithms, key usage, chains, CRLs, and the
revocation-checker directive, without a database."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from kairan_stepup.interfaces import IMyNumberProvider, IRevocationChecker
from kairan_stepup.jpki.revocation import CrlFileChecker, Revoked, set_revocation_checker
from kairan_stepup.jpki.testca import (
    load_certificate,
    load_key,
    make_crl,
    make_test_ca,
    new_key,
    sign_bytes,
    user_certificate,
)
from kairan_stepup.jpki.verify import (
    CardRefused,
    binding_subject,
    challenge_text,
    parse_challenge,
    parse_response,
    verify_card,
)
from pyramid.config import Configurator
from pyramid.registry import Registry
from zope.interface import implementer
from zope.interface.verify import verifyObject

MESSAGE = b"kairan-jpki-v1 origin=https://city.example.jp nonce=x time=2026-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return make_test_ca(tmp_path_factory.mktemp("unit-ca"))


def request_for(ca, crl_files=None):
    registry = Registry("test")
    registry.settings = {"kairan.stepup.jpki.trust_anchors": [str(ca.trust_anchors)],
                         "kairan.stepup.jpki.crl_files": [str(p) for p in
                                                          (crl_files or [ca.crl])]}
    return SimpleNamespace(registry=registry)


def intermediate(ca):
    return (load_certificate(ca.intermediate.read_bytes()),
            load_key((ca.directory / "intermediate.key").read_bytes()))


def reason(call):
    with pytest.raises(CardRefused) as refused:
        call()
    return refused.value.reason


def test_a_good_card_passes_and_binds_by_issuer_and_serial(ca):
    cert, key = ca.user("good")
    card = verify_card(request_for(ca), MESSAGE, sign_bytes(key, MESSAGE), cert)
    assert card.subject == binding_subject(cert) and len(card.subject) == 64
    assert card.not_after == cert.not_valid_after_utc


def test_an_ecdsa_card_key_is_accepted(ca):
    inter, inter_key = intermediate(ca)
    key = new_key("ec")
    now = datetime.now(UTC)
    cert = user_certificate(inter, inter_key, key, now - timedelta(days=1),
                            now + timedelta(days=30))
    verify_card(request_for(ca), MESSAGE, sign_bytes(key, MESSAGE), cert)


def test_a_certificate_without_digital_signature_is_refused(ca):
    inter, inter_key = intermediate(ca)
    key = new_key()
    now = datetime.now(UTC)
    cert = user_certificate(inter, inter_key, key, now - timedelta(days=1),
                            now + timedelta(days=30), digital_signature=False)
    assert reason(lambda: verify_card(request_for(ca), MESSAGE, sign_bytes(key, MESSAGE),
                                      cert)) == "key_usage"


def test_a_certificate_issued_by_a_user_certificate_is_refused(ca):
    user_cert, user_key = ca.user("good")
    key = new_key()
    now = datetime.now(UTC)
    forged = user_certificate(user_cert, user_key, key, now - timedelta(days=1),
                              now + timedelta(days=30))
    assert reason(lambda: verify_card(request_for(ca), MESSAGE, sign_bytes(key, MESSAGE),
                                      forged)) == "chain"


def test_without_trust_anchors_every_card_is_refused(ca):
    cert, key = ca.user("good")
    request = request_for(ca)
    request.registry.settings["kairan.stepup.jpki.trust_anchors"] = []
    assert reason(lambda: verify_card(request, MESSAGE, sign_bytes(key, MESSAGE),
                                      cert)) == "chain"


def test_a_crl_not_signed_by_the_issuer_is_ignored(ca, tmp_path):
    from cryptography.hazmat.primitives import serialization

    inter, _key = intermediate(ca)
    now = datetime.now(UTC)
    forged = make_crl(inter, new_key(), [], now, now + timedelta(days=1))  # wrong key
    path = tmp_path / "forged.crl"
    path.write_bytes(forged.public_bytes(serialization.Encoding.PEM))
    cert, key = ca.user("good")
    assert reason(lambda: verify_card(request_for(ca, [path]), MESSAGE,
                                      sign_bytes(key, MESSAGE), cert)) == "revocation_unknown"


def test_a_missing_crl_file_means_unknown_never_good(ca, tmp_path):
    cert, key = ca.user("good")
    assert reason(lambda: verify_card(request_for(ca, [tmp_path / "none.crl"]), MESSAGE,
                                      sign_bytes(key, MESSAGE), cert)) == "revocation_unknown"


def test_a_renewed_crl_file_is_read_again(ca, tmp_path):
    import os

    from cryptography.hazmat.primitives import serialization

    inter, inter_key = intermediate(ca)
    cert, key = ca.user("good")
    now = datetime.now(UTC)
    path = tmp_path / "live.crl"
    path.write_bytes(make_crl(inter, inter_key, [], now, now + timedelta(days=1))
                     .public_bytes(serialization.Encoding.DER))
    request = request_for(ca, [path])
    verify_card(request, MESSAGE, sign_bytes(key, MESSAGE), cert)
    path.write_bytes(make_crl(inter, inter_key, [cert.serial_number], now,
                              now + timedelta(days=1)).public_bytes(serialization.Encoding.DER))
    os.utime(path, ns=(1, 1))  # a different mtime, even within the same clock tick
    assert reason(lambda: verify_card(request, MESSAGE, sign_bytes(key, MESSAGE),
                                      cert)) == "revoked"


def test_an_operator_can_replace_the_crl_checker_and_only_once():
    @implementer(IRevocationChecker)
    class Ocsp:
        def check(self, request, certificate, issuer):
            raise Revoked()

    assert verifyObject(IRevocationChecker, Ocsp())
    assert verifyObject(IRevocationChecker, CrlFileChecker())
    config = Configurator(settings={})
    config.add_directive("set_revocation_checker", set_revocation_checker)
    config.set_revocation_checker(Ocsp)
    config.commit()
    assert isinstance(config.registry.getUtility(IRevocationChecker), Ocsp)
    with pytest.raises(TypeError):
        config.set_revocation_checker(object())
    config.set_revocation_checker(Ocsp())
    config.set_revocation_checker(Ocsp())
    from pyramid.exceptions import ConfigurationConflictError

    with pytest.raises(ConfigurationConflictError):
        config.commit()


def test_both_providers_provide_the_interface():
    from kairan_stepup.jpki.authenticators import CardReaderProvider
    from kairan_stepup.oidc.provider import AuthenticationAppProvider

    assert verifyObject(IMyNumberProvider, CardReaderProvider())
    assert verifyObject(IMyNumberProvider, AuthenticationAppProvider())


def test_the_challenge_line_round_trips_and_odd_input_is_malformed(ca):
    now = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
    text = challenge_text("https://city.example.jp", b"\x01" * 32, now)
    assert text == ("kairan-jpki-v1 origin=https://city.example.jp "
                    "nonce=AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE time=2026-04-01T09:30:00Z")
    assert parse_challenge(text).nonce == b"\x01" * 32
    for bad in ("", "kairan-jpki-v1 origin=x nonce=short time=now", text + " extra"):
        assert reason(lambda bad=bad: parse_challenge(bad)) == "malformed"
    cert_pem = ca.users["good"][0].read_bytes()
    for response, signature, certificate in (
            ("[]", "", b""), ('{"signature": 1}', "", b""), ("", "!!!", cert_pem),
            ("", "AAAA", b"not a certificate"), ("", "AAAA", b"x" * 20000)):
        assert reason(lambda r=response, s=signature, c=certificate:
                      parse_response(r, s, c)) == "malformed"
    assert parse_response("", "AAAA", cert_pem).certificate == load_certificate(cert_pem)
    assert load_key(ca.users["good"][1].read_bytes()) is not None
