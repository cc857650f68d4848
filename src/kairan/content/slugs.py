"""Node names (the URL segment): validated when given, generated when not."""

import re
import unicodedata

from pyramid.interfaces import IRoutesMapper
from sqlalchemy import select

from kairan.content.models import Node
from kairan.i18n.translation import _

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
MAX_GENERATED = 60
# segments that views of a node use; a child with one of these names would be confusing
RESERVED_NAMES = frozenset({"static", "api", "edit", "add", "search"})


def slug_candidate(text) -> str:
    """'Summer Festival 2025!' -> 'summer-festival-2025'; '' when nothing ASCII is left."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return text[:MAX_GENERATED].rstrip("-")


def route_names(registry) -> set:
    """First path segments claimed by routes: a root child of that name would be unreachable."""
    mapper = registry.queryUtility(IRoutesMapper)
    found = set()
    for route in (mapper.get_routes() if mapper is not None else ()):
        segment = route.pattern.lstrip("/").split("/", 1)[0]
        if segment and "{" not in segment and "*" not in segment:
            found.add(segment.split(".", 1)[0] if segment.endswith((".xml", ".atom", ".txt"))
                      else segment)
            found.add(segment)
    return found


def sibling_names(dbsession, container) -> set:
    # trashed siblings keep their names (the unique constraint includes them)
    return set(dbsession.scalars(select(Node.name).where(Node.parent_id == container.id)))


def unique_name(dbsession, container, wanted) -> str:
    taken = sibling_names(dbsession, container)
    if wanted not in taken:
        return wanted
    number = 2
    while f"{wanted}-{number}" in taken:
        number += 1
    return f"{wanted}-{number}"


def check_name(request, container, name):
    """Refuse (``ContentError``, field 'name') a malformed, reserved or taken name."""
    from kairan.content.services import ContentError

    if not NAME_RE.match(name or ""):
        raise ContentError(_("Use 1 to 100 lower-case letters, digits, '-' or '_', "
                             "starting with a letter or digit."), field="name")
    reserved = RESERVED_NAMES
    if container.parent_id is None:
        reserved = reserved | route_names(request.registry)
    if name in reserved:
        raise ContentError(_("This address is reserved; choose another."), field="name")
    if name in sibling_names(request.dbsession, container):
        raise ContentError(_("This folder already has an item with this address."),
                           field="name")
