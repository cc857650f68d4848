"""A signed-in user refused a page is on record, even though the request rolls back."""

from sqlalchemy import select

from kairan.audit.models import AuditEntry


def denials(dbsession):
    dbsession.expire_all()
    return dbsession.scalars(select(AuditEntry).where(AuditEntry.action == "access.denied")).all()


def test_a_member_refused_the_audit_log_is_audited(testapp, make_user, dbsession):
    member = make_user(roles=("Member",))
    testapp.login(member.email)
    testapp.get("/manage/audit", status=403)
    entries = denials(dbsession)
    assert len(entries) == 1
    assert entries[0].actor_id == member.id
    assert entries[0].outcome == "denied"
    assert entries[0].target == "GET /manage/audit"
    assert entries[0].address == "192.0.2.10"


def test_an_api_refusal_is_audited_too(testapp, make_user, dbsession):
    member = make_user(roles=("Member",))
    testapp.login(member.email)
    testapp.get("/manage/users", headers={"Accept": "application/json"}, status=403)
    assert [e.target for e in denials(dbsession)] == ["GET /manage/users"]


def test_anonymous_visitors_are_sent_to_sign_in_without_an_entry(testapp, dbsession):
    testapp.get("/manage/audit", status=303)
    assert denials(dbsession) == []
