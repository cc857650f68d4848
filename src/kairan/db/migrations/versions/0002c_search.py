"""search index (search_fts)

Revision ID: 0002c
Revises: 0001
Create Date: 2026-11-22 03:50:00

The full-text index is not a model: on SQLite it is an FTS5 virtual table,
on PostgreSQL a table with a tsvector column and a GIN index. See
kairan.content.search.backends for the layout and why.
"""

from alembic import op

revision = "0002c"
down_revision = "0001"
branch_labels = None
depends_on = None

# Copied from kairan.content.search.backends at the time of writing: a
# migration is a snapshot and must not change when that module does.
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


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_CREATE:
            op.execute(statement)
    else:
        op.execute(SQLITE_CREATE)


def downgrade():
    op.execute("DROP TABLE IF EXISTS search_fts")
