"""Colander schemas for the core content types (the editor's forms and the JSON API).

Each schema is bound before use: ``Schema().bind(request=request, editing=bool)``.
On an add form the ``name`` (address) node is offered; on an edit form it is
removed, and a File's or Image's upload becomes optional (keep the old file).
Every text has a length limit, a link only takes http(s) and mailto
addresses, and times without a zone are read as Tokyo time.
"""

from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import colander
import deform.widget

from kairan.i18n.translation import _

TOKYO = ZoneInfo("Asia/Tokyo")
TITLE_MAX = 300
SUMMARY_MAX = 2000
BODY_MAX = 200_000
URL_SCHEMES = ("http", "https", "mailto")


class Upload(colander.SchemaType):
    """A file from a form or the API: a ``cgi.FieldStorage``-like object with
    ``file`` and ``filename``, or a dict with ``fp`` or ``data`` and ``filename``.
    Deserializes to ``{"fp" | "data", "filename"}``; the size and, for
    images, the type are checked when it is stored."""

    def serialize(self, node, appstruct):
        return colander.null

    def deserialize(self, node, cstruct):
        if cstruct in (colander.null, None, "", b""):
            return colander.null
        if isinstance(cstruct, dict):
            if not (cstruct.get("fp") or cstruct.get("data")):
                return colander.null
            return {k: cstruct.get(k) for k in ("fp", "data", "filename")}
        fp, filename = getattr(cstruct, "file", None), getattr(cstruct, "filename", None)
        if fp is None or not filename:
            raise colander.Invalid(node, _("Choose a file to upload."))
        return {"fp": fp, "filename": filename}


class UploadWidget(deform.widget.Widget):
    """Passes the uploaded file through (rendered by Kairan's own form template)."""

    def serialize(self, field, cstruct, **kw):
        return ""

    def deserialize(self, field, pstruct):
        if pstruct in (colander.null, "", b"") or not getattr(pstruct, "filename", None):
            return colander.null
        return pstruct


class LocalDateTimeWidget(deform.widget.TextInputWidget):
    """``<input type="datetime-local">``: no JavaScript needed."""

    input_type = "datetime-local"


def text(title, max_length, required=False, widget=None, description=None):
    kw = {} if required else {"missing": ""}
    return colander.SchemaNode(
        colander.String(), title=title, description=description,
        validator=colander.Length(min=1 if required else 0, max=max_length,
                                  max_err=_("At most ${max} characters.")),
        widget=widget or deform.widget.TextInputWidget(), **kw)


def textarea(title, max_length, description=None):
    return text(title, max_length, widget=deform.widget.TextAreaWidget(rows=12),
                description=description)


def web_address(node, value):
    parts = urlsplit(value)
    if parts.scheme.lower() not in URL_SCHEMES or (parts.scheme != "mailto" and not parts.netloc):
        raise colander.Invalid(node, _("Enter a web address starting with https:// or http://."))




class ContentSchema(colander.MappingSchema):
    name = colander.SchemaNode(
        colander.String(), title=_("Address (URL segment)"), missing="",
        description=_("Lower-case letters, digits and '-'. Leave empty to make one from "
                      "the English title."),
        validator=colander.Regex(r"^[a-z0-9][a-z0-9_-]{0,99}$",
                                 _("Use lower-case letters, digits, '-' or '_'.")),
        widget=deform.widget.TextInputWidget())
    title = text(_("Title (Japanese)"), TITLE_MAX, required=True)
    title_en = text(_("Title (English)"), TITLE_MAX)
    description = text(_("Summary (Japanese)"), SUMMARY_MAX,
                       widget=deform.widget.TextAreaWidget(rows=3))
    description_en = text(_("Summary (English)"), SUMMARY_MAX,
                          widget=deform.widget.TextAreaWidget(rows=3))
    in_navigation = colander.SchemaNode(colander.Boolean(), title=_("Show in the menus"),
                                        missing=False, widget=deform.widget.CheckboxWidget())

    def after_bind(self, node, kw):
        if kw.get("editing") and "name" in node:
            del node["name"]


class FolderSchema(ContentSchema):
    body = textarea(_("Introduction (Japanese, HTML)"), BODY_MAX)
    body_en = textarea(_("Introduction (English, HTML)"), BODY_MAX)


class PageSchema(ContentSchema):
    body = textarea(_("Body (Japanese, HTML)"), BODY_MAX,
                    description=_("Headings, lists, tables, links and images are kept; "
                                  "scripts and styles are removed."))
    body_en = textarea(_("Body (English, HTML)"), BODY_MAX)


class NewsSchema(PageSchema):
    pass


class EventSchema(PageSchema):
    start = colander.SchemaNode(colander.DateTime(default_tzinfo=TOKYO), title=_("Starts"),
                                widget=LocalDateTimeWidget())
    end = colander.SchemaNode(colander.DateTime(default_tzinfo=TOKYO), title=_("Ends"),
                              missing=None, widget=LocalDateTimeWidget())
    place = text(_("Place (Japanese)"), TITLE_MAX)
    place_en = text(_("Place (English)"), TITLE_MAX)

    def validator(self, node, value):
        end, start = value.get("end"), value.get("start")
        if end and start and end < start:
            error = colander.Invalid(node)
            error["end"] = _("The end must not be before the start.")
            raise error


class LinkSchema(ContentSchema):
    url = colander.SchemaNode(colander.String(), title=_("Address (URL)"),
                              validator=colander.All(colander.Length(max=2000), web_address),
                              widget=deform.widget.TextInputWidget())


class FileSchema(ContentSchema):
    upload = colander.SchemaNode(Upload(), title=_("File"), widget=UploadWidget())

    def after_bind(self, node, kw):
        super().after_bind(node, kw)
        if kw.get("editing"):
            node["upload"].missing = colander.drop
            node["upload"].description = _("Leave empty to keep the current file.")


class ImageSchema(FileSchema):
    upload = colander.SchemaNode(Upload(), title=_("Image (JPEG, PNG, GIF or WebP)"),
                                 widget=UploadWidget())
