"""Read-only queries the content pages share (listings, the home page, move targets)."""

from sqlalchemy import or_, select

from kairan.content.models import Event, News, Node
from kairan.content.workflow import PUBLISHED


def ancestor_paths(path):
    """'/a/b/' -> ['/', '/a/']: the paths of every ancestor."""
    segments = [s for s in path.split("/") if s]
    found = ["/"]
    for segment in segments[:-1]:
        found.append(found[-1] + segment + "/")
    return found[: len(segments)]


def publicly_visible(dbsession, nodes):
    """Those of ``nodes`` (published, live) whose ancestors are all published and live.

    One query for all the ancestors, whatever the number of nodes.
    """
    wanted = {p for node in nodes for p in ancestor_paths(node.path)}
    if not wanted:
        return list(nodes)
    public = set(dbsession.scalars(
        select(Node.path).where(Node.path.in_(wanted), Node.state == PUBLISHED,
                                Node.deleted_at.is_(None))
    ))
    return [n for n in nodes if all(p in public for p in ancestor_paths(n.path))]


def latest_news(dbsession, limit=5):
    query = (select(News).where(News.state == PUBLISHED, News.deleted_at.is_(None))
             .order_by(News.published_at.desc(), News.id.desc()).limit(limit * 3))
    return publicly_visible(dbsession, list(dbsession.scalars(query)))[:limit]


def upcoming_events(dbsession, now, limit=5):
    query = (select(Event)
             .where(Event.state == PUBLISHED, Event.deleted_at.is_(None),
                    or_(Event.start >= now, Event.end >= now))
             .order_by(Event.start, Event.id).limit(limit * 3))
    return publicly_visible(dbsession, list(dbsession.scalars(query)))[:limit]


def visible_children(request, container, permission):
    from kairan.content.services import children

    return [c for c in children(request.dbsession, container)
            if request.has_permission(permission, c)]


def containers(dbsession, type_names, exclude_below=None):
    """Live nodes of ``type_names`` in path order, outside ``exclude_below``'s subtree."""
    query = (select(Node).where(Node.type.in_(list(type_names)), Node.deleted_at.is_(None))
             .order_by(Node.path))
    found = list(dbsession.scalars(query))
    if exclude_below is not None:
        found = [f for f in found if not f.path.startswith(exclude_below.path)]
    return found
