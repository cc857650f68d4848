"""A test certification authority shaped like J-LIS's, for development and the tests.

``make_test_ca(directory)`` writes a self-signed root, an intermediate CA
(J-LIS publishes its user-authentication CA with link certificates between
key generations, so a verifier must build a chain, not just match one
issuer), user certificates that are good, expired and revoked (each with its
private key), and a CRL signed by the intermediate that lists the revoked
one. ``sign_challenge`` answers a challenge as the card-reader app would:
RSA PKCS#1 v1.5 over SHA-256, the certificate in DER, both in base64.

Never for production: the keys are written unencrypted next to the
certificates. ``kairan jpki`` refuses to run when ``kairan.production`` is on.
"""

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

KEY_BITS = 2048  # the card's key size


@dataclass(frozen=True)
class TestCA:
    """Paths of everything ``make_test_ca`` wrote."""

    directory: Path
    root: Path
    intermediate: Path
    trust_anchors: Path  # root + intermediate: what kairan.stepup.jpki.trust_anchors names
    crl: Path
    users: dict  # name ("good", "expired", "revoked") -> (certificate path, key path)

    def user(self, name):
        cert_path, key_path = self.users[name]
        return load_certificate(cert_path.read_bytes()), load_key(key_path.read_bytes())


def _name(common_name, organisation):
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def new_key(kind="rsa"):
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def _ca_certificate(subject, key, issuer, issuer_key, not_before, not_after, path_length):
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
    )
    return builder.sign(issuer_key, hashes.SHA256())


def user_certificate(issuer_cert, issuer_key, key, not_before, not_after,
                     digital_signature=True):
    """A user certificate like the card's: no name or address in it (J-LIS's user
    authentication certificate carries none), key usage digitalSignature only."""
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.COMMON_NAME, secrets.token_hex(12).upper()),
    ])
    return (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.KeyUsage(
            digital_signature=digital_signature, content_commitment=False,
            key_encipherment=not digital_signature, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False,
            decipher_only=False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


def make_crl(issuer_cert, issuer_key, revoked_serials, now, next_update):
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer_cert.subject)
        .last_update(now)
        .next_update(next_update)
    )
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build())
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_test_ca(directory, name="Kairan Test JPKI", crl_days=30, now=None):
    """Write a test CA into ``directory`` (created if missing) and return its paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    start = now - timedelta(days=1)

    root_key = new_key()
    root_name = _name(f"{name} Root CA", name)
    root = _ca_certificate(root_name, root_key, root_name, root_key, start,
                           now + timedelta(days=3650), None)
    inter_key = new_key()
    inter = _ca_certificate(_name(f"{name} User Authentication CA", name), inter_key,
                            root_name, root_key, start, now + timedelta(days=3650), 0)

    users = {}
    periods = {
        "good": (start, now + timedelta(days=5 * 365)),
        "expired": (now - timedelta(days=5 * 365), now - timedelta(days=1)),
        "revoked": (start, now + timedelta(days=5 * 365)),
    }
    serials = {}
    for user, (not_before, not_after) in periods.items():
        key = new_key()
        cert = user_certificate(inter, inter_key, key, not_before, not_after)
        serials[user] = cert.serial_number
        cert_path, key_path = directory / f"{user}.pem", directory / f"{user}.key"
        cert_path.write_bytes(_pem(cert))
        key_path.write_bytes(_key_pem(key))
        key_path.chmod(0o600)
        users[user] = (cert_path, key_path)

    crl = make_crl(inter, inter_key, [serials["revoked"]], now, now + timedelta(days=crl_days))
    paths = {
        "root": directory / "root.pem",
        "intermediate": directory / "intermediate.pem",
        "trust_anchors": directory / "trust-anchors.pem",
        "crl": directory / "intermediate.crl",
    }
    paths["root"].write_bytes(_pem(root))
    paths["intermediate"].write_bytes(_pem(inter))
    paths["trust_anchors"].write_bytes(_pem(root) + _pem(inter))
    paths["crl"].write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    # The CA keys let a test issue more certificates (another CRL, a bad extension).
    for label, key in (("root", root_key), ("intermediate", inter_key)):
        key_path = directory / f"{label}.key"
        key_path.write_bytes(_key_pem(key))
        key_path.chmod(0o600)
    return TestCA(directory=directory, users=users, **paths)


def load_certificate(data: bytes) -> x509.Certificate:
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def load_key(data: bytes):
    return serialization.load_pem_private_key(data, password=None)


def sign_bytes(key, message: bytes) -> bytes:
    """What the card does: PKCS#1 v1.5 over SHA-256 (ECDSA with SHA-256 for an EC key)."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(message, ec.ECDSA(hashes.SHA256()))
    return key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def sign_challenge(key, certificate, challenge: str) -> str:
    """The response the card-reader app shows for the resident to paste: JSON with the
    challenge it signed, the signature and the certificate (DER), both in base64."""
    return json.dumps({
        "challenge": challenge,
        "signature": base64.b64encode(sign_bytes(key, challenge.encode("utf-8"))).decode(),
        "certificate": base64.b64encode(
            certificate.public_bytes(serialization.Encoding.DER)).decode(),
    })
