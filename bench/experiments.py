"""Measure, in-process, what the fixes proposed in bench/README.md would gain.

    .venv/bin/python bench/experiments.py [--ini bench/.work/kairan-sqlite.ini]

Nothing here changes Kairan: each variant patches a function for the
duration of its measurement only, and the variants alternate so that a
drifting machine touches all of them alike.

1. ``statements``: the traversal query and the navigation query built once
   at import (with an expanding bind parameter) instead of on every request.
2. ``validated copy``: anonymous GETs answered from a per-process copy of the
   rendered response, checked on every request against the database with one
   indexed SELECT, so that no process can serve a page older than the
   database (the scale-out test stays the proof).
"""

import argparse
import statistics
import time
from functools import cached_property
from pathlib import Path

from profile_page import build_app, call
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import with_polymorphic

from kairan.content import traversal
from kairan.content.models import Node
from kairan.views import layout as layout_module

BENCH = Path(__file__).resolve().parent

POLY = with_polymorphic(Node, "*")
LINEAGE = select(POLY).where(POLY.path.in_(bindparam("paths", expanding=True)),
                             POLY.deleted_at.is_(None))
NAVIGATION = (
    select(Node.path, Node.title, Node.title_en)
    .where(Node.parent_id.in_(select(Node.id).where(Node.parent_id.is_(None))),
           Node.state == "published", Node.in_navigation.is_(True), Node.deleted_at.is_(None))
    .order_by(Node.position, Node.id)
)
ORIGINAL_LINEAGE = traversal.load_lineage
ORIGINAL_NAVIGATION = layout_module.Layout.__dict__["navigation"]


def prebuilt_lineage(dbsession, segments, include_deleted=False):
    if include_deleted:
        return ORIGINAL_LINEAGE(dbsession, segments, include_deleted)
    prefixes = ["/"]
    for segment in segments[:traversal.MAX_DEPTH]:
        prefixes.append(prefixes[-1] + segment + "/")
    found = {node.path: node for node in dbsession.scalars(LINEAGE, {"paths": prefixes})}
    chain = []
    for prefix in prefixes:
        node = found.get(prefix)
        if node is None:
            break
        if chain:
            node.set_traversal_parent(chain[-1])
        chain.append(node)
    return chain


def prebuilt_navigation(self):
    current = self.request.path
    return [(title_en if self.locale == "en" and title_en else title, path,
             current.startswith(path))
            for path, title, title_en in self.request.dbsession.execute(NAVIGATION)]


PREBUILT_NAVIGATION = cached_property(prebuilt_navigation)
PREBUILT_NAVIGATION.__set_name__(layout_module.Layout, "navigation")


def use(lineage, navigation):
    traversal.load_lineage = lineage
    layout_module.Layout.navigation = navigation


def validated_copy(app, engine):
    """A WSGI wrapper: the prototype of an anonymous page cache."""
    copies = {}

    def wrapper(environ, start_response):
        cookies = environ.get("HTTP_COOKIE", "")
        if environ["REQUEST_METHOD"] != "GET" or "session" in cookies:
            return app(environ, start_response)
        # stands in for a one-row "content generation" counter that a
        # subscriber of every ContentEvent would bump
        with engine.connect() as connection:
            generation = connection.execute(text("SELECT max(modified) FROM nodes")).scalar()
        key = (environ["PATH_INFO"], environ.get("QUERY_STRING", ""), cookies)
        copy = copies.get(key)
        if copy and copy[0] == generation:
            start_response(copy[1], copy[2])
            return [copy[3]]
        seen = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers

        body = b"".join(app(environ, capture))
        if seen["status"].startswith("200") and not any(
                k.lower() == "set-cookie" for k, _v in seen["headers"]):
            copies[key] = (generation, seen["status"], seen["headers"], body)
        start_response(seen["status"], seen["headers"])
        return [body]

    return wrapper


def per_request_ms(app, path, requests):
    for _ in range(10):
        call(app, path, "")
    started = time.perf_counter()
    for _ in range(requests):
        call(app, path, "")
    return (time.perf_counter() - started) / requests * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ini", default=str(BENCH / ".work" / "kairan-sqlite.ini"))
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    config = build_app(args.ini)
    app = config.make_wsgi_app()
    copy_app = validated_copy(app, config.registry["db_engine"])
    variants = {
        "as committed": (app, ORIGINAL_LINEAGE, ORIGINAL_NAVIGATION),
        "statements built once": (app, prebuilt_lineage, PREBUILT_NAVIGATION),
        "validated copy": (copy_app, ORIGINAL_LINEAGE, ORIGINAL_NAVIGATION),
    }
    for path in ("/bosai/hinanjo/", "/"):
        times = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, (wsgi, lineage, navigation) in variants.items():
                use(lineage, navigation)
                times[name].append(per_request_ms(wsgi, path, args.requests))
        use(ORIGINAL_LINEAGE, ORIGINAL_NAVIGATION)
        for name, values in times.items():
            print(f"{path:<16} {name:<22} {statistics.median(values):6.2f} ms per request "
                  f"({', '.join(f'{v:.2f}' for v in values)})")
    print(f"{'/healthz':<16} {'as committed':<22} "
          f"{per_request_ms(app, '/healthz', args.requests):6.2f} ms per request")


if __name__ == "__main__":
    main()
