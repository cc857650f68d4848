"""Files and images are created and replaced through the JSON API (base64 bodies)."""

import base64
import io

from PIL import Image as PILImage
from sqlalchemy import select

from kairan.content.models import File, Image

ITEM = "/api/v1/content/{path}"


def b64(data):
    return base64.b64encode(data).decode("ascii")


def png(width=1600, height=900):
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (11, 83, 148)).save(buffer, "PNG")
    return buffer.getvalue()


def test_an_editor_uploads_a_file_and_it_is_served(tree, api, signed_in, testapp, dbsession):
    signed_in("Editor")
    data = "ごみ収集日,地区\n月曜日,北区\n".encode()
    created = api.post("/api/v1/content/news/", {
        "type": "file", "title": "収集日一覧", "name": "calendar",
        "upload": {"filename": "calendar.csv", "data": b64(data)},
    }, status=201).json
    assert created["type"] == "file"
    node = dbsession.scalar(select(File).where(File.path == "/news/calendar/"))
    assert node.filename == "calendar.csv" and node.size == len(data)
    assert node.mimetype == "text/csv"
    assert testapp.get("/news/calendar/@@download").body == data


def test_an_image_is_checked_and_resized_like_a_form_upload(tree, api, signed_in, dbsession):
    signed_in("Editor")
    api.post("/api/v1/content/news/", {
        "type": "image", "title": "避難所の地図", "name": "map",
        "upload": {"filename": "map.png", "data": b64(png())},
    }, status=201)
    node = dbsession.scalar(select(Image).where(Image.path == "/news/map/"))
    assert (node.width, node.height) == (1600, 900)
    assert node.mimetype == "image/png" and node.display_blob_id is not None


def test_a_file_is_replaced_with_patch_and_kept_without(tree, api, signed_in, dbsession):
    signed_in("Editor")
    api.post("/api/v1/content/news/", {
        "type": "file", "title": "様式", "name": "form",
        "upload": {"filename": "form.txt", "data": b64(b"first")},
    }, status=201)
    api.patch(ITEM.format(path="news/form/"), {"title": "申請様式"}, status=200)
    dbsession.expire_all()
    assert dbsession.scalar(select(File).where(File.path == "/news/form/")).size == 5
    api.patch(ITEM.format(path="news/form/"),
              {"upload": {"filename": "form-v2.txt", "data": b64(b"second version")}},
              status=200)
    dbsession.expire_all()
    node = dbsession.scalar(select(File).where(File.path == "/news/form/"))
    assert (node.filename, node.size) == ("form-v2.txt", 14)


def test_bad_uploads_are_refused_and_nothing_is_created(tree, api, signed_in, dbsession):
    signed_in("Editor")
    bad = [
        {"filename": "x.txt", "data": "not base64!"},
        {"filename": "x.txt"},
        {"filename": "", "data": b64(b"x")},
        {"filename": "x.txt", "data": b64(b"x"), "extra": 1},
        "a string",
    ]
    for upload in bad:
        response = api.call("POST", "/api/v1/content/news/", {
            "type": "file", "title": "不正", "upload": upload}, status="*")
        assert response.status_int == 422, (upload, response.text)
        assert "upload" in response.json["fields"]
    missing = api.call("POST", "/api/v1/content/news/", {"type": "file", "title": "空"},
                       status="*")
    assert missing.status_int == 422 and "upload" in missing.json["fields"]
    not_an_image = api.call("POST", "/api/v1/content/news/", {
        "type": "image", "title": "偽の画像",
        "upload": {"filename": "x.png", "data": b64(b"GIF89a but not really")}}, status="*")
    assert not_an_image.status_int == 422 and "upload" in not_an_image.json["fields"]
    dbsession.expire_all()
    assert dbsession.scalars(select(File)).all() == []
