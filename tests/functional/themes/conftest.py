"""A second application on the same test database, with the 桜ヶ丘市 theme selected."""

import pkg_resources
import pytest
from _pytest.assertion.rewrite import AssertionRewritingHook

from kairan.config import configure
from kairan.testing import KairanTestApp

# pytest rewrites the asserts of every module of the package that ships its
# plugin (kairan), and pkg_resources, which Pyramid uses for asset specs such
# as "kairan.content:locale", does not know that loader. Belongs in
# kairan.testing; harmless to repeat.
pkg_resources.register_loader_type(AssertionRewritingHook, pkg_resources.DefaultProvider)


@pytest.fixture(scope="session")
def sakura_app(app_config, kairan_settings):
    # app_config has migrated the database; this app only differs by its theme
    config = configure(dict(kairan_settings, **{"kairan.theme": "kairan_theme_sakura"}),
                       environ={})
    yield config.make_wsgi_app()
    config.registry["db_engine"].dispose()


@pytest.fixture
def sakura_testapp(sakura_app, clean_db):
    return KairanTestApp(sakura_app, extra_environ={"REMOTE_ADDR": "192.0.2.10",
                                                    "HTTP_HOST": "localhost"})
