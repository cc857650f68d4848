"""The managers' audit log viewer: filters, JST times, paging, permission."""

from datetime import UTC, datetime

from kairan.audit.models import AuditEntry


def _entry(dbsession, at, action="login.success", actor_id=None, outcome="success", **kw):
    dbsession.add(AuditEntry(at=at, action=action, actor_id=actor_id, outcome=outcome,
                             address="192.0.2.1", detail=kw.get("detail", {}),
                             target=kw.get("target"), on_behalf_of=kw.get("on_behalf_of")))


def _rows(response):
    return response.text.count("<time datetime=")


def test_audit_log_needs_view_audit(testapp, make_user):
    testapp.get("/manage/audit", status=303)
    make_user(email="editor@example.jp", roles=("Editor",))
    testapp.login("editor@example.jp")
    testapp.get("/manage/audit", status=403)


def test_filters_times_in_tokyo_and_paging(testapp, dbsession, make_user):
    manager = make_user(email="boss@example.jp", roles=("Manager",))
    resident = make_user(email="taro@example.jp")
    # 2025-03-31 15:30 UTC is 2025-04-01 00:30 in Tokyo
    _entry(dbsession, datetime(2025, 3, 31, 15, 30, tzinfo=UTC), actor_id=resident.id)
    _entry(dbsession, datetime(2025, 3, 31, 14, 30, tzinfo=UTC), "login.failure",
           resident.id, "failure")
    _entry(dbsession, datetime(2025, 4, 2, 1, 0, tzinfo=UTC), "role.grant", manager.id,
           detail={"role": "Editor"}, target=f"user:{resident.id}")
    _entry(dbsession, datetime(2025, 4, 3, 1, 0, tzinfo=UTC), "content.edit", manager.id,
           on_behalf_of=resident.id)
    for i in range(60):
        _entry(dbsession, datetime(2024, 1, 1, 0, i, tzinfo=UTC), "export.download", manager.id)
    dbsession.commit()
    testapp.login("boss@example.jp")  # adds one login.success entry of today

    everything = testapp.get("/manage/audit")
    assert "65" in everything.text and _rows(everything) == 50
    assert 'rel="next"' in everything.text
    assert _rows(testapp.get("/manage/audit?page=2")) == 15

    april_first = testapp.get("/manage/audit", {"date_from": "2025-04-01",
                                                "date_to": "2025-04-01"})
    assert _rows(april_first) == 1 and "2025-04-01 00:30:00" in april_first.text
    march = testapp.get("/manage/audit", {"date_from": "2025-03-31", "date_to": "2025-03-31"})
    assert _rows(march) == 1 and "2025-03-31 23:30:00" in march.text

    failures = testapp.get("/manage/audit", {"outcome": "failure"})
    assert _rows(failures) == 1 and "login.failure" in failures.text
    by_action = testapp.get("/manage/audit", {"action": "role.grant"})
    assert _rows(by_action) == 1 and "Editor" in by_action.text
    by_email = testapp.get("/manage/audit", {"actor": "taro@example.jp"})
    assert _rows(by_email) == 2
    by_id = testapp.get("/manage/audit", {"actor": str(manager.id)})
    assert "63" in by_id.text and _rows(by_id) == 50
    staff = testapp.get("/manage/audit", {"action": "content.edit"})
    assert "boss@example.jp" in staff.text and "taro@example.jp" in staff.text
    nobody = testapp.get("/manage/audit", {"actor": "nobody@example.jp"})
    assert _rows(nobody) == 0


def test_bad_filters_are_a_400_with_a_message(testapp, make_user):
    make_user(email="boss@example.jp", roles=("Manager",))
    testapp.login("boss@example.jp")
    response = testapp.get("/manage/audit", {"date_from": "yesterday"}, status=400)
    assert 'role="alert"' in response.text and "開始日" in response.text
    testapp.get("/manage/audit", {"outcome": "maybe"}, status=400)
    testapp.get("/manage/audit", {"page": "-1"}, status=400)
