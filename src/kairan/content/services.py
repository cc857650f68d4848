"""Every change to the content tree goes through these functions.

Views and the JSON API call them with the request; each checks the
permission it needs on the node (``ContentForbidden``), validates what it
can (``ContentError`` with a translatable ``message`` and, when one field is
at fault, its ``field``), keeps a revision at every save, notifies exactly
one content event per changed node (``kairan.content.events``) and writes
the audit log. Nothing here commits: the request's transaction does.

Permissions: create needs the type's add permission on the container; edit,
reorder and revision restore need EDIT; trash needs DELETE; move needs
DELETE on the node and the add permission on the target; copy needs VIEW on
the node and the add permission on the target; a transition needs its own
permission (REVIEW to publish); restore from the trash and purge need MANAGE.
"""

from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import colander
from pyramid.i18n import TranslationString
from sqlalchemy import delete, func, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import with_polymorphic

from kairan.audit.services import audit
from kairan.content import events
from kairan.content.models import File, Node, Revision
from kairan.content.sanitize import sanitize_html
from kairan.content.schemas import URL_SCHEMES
from kairan.content.slugs import check_name, slug_candidate, unique_name
from kairan.content.typeinfo import content_types
from kairan.content.workflow import PUBLISHED, get_workflow
from kairan.db.meta import utcnow
from kairan.i18n.translation import _
from kairan.security.permissions import Permission

TOKYO = ZoneInfo("Asia/Tokyo")
COMMON_FIELDS = ("title", "title_en", "description", "description_en", "body", "body_en",
                 "in_navigation")
HTML_FIELDS = ("body", "body_en")
FILE_FIELDS = ("filename", "mimetype", "size", "blob_id", "display_blob_id", "width", "height")
# never copied from a node to its copy: identity, place in the tree, workflow
NOT_COPIED = frozenset({"id", "type", "parent_id", "name", "path", "position", "state",
                        "owner_id", "created", "modified", "published_at", "deleted_at",
                        "deleted_by"})


class ContentError(Exception):
    """A content change was refused; ``message`` is translatable, ``field`` optional."""

    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class ContentForbidden(ContentError):
    """The user lacks the permission for this change (answer 403)."""


def _require(request, permission, context):
    if not request.has_permission(permission, context):
        raise ContentForbidden(_("You may not do this here."))


def type_info(request, node_or_name):
    name = node_or_name if isinstance(node_or_name, str) else node_or_name.type
    info = content_types(request.registry).get(name)
    if info is None:
        raise ContentError(_("Unknown content type."), field="type")
    return info


# -- fields and revisions ------------------------------------------------------


def as_utc(value):
    """An aware UTC datetime; a naive one is read as Tokyo time (what a form sends)."""
    if value is None or not isinstance(value, datetime):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=TOKYO)
    return value.astimezone(UTC)


def editable_fields(info, node):
    fields = COMMON_FIELDS + tuple(f for f in info.extra_fields if f not in COMMON_FIELDS)
    return tuple(f for f in fields if hasattr(node, f))


def apply_fields(request, node, info, appstruct):
    """Copy the allow-listed fields of ``appstruct`` to ``node``; the rest is ignored."""
    for key in editable_fields(info, node):
        value = appstruct.get(key, colander.null)
        if value is colander.null or value is None and key in COMMON_FIELDS:
            continue
        if key in HTML_FIELDS:
            value = sanitize_html(value)
        elif isinstance(value, str):
            value = value.strip()
        elif isinstance(value, datetime):
            value = as_utc(value)
        setattr(node, key, value)
    if not (node.title or "").strip():
        raise ContentError(_("A title is required."), field="title")
    start, end = getattr(node, "start", None), getattr(node, "end", None)
    if start is not None and end is not None and end < start:
        raise ContentError(_("The end must not be before the start."), field="end")
    url = getattr(node, "url", None)
    if url is not None and urlsplit(url).scheme.lower() not in URL_SCHEMES:
        # the schema checks this too; a caller that skips it must not store javascript:
        raise ContentError(_("Enter a web address starting with https:// or http://."),
                           field="url")
    if isinstance(node, File):
        from kairan.content.files import store_upload

        upload = appstruct.get("upload")
        if upload:
            store_upload(request, node, upload)
        elif node.blob_id is None:
            raise ContentError(_("Choose a file to upload."), field="upload")


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else value


def snapshot(request, node):
    info = type_info(request, node)
    fields = editable_fields(info, node) + (FILE_FIELDS if isinstance(node, File) else ())
    return {key: _jsonable(getattr(node, key)) for key in fields}


