"""Files and images: size limits (before the body is read), type checks, resizing,
download headers."""

import io

import pytest
from PIL import Image as PILImage
from sqlalchemy import select

from kairan.content.models import Blob, Node
from kairan.security.permissions import Role


def png(width, height, fmt="PNG"):
    out = io.BytesIO()
    PILImage.new("RGB", (width, height), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def small_limit(registry, monkeypatch):
    monkeypatch.setitem(registry.settings, "kairan.upload.max_bytes", 5000)
    return 5000


def add(testapp, type_name, filename, data, title="資料", status=303):
    testapp.get(f"/guide/@@add?type={type_name}")
    return testapp.post("/guide/@@add", {"csrf_token": testapp.cookies["kairan_csrf"],
                                         "type": type_name, "title": title, "save": "1"},
                        upload_files=[("upload", filename, data)], status=status)


def test_file_upload_and_download_headers(testapp, dbsession, site, login):
    login(Role.EDITOR)
    response = add(testapp, "file", "予算書 2025.pdf", b"%PDF-1.4 test", title="予算書")
    node = dbsession.scalar(select(Node).where(Node.title == "予算書"))
    assert response.location.endswith(node.path)
    assert node.mimetype == "application/pdf" and node.size == 13
    page = testapp.get(node.path)
    assert "@@download" in page.text
    download = testapp.get(node.path + "@@download")
    assert download.body == b"%PDF-1.4 test"
    assert download.content_type == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert "filename*=UTF-8''%E4%BA%88%E7%AE%97%E6%9B%B8%202025.pdf" in disposition
    assert "sandbox" in download.headers["Content-Security-Policy"]


def test_html_file_is_an_attachment(testapp, dbsession, site, login):
    login(Role.EDITOR)
    add(testapp, "file", "evil.html", b"<script>alert(1)</script>", title="html")
    node = dbsession.scalar(select(Node).where(Node.title == "html"))
    download = testapp.get(node.path + "@@download")
    assert download.headers["Content-Disposition"].startswith("attachment;")


def test_image_is_checked_resized_and_shown_with_size_and_alt(testapp, dbsession, site,
                                                               login):
    login(Role.EDITOR)
    add(testapp, "image", "photo.png", png(2400, 1200), title="夏祭りの写真")
    node = dbsession.scalar(select(Node).where(Node.title == "夏祭りの写真"))
    assert (node.width, node.height) == (2400, 1200)
    assert node.display_blob_id and node.display_blob_id != node.blob_id
    page = testapp.get(node.path)
    assert 'width="1200" height="600"' in page.text
    assert 'alt="夏祭りの写真"' in page.text
    shown = testapp.get(node.path + "@@display")
    assert PILImage.open(io.BytesIO(shown.body)).size == (1200, 600)


def test_image_type_is_checked_by_content(testapp, dbsession, site, login):
    login(Role.EDITOR)
    response = add(testapp, "image", "fake.png", b"GIF89a not really", status=400)
    assert 'id="field-upload-error"' in response.text
    response = add(testapp, "image", "drawing.svg",
                   b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
                   status=400)
    assert dbsession.scalar(select(Node).where(Node.title == "資料")) is None
    assert dbsession.scalar(select(Blob)) is None


def test_missing_file_is_refused(testapp, site, login):
    login(Role.EDITOR)
    testapp.get("/guide/@@add?type=file")
    response = testapp.post("/guide/@@add", {"csrf_token": testapp.cookies["kairan_csrf"],
                                             "type": "file", "title": "x"}, status=400)
    assert 'id="field-upload-error"' in response.text


def test_file_over_the_limit_is_refused(testapp, dbsession, site, login, small_limit):
    login(Role.EDITOR)
    response = add(testapp, "file", "big.bin", b"x" * (small_limit + 1), status=400)
    assert 'id="field-upload-error"' in response.text
    assert dbsession.scalar(select(Blob)) is None


def test_oversized_body_refused_before_it_is_read(app, site, small_limit):
    from webob import Request

    class Unreadable(io.RawIOBase):
        def read(self, *args):
            raise AssertionError("the body was read")

        readinto = read

    request = Request.blank("/guide/@@add", method="POST", environ={
        "CONTENT_TYPE": "multipart/form-data; boundary=x",
        "CONTENT_LENGTH": str(10 * 1024 * 1024), "wsgi.input": Unreadable()})
    response = request.get_response(app)
    assert response.status_int == 413
