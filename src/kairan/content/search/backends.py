"""The ``search_fts`` table on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

Both hold one row per node and locale: the plain title and text (for
snippets and highlighting) and the token text from ``kairan.content.search.text``.
SQLite's FTS5 ``unicode61`` tokenizer splits that token text on the spaces we
put in, so each bigram is one FTS token and a quoted string of bigrams is a
phrase. On PostgreSQL the tsvector and tsquery are written as literals and
cast, which bypasses the text parser: the 'simple' parser would drop CJK
characters under a C locale, and a literal keeps positions for ``<->``.

The table is created by the migration ``0002c`` with raw SQL and is not a
model (alembic's env.py ignores tables named ``search_fts*``).
"""

from sqlalchemy import text

LOCALES = ("ja", "en")
TITLE_WEIGHT = 10.0
MAX_POSITION = 16383
MAX_POSITIONS_PER_LEXEME = 255

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "node_id UNINDEXED, locale UNINDEXED, title UNINDEXED, body UNINDEXED, "
    "title_tokens, body_tokens, tokenize = 'unicode61')"
)
POSTGRESQL_CREATE = (
    "CREATE TABLE search_fts ("
    "node_id INTEGER NOT NULL REFERENCES nodes (id) ON DELETE CASCADE, "
    "locale VARCHAR(5) NOT NULL, "
    "title TEXT NOT NULL, "
    "body TEXT NOT NULL, "
    "title_tokens TEXT NOT NULL, "
    "tsv TSVECTOR NOT NULL, "
    "CONSTRAINT search_fts_pkey PRIMARY KEY (node_id, locale))",
    "CREATE INDEX search_fts_tsv ON search_fts USING GIN (tsv)",
)


def dialect_name(dbsession):
    return dbsession.get_bind().dialect.name


def sqlite_rowid(node_id, locale):
    # FTS5 cannot index node_id; a rowid derived from it makes deletes by
    # node a primary-key lookup instead of a scan of the whole index.
    return node_id * len(LOCALES) + LOCALES.index(locale)


def delete_rows(dbsession, node_ids):
    if not node_ids:
        return
    sqlite = dialect_name(dbsession) != "postgresql"
    keys = ([sqlite_rowid(n, locale) for n in node_ids for locale in LOCALES]
            if sqlite else list(node_ids))
    column = "rowid" if sqlite else "node_id"
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        params = {f"n{i}": key for i, key in enumerate(chunk)}
        names = ", ".join(f":n{i}" for i in range(len(chunk)))
        dbsession.execute(text(f"DELETE FROM search_fts WHERE {column} IN ({names})"), params)  # noqa: S608 - only bind parameter names


def delete_all(dbsession):
    dbsession.execute(text("DELETE FROM search_fts"))


def _tsvector_literal(title_tokens, body_tokens):
    positions = {}
    position = 0
    for weight, tokens in (("A", title_tokens), ("D", body_tokens)):
        for token in tokens:
            position = min(position + 1, MAX_POSITION)
            entries = positions.setdefault(token, [])
            if len(entries) < MAX_POSITIONS_PER_LEXEME:
                entries.append(f"{position}{weight}")
        position += 1
    return " ".join(
        "'" + token.replace("\\", "\\\\").replace("'", "''") + "':" + ",".join(entries)
        for token, entries in positions.items()
    )


def insert_row(dbsession, node_id, locale, title, body, title_tokens, body_tokens):
    params = {"node_id": node_id, "locale": locale, "title": title, "body": body,
              "title_tokens": " ".join(title_tokens), "body_tokens": " ".join(body_tokens)}
    if dialect_name(dbsession) == "postgresql":
        params["tsv"] = _tsvector_literal(title_tokens, body_tokens)
        del params["body_tokens"]
        dbsession.execute(text(
            "INSERT INTO search_fts (node_id, locale, title, body, title_tokens, tsv) "
            "VALUES (:node_id, :locale, :title, :body, :title_tokens, CAST(:tsv AS tsvector))"
        ), params)
    else:
        params["rowid"] = sqlite_rowid(node_id, locale)
        dbsession.execute(text(
            "INSERT INTO search_fts "
            "(rowid, node_id, locale, title, body, title_tokens, body_tokens) "
            "VALUES (:rowid, :node_id, :locale, :title, :body, :title_tokens, :body_tokens)"
        ), params)


