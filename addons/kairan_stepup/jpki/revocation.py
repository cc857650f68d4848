"""Revocation of a card's user certificate: the CRL-file checker and the directive that
replaces it.

J-LIS publishes a CRL for each of its CAs; an operator fetches it from cron
(it is renewed daily) and names the files in ``kairan.stepup.jpki.crl_files``.
A file is re-read when its modification time changes, so a fresh CRL needs
no restart. A CRL whose signature is not the issuer's, or whose next update
has passed, is not used; a certificate no current CRL speaks for is refused
as "status unknown" (fail closed).
"""

import os
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from zope.interface import implementer

from kairan_stepup.interfaces import IRevocationChecker


class Revoked(Exception):
    """The certificate is on its issuer's revocation list."""


class StatusUnknown(Exception):
    """No trustworthy, current answer about the certificate (``reason`` says why)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def load_crls(data: bytes):
    if b"-----BEGIN" in data:
        return [x509.load_pem_x509_crl(block) for block in _pem_blocks(data, b"X509 CRL")]
    return [x509.load_der_x509_crl(data)]


def _pem_blocks(data, label):
    begin, end = b"-----BEGIN " + label + b"-----", b"-----END " + label + b"-----"
    blocks, start = [], data.find(begin)
    while start != -1:
        stop = data.index(end, start) + len(end)
        blocks.append(data[start:stop])
        start = data.find(begin, stop)
    return blocks


class FileCache:
    """Parsed contents of files, re-read when a file's size or modification time changes."""

    def __init__(self, parse):
        self.parse = parse
        self.entries = {}

    def get(self, path):
        stat = os.stat(path)
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self.entries.get(path)
        if cached is None or cached[0] != key:
            with open(path, "rb") as f:
                cached = (key, self.parse(f.read()))
            self.entries[path] = cached
        return cached[1]


@implementer(IRevocationChecker)
class CrlFileChecker:
    """Checks certificates against the CRL files in ``kairan.stepup.jpki.crl_files``."""

    def __init__(self):
        self.cache = FileCache(load_crls)

    def crls(self, settings):
        found = []
        for path in settings["kairan.stepup.jpki.crl_files"]:
            try:
                found.extend(self.cache.get(path))
            except (OSError, ValueError):
                # A missing or unreadable file is an operator's problem to fix; the
                # certificates it covered become "unknown", never "good".
                continue
        return found

    def check(self, request, certificate, issuer):
        now = datetime.now(UTC)
        current = None
        for crl in self.crls(request.registry.settings):
            if crl.issuer != issuer.subject:
                continue
            try:
                if not crl.is_signature_valid(issuer.public_key()):
                    continue
            except (InvalidSignature, TypeError, ValueError):
                continue
            if crl.next_update_utc is None or crl.next_update_utc < now:
                continue
            if current is None or crl.last_update_utc > current.last_update_utc:
                current = crl
        if current is None:
            raise StatusUnknown("no_current_crl")
        if current.get_revoked_certificate_by_serial_number(certificate.serial_number):
            raise Revoked()


def set_revocation_checker(config, checker):
    """Directive: use ``checker`` (an ``IRevocationChecker``, or a dotted name) instead of
    the CRL files, e.g. an operator's OCSP client."""
    checker = config.maybe_dotted(checker)
    if isinstance(checker, type):
        checker = checker()
    if not IRevocationChecker.providedBy(checker):
        raise TypeError(f"{checker!r} does not provide IRevocationChecker")

    def register():
        config.registry.registerUtility(checker, IRevocationChecker)

    config.action("kairan_stepup.revocation_checker", register)


def revocation_checker(registry):
    """The operator's checker if one was set, else the built-in CRL-file checker."""
    checker = registry.queryUtility(IRevocationChecker)
    if checker is None:
        checker = registry.get("kairan_stepup.crl_checker")
        if checker is None:
            checker = registry["kairan_stepup.crl_checker"] = CrlFileChecker()
    return checker