def add_revision(request, node, comment=""):
    last = request.dbsession.scalar(
        select(func.max(Revision.number)).where(Revision.node_id == node.id)
    )
    if isinstance(comment, TranslationString):
        comment = request.localizer.translate(comment)
    user = request.user
    revision = Revision(node_id=node.id, number=(last or 0) + 1, created=utcnow(),
                        author_id=user.id if user is not None else None,
                        comment=str(comment or "")[:300], data=snapshot(request, node))
    request.dbsession.add(revision)
    return revision


def _next_position(dbsession, parent):
    last = dbsession.scalar(select(func.max(Node.position)).where(Node.parent_id == parent.id))
    return 0 if last is None else last + 1


# -- create and edit -------------------------------------------------------------


def create_content(request, container, type_name, appstruct, name=None):
    """Add a node of ``type_name`` inside ``container`` and return it (flushed)."""
    info = type_info(request, type_name)
    if not info.addable_in(container):
        raise ContentError(_("This kind of content cannot be added here."), field="type")
    _require(request, info.add_permission, container)
    dbsession = request.dbsession
    if name:
        check_name(request, container, name)
    now = utcnow()
    user = request.user
    node = info.model(
        type=type_name, parent_id=container.id, position=_next_position(dbsession, container),
        state=get_workflow(request.registry, type_name).initial, created=now, modified=now,
        owner_id=user.id if user is not None else None, title="", title_en="",
        description="", description_en="", body="", body_en="", in_navigation=True,
    )
    node.set_traversal_parent(container)
    apply_fields(request, node, info, appstruct)
    candidate = name or slug_candidate(node.title_en) or slug_candidate(node.title)
    # a unique placeholder until the id is known (for "page-42" style names)
    node.name = unique_name(dbsession, container, candidate or f"{type_name}-new")
    node.path = container.path + node.name + "/"
    dbsession.add(node)
    dbsession.flush()
    if not candidate:
        node.name = unique_name(dbsession, container, f"{type_name}-{node.id}")
        node.path = container.path + node.name + "/"
    add_revision(request, node, _("Created"))
    dbsession.flush()
    request.registry.notify(events.ContentAdded(node, request))
    audit(request, "content.add", target=node.path, detail={"id": node.id, "type": type_name})
    return node


def update_content(request, node, appstruct, comment=""):
    """Save an edit: the fields of ``appstruct``, a new revision, one ``ContentModified``."""
    _require(request, Permission.EDIT, node)
    info = type_info(request, node)
    apply_fields(request, node, info, appstruct)
    node.modified = utcnow()
    revision = add_revision(request, node, comment)
    request.dbsession.flush()
    request.registry.notify(events.ContentModified(node, request))
    audit(request, "content.edit", target=node.path,
          detail={"id": node.id, "revision": revision.number})
    return node


def restore_revision(request, node, number):
    """Make revision ``number`` the current text again (kept as a new revision)."""
    _require(request, Permission.EDIT, node)
    revision = request.dbsession.scalar(
        select(Revision).where(Revision.node_id == node.id, Revision.number == int(number))
    )
    if revision is None:
        raise ContentError(_("There is no such revision."))
    info = type_info(request, node)
    data = dict(revision.data)
    for key in editable_fields(info, node) + (FILE_FIELDS if isinstance(node, File) else ()):
        if key not in data:
            continue
        value = data[key]
        column = sa_inspect(type(node)).columns.get(key)
        if value is not None and column is not None and "DateTime" in type(column.type).__name__:
            value = datetime.fromisoformat(value)
        if key in HTML_FIELDS:
            value = sanitize_html(value)
        setattr(node, key, value)
    node.modified = utcnow()
    add_revision(request, node, _("Restored revision ${number}", mapping={"number": number}))
    request.dbsession.flush()
    request.registry.notify(events.ContentModified(node, request))
    audit(request, "content.restore_revision", target=node.path,
          detail={"id": node.id, "revision": int(number)})
    return node


def revisions(dbsession, node):
    return list(dbsession.scalars(
        select(Revision).where(Revision.node_id == node.id).order_by(Revision.number.desc())
    ))


# -- workflow --------------------------------------------------------------------


def available_transitions(request, node):
    """The transitions from ``node.state`` that the user may take, in workflow order."""
    workflow = get_workflow(request.registry, node.type)
    return [t for t in workflow.transitions_from(node.state)
            if request.has_permission(t.permission, node)]


def transition(request, node, name):
    """Take transition ``name``: ``ContentError`` if it does not start from the
    node's state, ``ContentForbidden`` if the user lacks its permission."""
    workflow = get_workflow(request.registry, node.type)
    chosen = workflow.find(name, node.state)
    if chosen is None:
        raise ContentError(_("This change of state is not possible now."), field="transition")
    if not request.has_permission(chosen.permission, node):
        audit(request, "content.transition", target=node.path, outcome="denied",
              detail={"id": node.id, "transition": name})
        raise ContentForbidden(_("You may not do this here."))
    old_state = node.state
    node.state = chosen.target
    now = utcnow()
    if chosen.target == PUBLISHED and node.published_at is None:
        node.published_at = now
    node.modified = now
    request.dbsession.flush()
    request.registry.notify(events.ContentStateChanged(node, request, old_state=old_state,
                                                       transition=name))
    audit(request, "content.transition", target=node.path,
          detail={"id": node.id, "transition": name, "from": old_state, "to": node.state})
    return node


