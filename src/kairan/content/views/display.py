"""The pages of the tree: one default view per type, the home page, file bytes."""

from urllib.parse import quote

from pyramid.httpexceptions import HTTPNotFound
from pyramid.renderers import render_to_response
from pyramid.response import Response
from pyramid.view import view_config

from kairan.content.files import display_size, is_inline
from kairan.content.models import Blob, Event, File, Folder, Image, Link, News, Page
from kairan.content.queries import latest_news, upcoming_events, visible_children
from kairan.content.views.common import page_values
from kairan.db.meta import utcnow
from kairan.security.permissions import Permission

TEMPLATES = "kairan_theme_default:templates/content/"


def listing(context, request):
    toolbar_permission = Permission.VIEW
    return visible_children(request, context, toolbar_permission)


@view_config(context=Folder, permission=Permission.VIEW)
def folder_view(context, request):
    items = listing(context, request)
    if context.parent_id is None:
        values = page_values(context, request, news=latest_news(request.dbsession),
                             events=upcoming_events(request.dbsession, utcnow()), items=items)
        return render_to_response(TEMPLATES + "home.pt", values, request=request)
    values = page_values(context, request, items=items,
                         can_reorder=request.has_permission(Permission.EDIT, context))
    return render_to_response(TEMPLATES + "folder.pt", values, request=request)


@view_config(context=Page, permission=Permission.VIEW, renderer=TEMPLATES + "page.pt")
@view_config(context=News, permission=Permission.VIEW, renderer=TEMPLATES + "page.pt")
def page_view(context, request):
    return page_values(context, request)


@view_config(context=Event, permission=Permission.VIEW, renderer=TEMPLATES + "event.pt")
def event_view(context, request):
    return page_values(context, request, place=context.localized("place", request.locale_name)[0])


@view_config(context=Link, permission=Permission.VIEW, renderer=TEMPLATES + "link.pt")
def link_view(context, request):
    return page_values(context, request)


@view_config(context=File, permission=Permission.VIEW, renderer=TEMPLATES + "file.pt")
def file_view(context, request):
    width, height = display_size(context.width, context.height)
    return page_values(context, request, is_image=isinstance(context, Image),
                       display_width=width, display_height=height)


def blob_response(request, blob_id, mimetype, filename, inline):
    blob = request.dbsession.get(Blob, blob_id) if blob_id else None
    if blob is None:
        raise HTTPNotFound()
    response = Response(body=blob.data, content_type=mimetype)
    if mimetype.startswith("text/"):
        response.charset = "utf-8"
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # an uploaded document never runs script in our origin, even if opened inline
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.etag = blob.sha256
    response.conditional_response = True
    return response


@view_config(context=File, name="download", permission=Permission.VIEW)
def download(context, request):
    return blob_response(request, context.blob_id, context.mimetype, context.filename,
                         inline=is_inline(context.mimetype))


@view_config(context=Image, name="display", permission=Permission.VIEW)
def image_display(context, request):
    mimetype = "image/jpeg" if context.mimetype == "image/jpeg" else "image/png"
    return blob_response(request, context.display_blob_id or context.blob_id,
                         mimetype if context.display_blob_id else context.mimetype,
                         context.filename, inline=True)
