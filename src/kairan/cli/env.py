"""What every subcommand needs: settings from the .ini, the registry, a transaction."""

import contextlib
import os
from functools import cached_property

import click
import transaction
from pyramid.paster import get_appsettings, setup_logging

from kairan.settings import load_settings

DEFAULT_CONFIG = "etc/development.ini"


class Environment:
    """Lazily built: ``kairan db upgrade`` must work before the app can configure."""

    def __init__(self, config_uri):
        self.config_uri = config_uri

    @cached_property
    def raw_settings(self):
        if not os.path.exists(self.config_uri):
            raise click.ClickException(f"configuration file not found: {self.config_uri}")
        try:
            setup_logging(self.config_uri)
        except (KeyError, ValueError):  # an .ini without logging sections is fine
            pass
        return dict(get_appsettings(self.config_uri))

    @cached_property
    def settings(self):
        return load_settings(self.raw_settings)

    @cached_property
    def config(self):
        from kairan.config import configure

        return configure(dict(self.raw_settings))

    @property
    def registry(self):
        return self.config.registry

    @contextlib.contextmanager
    def transaction(self):
        """A database session in its own transaction: committed on success, else aborted."""
        from kairan.db import get_tm_session, mark_changed

        manager = transaction.TransactionManager(explicit=True)
        with manager:
            dbsession = get_tm_session(self.registry["dbsession_factory"], manager)
            # Commands also write with raw SQL (search index, purges), which
            # zope.sqlalchemy cannot see; unmarked, it would roll those back.
            mark_changed(dbsession)
            yield dbsession

    def close(self):
        """Dispose of the engine if one was built, so no connection outlives the command."""
        config = self.__dict__.get("config")
        if config is not None:
            config.registry["db_engine"].dispose()

    def request(self, path="/"):
        """A request bound to the registry, for services that want one (mail, audit)."""
        from pyramid.scripting import prepare

        return prepare(registry=self.registry)


pass_env = click.make_pass_decorator(Environment)