# -- the tree ------------------------------------------------------------------------


def subtree_clause(node, model=Node):
    """Rows of ``node`` and everything below it."""
    return model.path.startswith(node.path, autoescape=True)


def children(dbsession, container, include_deleted=False):
    poly = with_polymorphic(Node, "*")
    query = select(poly).where(poly.parent_id == container.id)
    if not include_deleted:
        query = query.where(poly.deleted_at.is_(None))
    found = list(dbsession.scalars(query.order_by(poly.position, poly.id)))
    for child in found:
        child.set_traversal_parent(container)
    return found


def _check_root(node):
    if node.parent_id is None:
        raise ContentError(_("The home page cannot be moved or deleted."))


def trash(request, node):
    """Move ``node`` and its subtree to the trash (one ``ContentTrashed`` for the node)."""
    _require(request, Permission.DELETE, node)
    _check_root(node)
    now = utcnow()
    user = request.user
    request.dbsession.execute(
        update(Node).where(subtree_clause(node), Node.deleted_at.is_(None))
        .values(deleted_at=now, deleted_by=user.id if user is not None else None)
        .execution_options(synchronize_session=False)
    )
    node.deleted_at = now
    node.deleted_by = user.id if user is not None else None
    request.dbsession.flush()
    request.registry.notify(events.ContentTrashed(node, request))
    audit(request, "content.trash", target=node.path, detail={"id": node.id})


def restore(request, node):
    """Bring ``node`` back from the trash with what was trashed together with it."""
    _require(request, Permission.MANAGE, node)
    if node.deleted_at is None:
        raise ContentError(_("This item is not in the trash."))
    dbsession = request.dbsession
    parent = dbsession.get(Node, node.parent_id) if node.parent_id else None
    if parent is not None and parent.deleted_at is not None:
        raise ContentError(_("Restore the folder that contains it first."))
    when = node.deleted_at
    dbsession.execute(
        update(Node).where(subtree_clause(node), Node.deleted_at == when)
        .values(deleted_at=None, deleted_by=None)
        .execution_options(synchronize_session=False)
    )
    node.deleted_at = None
    node.deleted_by = None
    dbsession.flush()
    request.registry.notify(events.ContentRestored(node, request))
    audit(request, "content.restore", target=node.path, detail={"id": node.id})
    return node


def _check_target(request, node, new_parent):
    info = type_info(request, node)
    if new_parent is None or new_parent.deleted_at is not None:
        raise ContentError(_("Choose a folder that exists."), field="target")
    if not info.addable_in(new_parent):
        raise ContentError(_("This kind of content cannot be added there."), field="target")
    _require(request, info.add_permission, new_parent)


def move(request, node, new_parent, position=None):
    """Put ``node`` (and its subtree) into ``new_parent``; paths below are rewritten."""
    _require(request, Permission.DELETE, node)
    _check_root(node)
    _check_target(request, node, new_parent)
    if new_parent.path.startswith(node.path):
        raise ContentError(_("A folder cannot be moved into itself."), field="target")
    dbsession = request.dbsession
    if new_parent.id == node.parent_id:
        if position is not None:
            ids = [c.id for c in children(dbsession, new_parent) if c.id != node.id]
            ids.insert(max(0, min(int(position), len(ids))), node.id)
            reorder(request, new_parent, ids)
        return node
    old_path = node.path
    name = unique_name(dbsession, new_parent, node.name)
    new_path = new_parent.path + name + "/"
    dbsession.flush()
    dbsession.execute(
        update(Node).where(subtree_clause(node))
        .values(path=new_path + func.substr(Node.path, len(old_path) + 1))
        .execution_options(synchronize_session=False)
    )
    node.parent_id = new_parent.id
    node.name = name
    node.path = new_path
    node.position = _next_position(dbsession, new_parent)
    node.set_traversal_parent(new_parent)
    dbsession.flush()
    dbsession.expire_all()
    if position is not None:
        ids = [c.id for c in children(dbsession, new_parent) if c.id != node.id]
        ids.insert(max(0, min(int(position), len(ids))), node.id)
        reorder(request, new_parent, ids)
    request.registry.notify(events.ContentMoved(node, request))
    audit(request, "content.move", target=new_path, detail={"id": node.id, "from": old_path})
    return node


