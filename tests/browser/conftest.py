"""Browser tests: Debian's Chromium driven by Playwright against a live server.

Each module gets its own SQLite database (migrated) served by waitress on a
free loopback port; each test gets a fresh browser profile. axe-core (from
the npm registry, installed by ``dev.py test`` into tests/browser) is
injected into pages to check accessibility.
"""

import json
import secrets
import socket
import threading
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.conftest import test_addons

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = pytest.mark.browser


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_port():
    return free_port()


@pytest.fixture(scope="module")
def live_server_settings(tmp_path_factory, live_port):
    """The settings of the live server; a test package may override this fixture (and
    add its own keys). The base URL is the real origin (``localhost``, a secure context
    where WebAuthn works), so links built from it work in the browser."""
    path = tmp_path_factory.mktemp("browser") / "kairan.sqlite"
    return {
        "sqlalchemy.url": f"sqlite:///{path}",
        "kairan.env": "testing",
        "kairan.secret": "browser-" + secrets.token_hex(16),
        "kairan.base_url": f"http://localhost:{live_port}",
        "kairan.addons": " ".join(test_addons()),
    }


@pytest.fixture(scope="module")
def live_server(live_server_settings, live_port):
    from waitress.server import create_server

    from kairan.config import configure
    from kairan.db import migrate

    settings = dict(live_server_settings)
    migrate.upgrade(dict(settings))
    config = configure(dict(settings), environ={})
    load_demo_site(config)
    server = create_server(config.make_wsgi_app(), host="127.0.0.1", port=live_port,
                           threads=4, clear_untrusted_proxy_headers=True)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    engine = config.registry["db_engine"]
    yield LiveServer(f"http://localhost:{live_port}", engine)
    server.close()
    engine.dispose()


def load_demo_site(config):
    """The demo city (users of every role, pages, news, events), indexed for search."""
    from kairan.content.search.services import reindex_all
    from kairan.demo.services import load_demo, run_demo_loaders

    session = Session(bind=config.registry["db_engine"], expire_on_commit=False)
    try:
        load_demo(session, config.registry.settings)
        session.flush()
        run_demo_loaders(session, config.registry)
        session.commit()
        reindex_all(session, config.registry)
        session.commit()
    finally:
        session.close()


def demo_password(role):
    from kairan.demo.services import DEMO_USERS

    return next(u for u in DEMO_USERS if u.role == role)


class LiveServer:
    def __init__(self, url, engine):
        self.url = url
        self.engine = engine

    def session(self):
        return Session(bind=self.engine, expire_on_commit=False)


@pytest.fixture
def browser_context(playwright_instance, tmp_path):
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        locale="ja-JP",
        viewport={"width": 390, "height": 844},  # a small phone
        # axe is injected as a script tag; our CSP (rightly) forbids that
        bypass_csp=True,
    )
    context.set_default_timeout(15000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context):
    return browser_context.pages[0] if browser_context.pages else browser_context.new_page()


def axe_violations(page, impacts=("serious", "critical")):
    """Run axe-core on the current page; return the violations of the given impacts."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run 'python3 dev.py test', which installs axe-core")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {
                runOnly: {type: 'tag',
                          values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
                resultTypes: ['violations'],
            });
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }"""
    )
    return [v for v in result if v["impact"] in impacts]


def check_accessible(page):
    violations = axe_violations(page)
    assert violations == [], f"axe on {page.url}:\n" + json.dumps(violations, indent=1,
                                                                 ensure_ascii=False)


@pytest.fixture
def assert_accessible():
    """assert_accessible(page): axe-core finds no serious or critical violation."""
    return check_accessible
