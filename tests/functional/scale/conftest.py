"""Two real server processes on one PostgreSQL database."""

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pkg_resources
import pytest
from _pytest.assertion.rewrite import AssertionRewritingHook
from sqlalchemy import create_engine

from kairan.testing import create_postgres_database, drop_postgres_database, postgres_available
from tests.functional.scale.http import get

# pytest rewrites the asserts of every module of the package that ships its
# plugin (kairan), and pkg_resources, which Pyramid uses for asset specs such
# as "kairan.content:locale", does not know that loader. Belongs in
# kairan.testing; harmless to repeat.
pkg_resources.register_loader_type(AssertionRewritingHook, pkg_resources.DefaultProvider)

START_TIMEOUT = 30

INI = """\
[app:main]
use = egg:kairan
kairan.env = testing
kairan.debug = false
sqlalchemy.url = {url}
kairan.secret = {secret}
kairan.base_url = http://127.0.0.1
pyramid.reload_templates = false

[server:main]
use = egg:waitress#main
listen = 127.0.0.1:6599
threads = 4
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pg_url():
    if not postgres_available():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not reachable and CI=true: the scale-out test must run")
        pytest.skip("PostgreSQL is not reachable")
    from kairan.db import migrate

    name = f"kairan_scale_{os.getpid()}_{secrets.token_hex(3)}"
    url = create_postgres_database(name)
    migrate.upgrade({"sqlalchemy.url": url, "kairan.env": "testing"})
    yield url
    drop_postgres_database(name)


@pytest.fixture(scope="module")
def pg_engine(pg_url):
    engine = create_engine(pg_url)
    yield engine
    engine.dispose()


class Server:
    def __init__(self, ini, port, log_path):
        self.port = port
        self.log_path = log_path
        kairan = Path(sys.executable).with_name("kairan")
        command = [str(kairan), "-c", str(ini), "serve", "--port", str(port)]
        # the .ini is the whole configuration: no KAIRAN_* variable of the
        # caller's shell may point the servers elsewhere
        env = {k: v for k, v in os.environ.items() if not k.startswith("KAIRAN_")}
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT,
                                        env=env)

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if get(self.port, "/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"server on port {self.port} did not answer /healthz:\n"
                             + self.log_path.read_text(errors="replace")[-3000:])

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.close()


@pytest.fixture(scope="module")
def servers(pg_url, tmp_path_factory):
    """Two ``kairan serve`` processes on one database: (first, second)."""
    directory = tmp_path_factory.mktemp("scale")
    ini = directory / "scale.ini"
    ini.write_text(INI.format(url=pg_url.replace("%", "%%"), secret=secrets.token_hex(24)),
                   encoding="utf-8")
    started = []
    try:
        for n in (1, 2):
            started.append(Server(ini, free_port(), directory / f"server{n}.log"))
        for server in started:
            server.wait_ready()
        yield tuple(started)
    finally:
        for server in started:
            server.stop()
