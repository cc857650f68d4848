#!/usr/bin/env bash
# Kairan's benchmark, side by side with Kotti 2.0.9 and a bare Pyramid app.
#   bench/run.sh                  3 passes of 15 s per page (about 15 minutes)
#   bench/run.sh --quick          1 pass of 5 s (a smoke run)
#   bench/run.sh --update-readme  also write the figures into bench/README.md
# Needs: the project's .venv (python3 dev.py install), PostgreSQL on
# 127.0.0.1:5432 for the PostgreSQL variant (KAIRAN_TEST_POSTGRES_URL), root
# or sudo for apt-get if wrk is missing. Everything it makes is in bench/.work/.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=bench/.work
mkdir -p "$WORK"

if ! command -v wrk >/dev/null; then
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $SUDO apt-get update -q && $SUDO apt-get install -y -q wrk
fi

# Kotti 2.0.9 in its own virtual environment: it fails to import under SQLAlchemy 2.
if [ ! -x "$WORK/kotti-venv/bin/pserve" ]; then
    python3 -m venv "$WORK/kotti-venv"
    "$WORK/kotti-venv/bin/pip" install -q Kotti==2.0.9 'SQLAlchemy<2'
fi

if [ ! -x .venv/bin/kairan ]; then
    echo "Kairan is not installed in .venv: run 'python3 dev.py install' first" >&2
    exit 1
fi
exec .venv/bin/python bench/bench.py "$@"
