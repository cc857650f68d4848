"""Keeping the search index current, and querying it.

The index holds only what anyone may read: published nodes that are not in
the trash and have no ancestor in the trash. Subscribers to the content
events rewrite the rows of the changed node (or subtree) in the same
transaction as the change, so the index never shows a state that was
rolled back. ``reindex_all`` rebuilds everything (``kairan search reindex``).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import with_polymorphic

from kairan.content.interfaces import IContentTextExtractor
from kairan.content.models import Node
from kairan.content.search import backends
from kairan.content.search.text import (
    highlight,
    html_to_text,
    is_single_character,
    is_word_char,
    normalize,
    parse_query,
    snippet,
    tokens,
)
from kairan.db import mark_changed

MAX_QUERY_LENGTH = 200
BATCH = 200


def default_text(node, locale):
    """Summary, body and the type's own text fields, in ``locale`` (falling back to Japanese)."""
    parts = [node.localized("description", locale)[0],
             html_to_text(node.localized("body", locale)[0])]
    if hasattr(node, "place"):
        parts.append(node.localized("place", locale)[0])
    if getattr(node, "filename", None):
        parts.append(node.filename)
    return " ".join(p for p in parts if p)


def node_text(registry, node, locale):
    extractor = registry.queryUtility(IContentTextExtractor, name=node.type) if registry else None
    if extractor is not None:
        return extractor(node, locale) or ""
    return default_text(node, locale)


def _trashed_prefixes(dbsession):
    return list(dbsession.scalars(select(Node.path).where(Node.deleted_at.is_not(None))))


def is_indexable(node, trashed_prefixes):
    if node.state != "published" or node.deleted_at is not None:
        return False
    return not any(node.path.startswith(prefix) for prefix in trashed_prefixes)


def _write(dbsession, registry, node):
    primary = backends.LOCALES[0]
    title_primary = node.localized("title", primary)[0] or ""
    body_primary = node_text(registry, node, primary)
    for locale in backends.LOCALES:
        title = node.localized("title", locale)[0] or ""
        body = node_text(registry, node, locale)
        title_tokens, body_tokens = tokens(title), tokens(body)
        if locale != primary:
            # Someone reading in English may still type Japanese: the English
            # row also matches the Japanese text (shown: the English text).
            if title != title_primary:
                title_tokens += tokens(title_primary)
            if body != body_primary:
                body_tokens += tokens(body_primary)
        backends.insert_row(dbsession, node.id, locale, title, body, title_tokens, body_tokens)


def index_nodes(dbsession, nodes, registry=None):
    """Rewrite the index rows of ``nodes``: present if readable by anyone, absent otherwise."""
    nodes = [n for n in nodes if n.id is not None]
    if not nodes:
        return
    dbsession.flush()
    trashed = _trashed_prefixes(dbsession)
    backends.delete_rows(dbsession, [n.id for n in nodes])
    for node in nodes:
        if is_indexable(node, trashed):
            _write(dbsession, registry, node)
    # raw SQL is invisible to zope.sqlalchemy: unmarked, a request that only reindexes
    # would be rolled back as read-only
    mark_changed(dbsession)


def subtree(dbsession, node):
    """``node`` and every node below it (trashed ones included), polymorphically loaded."""
    poly = with_polymorphic(Node, "*")
    prefix = node.path
    return list(dbsession.scalars(
        select(poly).where(func.substr(poly.path, 1, len(prefix)) == prefix).order_by(poly.id)
        # the services change a subtree with bulk UPDATEs: refresh what the session holds
        .execution_options(populate_existing=True)
    ))


def index_subtree(dbsession, node, registry=None):
    dbsession.flush()
    index_nodes(dbsession, subtree(dbsession, node), registry)


def reindex_all(dbsession, registry=None, progress=None):
    """Rebuild the whole index; returns the number of nodes indexed.

    ``progress(done, total)`` is called after each batch (for a CLI progress bar).
    """
    backends.delete_all(dbsession)
    trashed = _trashed_prefixes(dbsession)
    poly = with_polymorphic(Node, "*")
    ids = list(dbsession.scalars(
        select(poly.id).where(poly.state == "published", poly.deleted_at.is_(None))
        .order_by(poly.id)
    ))
    done = 0
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        for node in dbsession.scalars(select(poly).where(poly.id.in_(batch))):
            if is_indexable(node, trashed):
                _write(dbsession, registry, node)
                done += 1
        if progress is not None:
            progress(min(start + BATCH, len(ids)), len(ids))
    # raw SQL is invisible to zope.sqlalchemy: unmarked, a request that only reindexes
    # would be rolled back as read-only
    mark_changed(dbsession)
    return done


# -- subscribers -------------------------------------------------------------------------

def _session_and_registry(event):
    request = event.request
    if request is not None:
        return request.dbsession, request.registry
    from sqlalchemy.orm import object_session

    return object_session(event.node), None


def on_node_changed(event):
    """ContentAdded / ContentModified / ContentStateChanged: that node only."""
    dbsession, registry = _session_and_registry(event)
    if dbsession is not None:
        index_nodes(dbsession, [event.node], registry)


def on_subtree_changed(event):
    """ContentMoved / ContentTrashed / ContentRestored: the node and everything below."""
    dbsession, registry = _session_and_registry(event)
    if dbsession is not None:
        index_subtree(dbsession, event.node, registry)


def as_utc(value):
    # raw SQL on SQLite returns the stored naive UTC text
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


# -- querying ----------------------------------------------------------------------------

@dataclass
class SearchHit:
    node_id: int
    path: str
    type: str
    title: str
    title_html: str
    snippet_html: str
    modified: object
    title_match: bool


@dataclass
class SearchResults:
    query: str
    page: int
    page_size: int
    total: int = 0
    hits: list = field(default_factory=list)

    @property
    def pages(self):
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self):
        return self.page < self.pages

    @property
    def has_previous(self):
        return self.page > 1


def search(dbsession, query, locale="ja", page=1, page_size=10):
    """Published content matching every term of ``query`` in ``locale``, best first.

    Titles that contain every term come first, then by bm25 (SQLite) or
    ts_rank (PostgreSQL). A one-character query matches titles only.
    """
    query = (query or "").strip()[:MAX_QUERY_LENGTH]
    locale = locale if locale in backends.LOCALES else backends.LOCALES[0]
    page = max(1, page)
    results = SearchResults(query=query, page=page, page_size=page_size)
    terms = parse_query(query)
    if not terms:
        return results
    offset = (page - 1) * page_size
    if is_single_character(query):
        char = "".join(ch for ch in normalize(query) if is_word_char(ch))
        total, rows = backends.title_like(dbsession, char, locale, page_size, offset)
    else:
        total, rows = backends.query(dbsession, terms, locale, page_size, offset)
    results.total = total
    for row in rows:
        results.hits.append(SearchHit(
            node_id=row.node_id, path=row.path, type=row.type, title=row.title,
            title_html=highlight(row.title, terms), snippet_html=snippet(row.body, terms),
            modified=as_utc(row.modified), title_match=bool(row.title_hit),
        ))
    return results
