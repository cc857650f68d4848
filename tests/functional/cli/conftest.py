"""The ``kairan`` command against a real database described by an .ini written here.

One database per backend for the whole module set, migrated by ``kairan db
upgrade``; every table is emptied after each test.
"""

import os
import secrets

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from kairan.cli.main import cli
from kairan.testing import create_postgres_database, drop_postgres_database
from tests.conftest import test_addons


def write_ini(path, url, **extra):
    # the add-ons the rest of the suite enables: their models are loaded in this
    # process, so `kairan db check` and the table emptying below expect their tables
    lines = ["[app:main]", "use = egg:kairan", "kairan.env = testing", f"sqlalchemy.url = {url}",
             "kairan.base_url = http://localhost:6543",
             "kairan.addons = " + " ".join(test_addons())]
    lines += [f"{key} = {value}" for key, value in extra.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Kairan:
    """``kairan(*args, input=None, expect=0)`` runs the command with this .ini."""

    def __init__(self, ini, url):
        self.ini, self.url = ini, url

    def __call__(self, *args, input=None, expect=0, env=None):
        result = CliRunner().invoke(cli, ["-c", str(self.ini), *map(str, args)], input=input,
                                    env=env, catch_exceptions=False)
        assert result.exit_code == expect, result.output
        assert "Traceback" not in result.output
        return result


@pytest.fixture(scope="session")
def cli_database(db_backend, tmp_path_factory):
    directory = tmp_path_factory.mktemp("cli")
    if db_backend == "sqlite":
        url = f"sqlite:///{directory / 'cli.sqlite'}"
    else:
        name = f"kairan_cli_{os.getpid()}_{secrets.token_hex(3)}"
        url = create_postgres_database(name)
    ini = write_ini(directory / "cli.ini", url)
    Kairan(ini, url)("db", "upgrade")
    yield ini, url
    if db_backend == "postgresql":
        drop_postgres_database(url.rsplit("/", 1)[1])


@pytest.fixture
def kairan(cli_database):
    ini, url = cli_database
    yield Kairan(ini, url)
    _empty_tables(url)


@pytest.fixture
def cli_engine(cli_database):
    engine = create_engine(cli_database[1])
    yield engine
    engine.dispose()


def _empty_tables(url):
    from kairan.db.meta import Base

    engine = create_engine(url)
    tables = list(reversed(Base.metadata.sorted_tables))
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                connection.execute(text(f"TRUNCATE {names}, search_fts RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(table.delete())
                connection.execute(text("DELETE FROM search_fts"))
    finally:
        engine.dispose()
