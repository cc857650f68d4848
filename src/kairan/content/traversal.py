"""Resolving a URL to a content node in one query.

Pyramid's default traverser calls ``root[name]`` once per segment. Here the
root factory returns a placeholder and the traverser asks for every prefix
of the path at once (``WHERE path IN ('/', '/news/', '/news/festival/')``),
links the nodes it got as ``__parent__`` chain and hands the deepest one to
Pyramid with the rest of the path as view name and subpath. One indexed
query per page instead of one per level; measured in bench/README.md.
"""

from pyramid.interfaces import ITraverser
from pyramid.traversal import split_path_info
from sqlalchemy import select
from sqlalchemy.orm import with_polymorphic
from zope.interface import implementer

from kairan.content.models import Node
from kairan.security.permissions import SiteRoot

MAX_DEPTH = 20


class ContentRoot(SiteRoot):
    """What the root factory returns; the traverser replaces it with the real nodes.

    A route without a ``traverse`` pattern keeps it as its context, with the
    site-wide ACL.
    """

    def __init__(self, request):
        self.request = request


def content_root_factory(request):
    return ContentRoot(request)


def load_lineage(dbsession, segments, include_deleted=False):
    """The nodes along ``segments`` from the root, as far as they exist (root first)."""
    prefixes = ["/"]
    for segment in segments[:MAX_DEPTH]:
        prefixes.append(prefixes[-1] + segment + "/")
    poly = with_polymorphic(Node, "*")
    query = select(poly).where(poly.path.in_(prefixes))
    if not include_deleted:
        query = query.where(poly.deleted_at.is_(None))
    found = {node.path: node for node in dbsession.scalars(query)}
    chain = []
    for prefix in prefixes:
        node = found.get(prefix)
        if node is None:
            break
        if chain:
            node.set_traversal_parent(chain[-1])
        chain.append(node)
    return chain


def find_node(dbsession, path):
    """The live node at ``path`` with its ``__parent__`` chain, or None."""
    segments = [s for s in path.split("/") if s]
    chain = load_lineage(dbsession, segments)
    if len(chain) != len(segments) + 1:
        return None
    return chain[-1]


@implementer(ITraverser)
class NodeTraverser:
    def __init__(self, root):
        self.root = root

    def __call__(self, request):
        matchdict = request.matchdict
        if matchdict is not None and "traverse" not in matchdict:
            # a route of its own (/login, /api/...): no content lookup at all
            subpath = matchdict.get("subpath", ())
            if isinstance(subpath, str):
                subpath = tuple(split_path_info(subpath))
            return {"context": self.root, "view_name": "", "subpath": tuple(subpath),
                    "traversed": (),
                    "virtual_root": self.root, "virtual_root_path": (), "root": self.root}
        path = matchdict.get("traverse") if matchdict else None
        if path is None:
            segments = list(split_path_info(request.path_info))
        elif isinstance(path, str):
            segments = list(split_path_info(path))
        else:
            segments = list(path)
        chain = load_lineage(request.dbsession, segments)
        if not chain:
            # no root node: an empty database; every URL is "not found"
            return {"context": self.root, "view_name": segments[0] if segments else "",
                    "subpath": tuple(segments[1:]), "traversed": (), "virtual_root": self.root,
                    "virtual_root_path": (), "root": self.root}
        depth = len(chain) - 1
        rest = segments[depth:]
        view_name = ""
        subpath = ()
        if rest:
            view_name = rest[0][2:] if rest[0].startswith("@@") else rest[0]
            subpath = tuple(rest[1:])
        return {
            "context": chain[-1],
            "view_name": view_name,
            "subpath": subpath,
            "traversed": tuple(segments[:depth]),
            "virtual_root": chain[0],
            "virtual_root_path": (),
            "root": chain[0],
        }


def node_by_id(dbsession, node_id, include_deleted=False):
    """The node ``node_id`` with its ``__parent__`` chain (so its ACL sees its ancestors)."""
    path = dbsession.scalar(select(Node.path).where(Node.id == node_id))
    if path is None:
        return None
    segments = [s for s in path.split("/") if s]
    chain = load_lineage(dbsession, segments, include_deleted=include_deleted)
    if len(chain) != len(segments) + 1:
        return None
    return chain[-1]
