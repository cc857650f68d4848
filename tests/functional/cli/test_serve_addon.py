"""``kairan serve`` answers on the port it was given; ``kairan addon new`` writes outside core."""

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.functional.cli.conftest import Kairan, write_ini


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_with_the_demo_home_page(tmp_path):
    url = f"sqlite:///{tmp_path / 'serve.sqlite'}"
    ini = write_ini(tmp_path / "serve.ini", url)
    kairan = Kairan(ini, url)
    kairan("db", "upgrade")
    kairan("demo")
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "kairan"), "-c", str(ini), "serve",
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    body = response.read().decode("utf-8")
                    break
            except OSError:
                time.sleep(0.1)
        assert body is not None, "the server never answered"
        assert "回覧板市" in body
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert f"serving Kairan on http://127.0.0.1:{port}/" in output


def test_addon_new_writes_a_package(tmp_path, kairan):
    target = tmp_path / "lib"
    result = kairan("addon", "new", "kairan_library", "--dir", target)
    assert "wrote 16 files" in result.output
    for relative in ("pyproject.toml", "README.md", "kairan_library/__init__.py",
                     "kairan_library/models.py", "kairan_library/views.py",
                     "kairan_library/schemas.py", "kairan_library/interfaces.py",
                     "kairan_library/templates/item.pt",
                     "kairan_library/migrations/versions/0001_kairan_library.py",
                     "tests/test_kairan_library.py", "tests/conftest.py"):
        assert (target / relative).is_file(), relative
    migration = (target / "kairan_library/migrations/versions/0001_kairan_library.py").read_text()
    assert 'branch_labels = ("kairan_library",)' in migration
    assert 'depends_on = "0001"' in migration
    assert 'dependencies = ["kairan"]' in (target / "pyproject.toml").read_text()


def test_addon_new_refuses_bad_names_and_existing_directories(tmp_path, kairan):
    assert "not a valid add-on name" in kairan("addon", "new", "Bad-Name", "--dir",
                                               tmp_path / "x", expect=1).output
    (tmp_path / "taken").mkdir()
    result = kairan("addon", "new", "kairan_library", "--dir", tmp_path / "taken", expect=1)
    assert "already exists" in result.output
    assert list((tmp_path / "taken").iterdir()) == []


def test_serve_hands_waitress_a_frozen_app_and_a_wider_young_generation(kairan, monkeypatch):
    import gc

    import waitress

    from kairan.cli.main import GC_YOUNG_THRESHOLD

    seen = {}

    def fake_serve(app, **server):
        seen.update(threshold=gc.get_threshold(), frozen=gc.get_freeze_count(), server=server)

    monkeypatch.setattr(waitress, "serve", fake_serve)
    before = gc.get_threshold()
    try:
        kairan("serve", "--port", "6599")
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
    assert seen["threshold"] == (GC_YOUNG_THRESHOLD, *before[1:])
    assert GC_YOUNG_THRESHOLD > before[0]
    assert seen["frozen"] > 0
    assert seen["server"]["port"] == 6599
