"""Proof that a third party extends Kairan without touching core.

``kairan addon new`` writes an add-on outside the core tree; it is installed
into the running virtual environment, enabled in the settings, migrated with
``kairan db upgrade``, and then shows its dashboard tile, its content type's
page (and Kairan's own add form creating one) and its exporter. Its own
generated tests must pass too. The add-on is uninstalled afterwards so the
environment stays as it was.
"""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kairan.cli.main import cli
from kairan.testing import create_postgres_database, drop_postgres_database

pytestmark = pytest.mark.slow

NAME = "kairan_proof_library"
HERE = Path(__file__).parent
BIN = Path(sys.executable).parent


def run(*args, cwd=None, check=True):
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                            timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed ({result.returncode}):\n{result.stdout}\n"
                             f"{result.stderr}")
    return result


@pytest.fixture
def database(db_backend, tmp_path):
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'proof.sqlite'}"
        return
    name = f"kairan_proof_{os.getpid()}"
    yield create_postgres_database(name)
    drop_postgres_database(name)


@pytest.fixture
def installed_addon(tmp_path):
    target = tmp_path / NAME
    result = CliRunner().invoke(cli, ["addon", "new", NAME, "--dir", str(target)])
    assert result.exit_code == 0, result.output
    run(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
        "-e", target)
    try:
        yield target
    finally:
        run(sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", NAME, check=False)


def test_a_generated_addon_installs_migrates_and_works(installed_addon, database, db_backend,
                                                      tmp_path):
    ini = tmp_path / "proof.ini"
    ini.write_text(f"[app:main]\nuse = egg:kairan\nkairan.env = testing\n"
                   f"sqlalchemy.url = {database}\nkairan.addons = {NAME}\n", encoding="utf-8")
    kairan = [BIN / "kairan", "-c", ini]

    run(*kairan, "db", "upgrade")
    current = run(*kairan, "db", "current").stdout
    assert f"{NAME}_0001" in current and "needs" not in current
    assert "agree" in run(*kairan, "db", "check").stdout

    proof = json.loads(run(sys.executable, HERE / "addon_proof.py", NAME, database).stdout)
    assert proof["type_addable_in_root"] is True
    assert "proof_library" in proof["tiles"]
    assert "proof_library_items" in proof["exporters"]
    assert proof["dashboard_status"] == 200
    assert 'id="tile-proof_library"' in proof["dashboard"]
    assert "公開中の項目：1件" in proof["dashboard"]
    assert proof["item_status"] == 200
    assert "証明の項目" in proof["item"] and "P-2025" in proof["item"]
    assert proof["add_form_status"] == 200
    assert 'name="catalogue_code"' in proof["add_form"]
    assert proof["added_status"] in (302, 303), proof
    assert proof["added_page_status"] == 200
    assert "画面から追加した項目" in proof["added_page"] and "U-0007" in proof["added_page"]

    assert "proof_library_items" in run(*kairan, "export", "--list").stdout
    out = tmp_path / "items.csv"
    run(*kairan, "export", "proof_library_items", "--format", "csv", "-o", out)
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert {row[0]: row[2] for row in rows[1:]} == {"/added-item/": "U-0007",
                                                    "/proof-item/": "P-2025"}

    own_tests = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    f"--kairan-db={db_backend}", "tests", cwd=installed_addon, check=False)
    assert own_tests.returncode == 0, own_tests.stdout + own_tests.stderr
    assert " passed" in own_tests.stdout and "failed" not in own_tests.stdout

    run(*kairan, "db", "downgrade", f"{NAME}@base")
    assert f"{NAME}_0001" not in run(*kairan, "db", "current").stdout.split("heads")[0]