def copy(request, node, new_parent):
    """Copy ``node`` and its live subtree into ``new_parent``; copies start private."""
    _require(request, Permission.VIEW, node)
    _check_target(request, node, new_parent)
    dbsession = request.dbsession
    poly = with_polymorphic(Node, "*")
    originals = list(dbsession.scalars(
        select(poly).where(subtree_clause(node, poly), poly.deleted_at.is_(None))
    ))
    originals.sort(key=lambda n: (n.path.count("/"), n.position, n.id))
    user = request.user
    now = utcnow()
    copies = {}
    for original in originals:
        parent = new_parent if original.id == node.id else copies.get(original.parent_id)
        if parent is None:
            continue
        info = type_info(request, original)
        mapper = sa_inspect(type(original))
        values = {attr.key: getattr(original, attr.key) for attr in mapper.column_attrs
                  if attr.key not in NOT_COPIED}
        clone = type(original)(**values)
        clone.type = original.type
        clone.name = unique_name(dbsession, parent, original.name)
        clone.path = parent.path + clone.name + "/"
        clone.parent_id = parent.id
        clone.position = (_next_position(dbsession, parent) if parent is new_parent
                          else original.position)
        clone.state = get_workflow(request.registry, info.name).initial
        clone.owner_id = user.id if user is not None else None
        clone.created = clone.modified = now
        clone.set_traversal_parent(parent)
        dbsession.add(clone)
        dbsession.flush()
        copies[original.id] = clone
        add_revision(request, clone, _("Copied from ${path}", mapping={"path": original.path}))
    dbsession.flush()
    for clone in copies.values():
        request.registry.notify(events.ContentAdded(clone, request))
    root_copy = copies[node.id]
    audit(request, "content.copy", target=root_copy.path,
          detail={"id": root_copy.id, "from": node.path, "count": len(copies)})
    return root_copy


def reorder(request, container, ordered_ids):
    """Set the order of ``container``'s live children; ``ordered_ids`` must list each once."""
    _require(request, Permission.EDIT, container)
    dbsession = request.dbsession
    current = {c.id: c for c in children(dbsession, container)}
    try:
        wanted = [int(i) for i in ordered_ids]
    except (TypeError, ValueError):
        raise ContentError(_("The new order does not match the folder's contents.")) from None
    if sorted(wanted) != sorted(current) or len(set(wanted)) != len(wanted):
        raise ContentError(_("The new order does not match the folder's contents."))
    for position, node_id in enumerate(wanted):
        current[node_id].position = position
    dbsession.flush()
    request.registry.notify(events.ContentModified(container, request))
    audit(request, "content.reorder", target=container.path, detail={"id": container.id})


def trashed_nodes(dbsession):
    """The nodes put in the trash one by one (not those that went with a folder)."""
    from sqlalchemy.orm import aliased

    parent = aliased(Node)
    poly = with_polymorphic(Node, "*")
    query = (
        select(poly)
        .outerjoin(parent, parent.id == poly.parent_id)
        .where(poly.deleted_at.is_not(None))
        .where((parent.deleted_at.is_(None)) | (parent.deleted_at != poly.deleted_at))
        .order_by(poly.deleted_at.desc(), poly.id)
    )
    return list(dbsession.scalars(query))


def purge(request, node):
    """Delete a trashed node and its subtree for good (blobs no longer used go too)."""
    _require(request, Permission.MANAGE, node)
    if node.deleted_at is None:
        raise ContentError(_("Only items in the trash can be deleted for good."))
    from kairan.content.files import delete_unused_blobs

    dbsession = request.dbsession
    blob_ids = set()
    for row in dbsession.execute(
        select(File.blob_id, File.display_blob_id).where(subtree_clause(node, File))
    ):
        blob_ids.update(b for b in row if b is not None)
    path, node_id = node.path, node.id
    dbsession.flush()
    dbsession.execute(delete(Node).where(subtree_clause(node))
                      .execution_options(synchronize_session=False))
    # the deleted rows must not linger in the identity map
    for obj in list(dbsession.identity_map.values()):
        if isinstance(obj, Node) and str(sa_inspect(obj).dict.get("path", "")).startswith(path):
            dbsession.expunge(obj)
    delete_unused_blobs(dbsession, blob_ids)
    audit(request, "content.purge", target=path, detail={"id": node_id})


def empty_trash(request, root):
    """Purge every trashed node; returns how many trashed items went."""
    _require(request, Permission.MANAGE, root)
    purged = []
    for item in sorted(trashed_nodes(request.dbsession), key=lambda n: len(n.path)):
        # an item trashed earlier inside a folder trashed later goes with the folder
        if any(item.path.startswith(path) for path in purged):
            continue
        purged.append(item.path)
        purge(request, item)
    return len(purged)
