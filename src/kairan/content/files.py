"""Uploaded files and images: size limit, type check, resized display copy.

The request body is refused before it is read when ``CONTENT_LENGTH`` is over
``kairan.upload.max_bytes`` (``check_request_size``, called by the views
first); the stored bytes are checked again here, since the API may hand in
an upload from elsewhere. An image must be a JPEG, PNG, GIF or WebP that
Pillow can decode; pages show a re-encoded copy at most ``DISPLAY_MAX``
pixels wide or high, which also drops the camera's metadata (GPS position).
"""

import hashlib
import io
import mimetypes
import os
import re
import warnings

from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError
from pyramid.httpexceptions import HTTPLengthRequired, HTTPRequestEntityTooLarge
from pyramid.router import default_execution_policy
from sqlalchemy import delete, select

from kairan.content.models import Blob, File, Image
from kairan.i18n.translation import _

DISPLAY_MAX = 1200
MAX_PIXELS = 40_000_000
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif",
                 "WEBP": "image/webp"}
# other form fields of an upload form fit in this
FORM_OVERHEAD = 64 * 1024
# served inline; everything else is an attachment
INLINE_TYPES = frozenset(set(IMAGE_FORMATS.values()) | {"application/pdf"})


def max_bytes(request) -> int:
    return request.registry.settings["kairan.upload.max_bytes"]


def body_too_large(environ, settings) -> bool:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings["kairan.upload.max_bytes"] + FORM_OVERHEAD


def bounded_execution_policy(policy):
    """Wrap an execution policy so that an oversized body is never read.

    pyramid_retry's policy copies the whole body (to replay it on a retry)
    before any tween or subscriber runs; a request announcing too large a
    body skips it and goes straight to the view pipeline, where
    ``refuse_oversized_body`` answers 413 without touching ``wsgi.input``.
    """

    def execution_policy(environ, router):
        if body_too_large(environ, router.registry.settings):
            return default_execution_policy(environ, router)
        return policy(environ, router)

    return execution_policy


def refuse_oversized_body(event):
    """``NewRequest`` subscriber: runs before the CSRF check, which would parse the body."""
    check_request_size(event.request)


def check_request_size(request):
    """Refuse (413/411) a request whose body would exceed the upload limit, unread."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    length = request.content_length
    if length is None:
        if request.content_type == "multipart/form-data":
            raise HTTPLengthRequired()
        return
    if length > max_bytes(request) + FORM_OVERHEAD:
        raise HTTPRequestEntityTooLarge(_cookie_localizer(request).translate(
            too_large_message(request)))


def _cookie_localizer(request):
    # request.localizer would negotiate from request.params, which parses the body
    from pyramid.interfaces import ILocalizer

    from kairan.i18n.translation import LOCALE_COOKIE

    settings = request.registry.settings
    locale = request.cookies.get(LOCALE_COOKIE)
    if locale not in settings["kairan.locales"]:
        locale = settings["kairan.default_locale"]
    localizer = request.registry.queryUtility(ILocalizer, name=locale)
    return localizer if localizer is not None else request.localizer


def too_large_message(request):
    return _("The file is too large: at most ${size} MB.",
             mapping={"size": f"{max_bytes(request) / 1024 / 1024:g}"})


def clean_filename(filename) -> str:
    name = os.path.basename(str(filename or "").replace("\\", "/"))
    name = re.sub(r"[\x00-\x1f\x7f\"]", "", name).strip(" .")
    return name[-255:] or "file"


def _read(request, upload):
    from kairan.content.services import ContentError

    if isinstance(upload, dict):
        data, fp = upload.get("data"), upload.get("fp")
        filename = upload.get("filename")
    else:  # a cgi.FieldStorage-like object from WebOb
        data, fp, filename = None, getattr(upload, "file", None), getattr(upload, "filename", None)
    limit = max_bytes(request)
    if data is None:
        if fp is None:
            raise ContentError(_("Choose a file to upload."), field="upload")
        if hasattr(fp, "seek"):
            fp.seek(0)
        data = fp.read(limit + 1)
    if len(data) > limit:
        raise ContentError(too_large_message(request), field="upload")
    if not data:
        raise ContentError(_("The file is empty."), field="upload")
    return bytes(data), clean_filename(filename)


def _store_blob(dbsession, data) -> Blob:
    digest = hashlib.sha256(data).hexdigest()
    existing = dbsession.scalar(
        select(Blob).where(Blob.sha256 == digest, Blob.size == len(data)).limit(1)
    )
    if existing is not None:
        return existing
    blob = Blob(data=data, sha256=digest, size=len(data))
    dbsession.add(blob)
    dbsession.flush()
    return blob


def display_size(width, height, limit=DISPLAY_MAX):
    """The size of the display copy of a ``width`` x ``height`` image."""
    if not width or not height:
        return width, height
    scale = min(1.0, limit / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _open_image(data):
    from kairan.content.services import ContentError

    bad = ContentError(_("This is not an image we can show (use JPEG, PNG, GIF or WebP)."),
                       field="upload")
    with warnings.catch_warnings():
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        try:
            picture = PILImage.open(io.BytesIO(data))
            if picture.format not in IMAGE_FORMATS:
                raise bad
            if picture.width * picture.height > MAX_PIXELS:
                raise ContentError(_("The image has too many pixels."), field="upload")
            picture.load()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
                PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
            raise bad from None
    return picture


def _display_copy(picture) -> bytes:
    fmt = picture.format
    shown = ImageOps.exif_transpose(picture)
    shown.thumbnail((DISPLAY_MAX, DISPLAY_MAX))
    out = io.BytesIO()
    if fmt == "JPEG":
        shown.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    else:
        if shown.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            shown = shown.convert("RGBA")
        shown.save(out, "PNG", optimize=True)
    return out.getvalue()


def store_upload(request, node, upload):
    """Check and store ``upload`` as the content of ``node`` (a File or Image).

    ``upload`` is a dict with ``fp`` (a file object) or ``data`` (bytes) and
    ``filename``, or a ``cgi.FieldStorage``-like object.
    """
    data, filename = _read(request, upload)
    dbsession = request.dbsession
    if isinstance(node, Image):
        picture = _open_image(data)
        node.mimetype = IMAGE_FORMATS[picture.format]
        node.width, node.height = picture.size
        shown = ImageOps.exif_transpose(picture)
        node.width, node.height = shown.size
        node.display_blob_id = _store_blob(dbsession, _display_copy(picture)).id
    else:
        guessed, _encoding = mimetypes.guess_type(filename, strict=False)
        node.mimetype = (guessed or "application/octet-stream")[:100]
        node.width = node.height = node.display_blob_id = None
    node.filename = filename
    node.size = len(data)
    node.blob_id = _store_blob(dbsession, data).id


def delete_unused_blobs(dbsession, blob_ids):
    """Delete those of ``blob_ids`` that no file refers to any more."""
    if not blob_ids:
        return
    used = set(dbsession.scalars(select(File.blob_id).where(File.blob_id.in_(blob_ids))))
    used |= set(dbsession.scalars(
        select(File.display_blob_id).where(File.display_blob_id.in_(blob_ids))
    ))
    unused = set(blob_ids) - used
    if unused:
        dbsession.execute(delete(Blob).where(Blob.id.in_(unused))
                          .execution_options(synchronize_session=False))


def is_inline(mimetype) -> bool:
    return mimetype in INLINE_TYPES



