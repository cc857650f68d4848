"""Alembic environment: Kairan's metadata, core and enabled add-ons."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from kairan.db.meta import Base
from kairan.db.migrate import load_models

config = context.config
settings = config.attributes["kairan_settings"]
load_models(settings)

# Tables that the models do not describe: full-text indexes made by hand in
# migrations (SQLite FTS5 virtual tables and their shadow tables).
UNMANAGED_PREFIXES = ("search_fts",)


def include_object(obj, name, type_, reflected, compare_to):
    if type_ == "table" and name and name.startswith(UNMANAGED_PREFIXES):
        return False
    return True


def run(connection):
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = engine_from_config(
        {"sqlalchemy.url": config.get_main_option("sqlalchemy.url")},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        run(connection)
