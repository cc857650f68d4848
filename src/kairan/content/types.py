"""The core's content types, registered like any add-on's."""

from kairan.content import models
from kairan.i18n.translation import _

FOLDERISH = ("folder",)


def register_core_types(config):
    from kairan.content import schemas

    add = config.add_content_type
    add("folder", models.Folder, _("Folder"), addable_to=FOLDERISH, folderish=True,
        schema=schemas.FolderSchema)
    add("page", models.Page, _("Page"), addable_to=FOLDERISH, schema=schemas.PageSchema)
    add("news", models.News, _("News"), addable_to=FOLDERISH, schema=schemas.NewsSchema)
    add("event", models.Event, _("Event"), addable_to=FOLDERISH, schema=schemas.EventSchema,
        extra_fields=("start", "end", "place", "place_en"))
    add("link", models.Link, _("Link"), addable_to=FOLDERISH, schema=schemas.LinkSchema,
        extra_fields=("url",))
    add("file", models.File, _("File"), addable_to=FOLDERISH, schema=schemas.FileSchema)
    add("image", models.Image, _("Image"), addable_to=FOLDERISH, schema=schemas.ImageSchema)
