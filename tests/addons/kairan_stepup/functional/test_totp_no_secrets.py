"""No seed, code or key in a log or in the audit table (SECURITY.md "Input, output, logs"):
every TOTP and recovery flow runs with known secrets, then the captured logs and every
audit row are searched for them."""

import json
import logging

from sqlalchemy import select

from kairan.audit.models import AuditEntry
from tests.addons.kairan_stepup.functional.totp_helpers import (
    enrol,
    recovery_codes,
    resident,
    step_up,
)
from tests.functional.security.test_logs import captured_logs  # noqa: F401 - fixture


def test_no_secret_in_the_logs_or_the_audit_table(
        testapp, dbsession, make_user, registry, clock, captured_logs):  # noqa: F811
    user = resident(make_user, testapp, dbsession)
    seed, shown = enrol(testapp, clock)
    codes = recovery_codes(shown)
    secrets_seen = {seed, *codes, *(c.replace("-", "") for c in codes),
                    *registry.settings["kairan.stepup.encryption_keys"]}
    for offset in (1, 2, 3):
        secrets_seen.add(clock.code(seed, offset))
    clock.advance(30)
    step_up(testapp, clock.code(seed))  # success
    step_up(testapp, clock.code(seed), status=400)  # replay
    wrong = f"{(int(clock.code(seed)) + 7) % 1000000:06d}"
    secrets_seen.add(wrong)
    step_up(testapp, wrong, status=400)
    testapp.post_form("/stepup/otp/recovery", {"recovery_code": codes[0]}, status=303)
    testapp.post_form("/stepup/otp/recovery", {"recovery_code": codes[0]}, status=400)
    page = testapp.get("/account/security/recovery-codes")
    fresh = recovery_codes(page.forms["recovery"].submit())
    secrets_seen.update(fresh)
    for _i in range(5):
        step_up(testapp, wrong, status="*")  # into the lockout
    logging.getLogger("kairan_stepup").debug("capture-canary")

    text = captured_logs.getvalue()
    assert "capture-canary" in text
    dbsession.expire_all()
    entries = dbsession.scalars(select(AuditEntry)).all()
    audit_text = json.dumps([[e.action, e.target, e.detail] for e in entries],
                            ensure_ascii=False)
    assert "stepup.otp.lockout" in audit_text and "stepup.recovery.used" in audit_text
    secrets_seen = {s for s in secrets_seen if len(s) >= 6}
    assert len(secrets_seen) >= 25
    leaked = [s for s in secrets_seen if s in text or s in audit_text]
    assert leaked == [], f"{len(leaked)} secrets leaked"
    assert user.id
