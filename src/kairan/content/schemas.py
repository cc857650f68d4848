"""Colander schemas for the core content types (forms and the JSON API)."""

import colander

from kairan.i18n.translation import _


class ContentSchema(colander.MappingSchema):
    title = colander.SchemaNode(colander.String(), title=_("Title (Japanese)"),
                                validator=colander.Length(min=1, max=300))
    title_en = colander.SchemaNode(colander.String(), title=_("Title (English)"), missing="",
                                   validator=colander.Length(max=300))
    description = colander.SchemaNode(colander.String(), title=_("Summary (Japanese)"),
                                      missing="", validator=colander.Length(max=2000))
    description_en = colander.SchemaNode(colander.String(), title=_("Summary (English)"),
                                         missing="", validator=colander.Length(max=2000))


class FolderSchema(ContentSchema):
    pass


class PageSchema(ContentSchema):
    body = colander.SchemaNode(colander.String(), title=_("Body (Japanese)"), missing="")
    body_en = colander.SchemaNode(colander.String(), title=_("Body (English)"), missing="")


class NewsSchema(PageSchema):
    pass


class EventSchema(PageSchema):
    start = colander.SchemaNode(colander.DateTime(default_tzinfo=None), title=_("Starts"))
    end = colander.SchemaNode(colander.DateTime(default_tzinfo=None), title=_("Ends"),
                              missing=None)
    place = colander.SchemaNode(colander.String(), title=_("Place (Japanese)"), missing="")
    place_en = colander.SchemaNode(colander.String(), title=_("Place (English)"), missing="")


class LinkSchema(ContentSchema):
    url = colander.SchemaNode(colander.String(), title=_("Address (URL)"),
                              validator=colander.url)


class FileSchema(ContentSchema):
    pass


class ImageSchema(ContentSchema):
    pass
