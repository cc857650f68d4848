"""Where the time of one Kairan request goes, in-process (no network, no wrk).

    .venv/bin/python bench/profile_page.py [PATH] [--ini bench/.work/kairan-sqlite.ini]
        [--requests 500] [--cookie NAME=VALUE] [--top 30] [--startup]

Needs the database that ``bench/run.sh`` prepared (or any migrated one with
the demo loaded). Prints the mean time per request, the SQL statements per
request, then cProfile's top functions by own time and by cumulative time.
``--startup`` profiles building the application instead.
"""

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

from pyramid.paster import get_appsettings
from sqlalchemy import event
from webob import Request

BENCH = Path(__file__).resolve().parent


def build_app(ini):
    from kairan.config import configure

    return configure(dict(get_appsettings(str(ini))))


def call(app, path, cookie):
    request = Request.blank(path, environ={"REMOTE_ADDR": "127.0.0.1",
                                           "HTTP_HOST": "127.0.0.1"})
    if cookie:
        request.headers["Cookie"] = cookie
    response = request.get_response(app)
    if response.status_int != 200:
        raise SystemExit(f"{path} answered {response.status}")
    return response


def print_stats(profile, top):
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).strip_dirs().sort_stats(order).print_stats(top)
        print(f"--- top {top} by {order} ---")
        print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", default="/bosai/hinanjo/")
    parser.add_argument("--ini", default=str(BENCH / ".work" / "kairan-sqlite.ini"))
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--cookie", default="")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--startup", action="store_true")
    args = parser.parse_args()

    if args.startup:
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.runcall(build_app, args.ini)
        print(f"configure(): {time.perf_counter() - started:.2f} s (profiled)")
        print_stats(profile, args.top)
        return

    started = time.perf_counter()
    config = build_app(args.ini)
    print(f"configure(): {time.perf_counter() - started:.2f} s")
    app = config.make_wsgi_app()
    statements = []
    event.listen(config.registry["db_engine"], "before_cursor_execute",
                 lambda conn, cursor, sql, params, context, many: statements.append(sql))

    for _ in range(20):  # warm caches: templates compiled, catalogues loaded
        call(app, args.path, args.cookie)
    statements.clear()
    started = time.perf_counter()
    for _ in range(args.requests):
        call(app, args.path, args.cookie)
    elapsed = time.perf_counter() - started
    per_request = elapsed / args.requests
    print(f"{args.path}: {per_request * 1000:.2f} ms per request in-process "
          f"(= {1 / per_request:,.0f} req/s on one core), "
          f"{len(statements) / args.requests:.1f} SQL statements per request")
    seen = {}
    for sql in statements[: len(statements) // args.requests]:
        key = " ".join(sql.split())[:160]
        seen[key] = seen.get(key, 0) + 1
    for sql, count in seen.items():
        print(f"  {count}x {sql}")

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        call(app, args.path, args.cookie)
    profile.disable()
    print_stats(profile, args.top)


if __name__ == "__main__":
    sys.exit(main())
