"""Run in a fresh interpreter by test_addon_new.py: the generated add-on inside a real app.

A separate process because importing the add-on's models adds its table to
Kairan's shared metadata, which the rest of the test session must not see.
Prints one JSON object of what it observed; the test asserts on it.
"""

import json
import sys

from sqlalchemy import select

from kairan.config import configure
from kairan.content.models import Folder
from kairan.content.typeinfo import content_types
from kairan.dashboard.services import registered_tiles
from kairan.db.meta import utcnow
from kairan.export.services import registered_exporters
from kairan.testing import TEST_PASSWORD, KairanTestApp


def main(name, url):
    settings = {"sqlalchemy.url": url, "kairan.env": "testing", "kairan.addons": name,
                "kairan.base_url": "http://localhost", "kairan.secret": "proof-" + "x" * 32}
    registry = configure(settings, environ={}).registry
    info = content_types(registry)[name.removeprefix("kairan_") + "_item"]
    session = registry["dbsession_factory"]()
    root = session.scalars(select(Folder).where(Folder.path == "/")).first()
    if root is None:
        root = Folder(name="", path="/", title="ホーム", state="published", published_at=utcnow())
        session.add(root)
        session.flush()
    item = info.model(name="proof-item", path="/proof-item/", parent_id=root.id,
                      title="証明の項目", body="<p>追加機能の本文です。</p>",
                      catalogue_code="P-2025", state="published", published_at=utcnow())
    session.add(item)
    from kairan.accounts.models import User, UserRole
    from kairan.accounts.passwords import hash_password

    user = User(email="proof@example.jp", display_name="証明 太郎", status="active",
                password_hash=hash_password(TEST_PASSWORD), email_verified_at=utcnow())
    user.roles = [UserRole(role="Member")]
    session.add(user)
    editor = User(email="editor@example.jp", display_name="編集 花子", status="active",
                  password_hash=hash_password(TEST_PASSWORD), email_verified_at=utcnow())
    editor.roles = [UserRole(role="Editor")]
    session.add(editor)
    session.commit()
    session.close()

    app = KairanTestApp(configure(settings, environ={}).make_wsgi_app(),
                        extra_environ={"HTTP_HOST": "localhost", "REMOTE_ADDR": "192.0.2.1"})
    app.login("proof@example.jp", TEST_PASSWORD)
    dashboard = app.get("/dashboard", expect_errors=True)
    page = app.get("/proof-item/", expect_errors=True)

    # an editor adds one through Kairan's own add form, which knows nothing of the add-on
    staff = KairanTestApp(app.app, extra_environ=app.extra_environ)
    staff.login("editor@example.jp", TEST_PASSWORD)
    add_form = staff.get(f"/@@add?type={info.name}", expect_errors=True)
    added = staff.post_form("/@@add", {"type": info.name, "title": "画面から追加した項目",
                                       "catalogue_code": "U-0007", "body": "<p>本文</p>",
                                       "name": "added-item"}, expect_errors=True)
    added_page = staff.get("/added-item/", expect_errors=True)
    print(json.dumps({
        "type_addable_in_root": info.addable_in(root),
        "tiles": sorted(registered_tiles(registry)),
        "exporters": sorted(registered_exporters(registry)),
        "dashboard_status": dashboard.status_int,
        "dashboard": dashboard.text,
        "item_status": page.status_int,
        "item": page.text,
        "add_form_status": add_form.status_int,
        "add_form": add_form.text,
        "added_status": added.status_int,
        "added_page_status": added_page.status_int,
        "added_page": added_page.text,
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