# -- queries -----------------------------------------------------------------------------

def _fts5_query(terms):
    parts = []
    for term in terms:
        phrase = '"' + " ".join(term.tokens) + '"'
        parts.append(phrase + ("*" if term.prefix else ""))
    return " AND ".join(parts)


def _tsquery(terms):
    parts = []
    for term in terms:
        quoted = ["'" + token.replace("\\", "\\\\").replace("'", "''") + "'"
                  for token in term.tokens]
        if term.prefix:
            quoted[-1] += ":*"
        parts.append("(" + " <-> ".join(quoted) + ")")
    return " & ".join(parts)


def _title_hit(terms, params, column):
    """SQL that is 1 when every term occurs in the title's token text."""
    conditions = []
    for i, term in enumerate(terms):
        # tokens are letters and digits only: no LIKE wildcard to escape
        needle = " " + " ".join(term.tokens) + ("" if term.prefix else " ")
        params[f"title{i}"] = "%" + needle + "%"
        conditions.append(f"(' ' || {column} || ' ') LIKE :title{i}")
    return "CASE WHEN " + " AND ".join(conditions) + " THEN 1 ELSE 0 END"


VISIBLE = (
    "n.state = 'published' AND n.deleted_at IS NULL AND NOT EXISTS ("
    "SELECT 1 FROM nodes a WHERE a.deleted_at IS NOT NULL "
    "AND substr(n.path, 1, length(a.path)) = a.path)"
)


def query(dbsession, terms, locale, limit, offset):
    """(total, [row]) for a parsed query; rows have node_id, title, body, path, type, modified."""
    params = {"locale": locale, "limit": limit, "offset": offset}
    if dialect_name(dbsession) == "postgresql":
        params["q"] = _tsquery(terms)
        title_hit = _title_hit(terms, params, "f.title_tokens")
        source = ("FROM search_fts f JOIN nodes n ON n.id = f.node_id "
                  "WHERE f.tsv @@ CAST(:q AS tsquery) AND f.locale = :locale AND " + VISIBLE)
        score = "ts_rank(f.tsv, CAST(:q AS tsquery)) DESC"
        columns = "f.node_id, f.title, f.body"
    else:
        params["q"] = _fts5_query(terms)
        title_hit = _title_hit(terms, params, "search_fts.title_tokens")
        source = ("FROM search_fts JOIN nodes n ON n.id = search_fts.node_id "
                  "WHERE search_fts MATCH :q AND search_fts.locale = :locale AND " + VISIBLE)
        score = f"bm25(search_fts, 0, 0, 0, 0, {TITLE_WEIGHT}, 1.0)"
        columns = "search_fts.node_id, search_fts.title, search_fts.body"
    total = dbsession.execute(text("SELECT count(*) " + source), params).scalar_one()  # noqa: S608 - fixed SQL, values bound
    rows = dbsession.execute(text(
        f"SELECT {columns}, n.path, n.type, n.modified, {title_hit} AS title_hit "  # noqa: S608
        f"{source} ORDER BY title_hit DESC, {score}, n.modified DESC, n.id "
        "LIMIT :limit OFFSET :offset"
    ), params).all()
    return total, rows


def title_like(dbsession, char, locale, limit, offset):
    """(total, rows) of published titles containing ``char`` (one-character queries)."""
    params = {"locale": locale, "limit": limit, "offset": offset,
              "pattern": "%" + char + "%"}
    alias = "f" if dialect_name(dbsession) == "postgresql" else "search_fts"
    source = (f"FROM search_fts {'f ' if alias == 'f' else ''}"
              f"JOIN nodes n ON n.id = {alias}.node_id "
              f"WHERE {alias}.locale = :locale AND lower({alias}.title) LIKE :pattern AND "
              + VISIBLE)
    total = dbsession.execute(text("SELECT count(*) " + source), params).scalar_one()  # noqa: S608
    rows = dbsession.execute(text(
        f"SELECT {alias}.node_id, {alias}.title, {alias}.body, n.path, n.type, n.modified, "  # noqa: S608
        f"1 AS title_hit {source} ORDER BY n.modified DESC, n.id LIMIT :limit OFFSET :offset"
    ), params).all()
    return total, rows
