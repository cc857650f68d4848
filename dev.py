#!/usr/bin/env python3
"""Kairan's two commands for a fresh machine with only Python 3.11+.

    python3 dev.py demo   install into .venv, build a SQLite demo site, serve it on :6543
    python3 dev.py test   install the test tools (Chromium from Debian, axe-core from npm)
                          and run the whole suite (SQLite and PostgreSQL)

Both are idempotent: run them again and they only redo what is missing.
Only the standard library is used here, since nothing else is installed yet.
"""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".kairan-installed"
AXE_DIR = ROOT / "tests" / "browser" / "node_modules" / "axe-core"


def run(*cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def install(extras=""):
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 is there
        sys.exit("Kairan needs Python 3.11 or newer.")
    if not PYTHON.exists():
        run(sys.executable, "-m", "venv", VENV)
    # A new package in src/, addons/ or themes/ needs a new editable install too.
    packages = sorted(str(p.relative_to(ROOT)) for root in ("src", "addons", "themes")
                      for p in (ROOT / root).glob("*/__init__.py"))
    wanted = hashlib.sha256(
        (ROOT / "setup.cfg").read_bytes() + (ROOT / "pyproject.toml").read_bytes()
        + (ROOT / "setup.py").read_bytes() + extras.encode() + " ".join(packages).encode()
    ).hexdigest()
    have = STAMP.read_text().split() if STAMP.exists() else []
    if wanted not in have:
        run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PYTHON, "-m", "pip", "install", "--quiet", "-e", f".{extras}", cwd=ROOT)
        STAMP.write_text(" ".join(have + [wanted]))


def kairan(*args, **kw):
    run(BIN / "kairan", *args, **kw)


def demo():
    install()
    (ROOT / "var").mkdir(exist_ok=True)
    config = ROOT / "etc" / "development.ini"
    kairan("-c", config, "db", "upgrade")
    kairan("-c", config, "demo")
    kairan("-c", config, "serve")


def ensure_chromium():
    if Path("/usr/bin/chromium").exists():
        return
    apt = shutil.which("apt-get")
    if apt is None:
        sys.exit("The browser tests need Debian's chromium package (/usr/bin/chromium).")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    run(*sudo, apt, "update", "-qq")
    run(*sudo, apt, "install", "-y", "-qq", "chromium", env={**os.environ,
                                                             "DEBIAN_FRONTEND": "noninteractive"})


def ensure_axe():
    if (AXE_DIR / "axe.min.js").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        ensure_debian_package("npm")
        npm = shutil.which("npm")
    run(npm, "install", "--no-audit", "--no-fund", "--prefix", ROOT / "tests" / "browser",
        "axe-core@4")


def ensure_debian_package(name):
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    run(*sudo, "apt-get", "update", "-qq")
    run(*sudo, "apt-get", "install", "-y", "-qq", name)


def test(args):
    install("[test]")
    ensure_chromium()
    ensure_axe()
    (ROOT / "var").mkdir(exist_ok=True)
    run(BIN / "ruff", "check", "src", "addons", "themes", "tests", "bench", cwd=ROOT)
    command = [PYTHON, "-m", "pytest", "--cov", "--cov-branch", "--cov-report=term", *args]
    result = subprocess.run([str(c) for c in command], cwd=ROOT)
    sys.exit(result.returncode)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("demo", "test", "install"):
        sys.exit(__doc__)
    if sys.argv[1] == "demo":
        demo()
    elif sys.argv[1] == "install":
        install("[test]")
    else:
        test(sys.argv[2:])


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as e:
        # the failing command has already printed its own one-line error
        sys.exit(f"dev.py: {' '.join(map(str, e.cmd))} failed (exit status {e.returncode})")
    except KeyboardInterrupt:
        sys.exit(130)
