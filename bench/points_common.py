"""What the points bench's modules share: paths, database names, settings and the helpers
that run commands and make databases (``bench/points.py`` is the entry point)."""

import configparser
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / ".work"
RESULTS = BENCH / "results"
VENV_BIN = Path(sys.executable).parent
HTTP_DB = "kairan_bench_points"
BULK_DB = "kairan_bench_points_bulk"
PGBENCH_DB = "kairan_bench_pgbench"
SECRET = "bench-points-" + "Vq3nR8sK2wLx7ZcT5hYe9GmB4dJa6PfU"  # only for this local run
STEPUP_KEY = "YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMzI="
SEED = "bench-points-draw-seed-2025-revealed"
TARGETS = {"http_payments_s": 500, "draw_s": 10, "expire_s": 60, "settle_s": 30}


def log(text):
    print(text, flush=True)


def sh(command, check=True, **kw):
    log("  $ " + " ".join(str(c) for c in command))
    return subprocess.run([str(c) for c in command], check=check, **kw)


def run_kairan(ini, *args, check=True, quiet=False):
    """Run ``kairan -c ini ARGS``; return (seconds, completed process)."""
    started = time.perf_counter()
    done = sh([VENV_BIN / "kairan", "-c", ini, *args], check=False, capture_output=True,
              text=True)
    elapsed = time.perf_counter() - started
    out = (done.stdout + done.stderr).strip().splitlines()
    if not quiet:
        for line in [line for line in out if "expiring" not in line][-12:]:
            log("    " + line)
    if check and done.returncode != 0:
        raise RuntimeError(f"kairan {' '.join(args)} exited {done.returncode}")
    return elapsed, done


def write_ini(path, url, port=6543, threads=None):
    """etc/production.ini with this benchmark's database, env, secret and port."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(REPO / "etc" / "production.ini", encoding="utf-8")
    app = parser["app:main"]
    app["sqlalchemy.url"] = url
    app["kairan.env"] = "benchmark"
    app["kairan.secret"] = SECRET
    app["kairan.base_url"] = "http://127.0.0.1"
    app["kairan.stepup.encryption_keys"] = STEPUP_KEY
    parser["server:main"]["listen"] = f"127.0.0.1:{port}"
    if threads:
        parser["server:main"]["threads"] = str(threads)
    with open(path, "w", encoding="utf-8") as f:
        parser.write(f)
    return path


def fresh_database(name):
    from kairan.testing import create_postgres_database

    return create_postgres_database(name)


def engine_for(url, **kw):
    from sqlalchemy import create_engine

    return create_engine(url, **kw)
