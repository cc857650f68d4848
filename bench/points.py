"""The points wallet's benchmark (issue 5), beside PostgreSQL's own pgbench in one run.

    .venv/bin/python bench/points.py                 # the full run (about 12 minutes)
    .venv/bin/python bench/points.py --quick         # a smoke run: short, small data
    .venv/bin/python bench/points.py --only http,pgbench --seconds 20

What it measures (bench/README.md, "Points wallet (issue 5)"):

- ``http``: payments through HTTP. ``--servers`` waitress processes (``kairan serve``,
  ``--threads`` threads each; default 4 and 4: on 2 cores, 3 processes of 8 threads cost
  about 20 % more CPU per payment in the GIL) on a fresh PostgreSQL database
  ``kairan_bench_points`` with the demo city; ``--residents`` residents with wallets and
  sessions made in the database as the tests make them; ``--clients`` keep-alive
  connections, spread over the servers, POST the pay confirmation
  (``/points/pay/confirm``: CSRF token, shop's static QR code, programme, amount,
  idempotency key), as the pay page's form does: sent by wrk (``--client wrk``, the
  default; ``points_wrk.py``) or by Python threads (``--client python``). A fifth of the
  residents get few points and make ``--overdraft-share`` of the attempts (default
  half), so their wallets run dry and overdraft attempts are refused. After the run:
  no wallet is below 0, every wallet's balance is its grant minus its payment rows, the
  payment rows made equal the 303 answers (see ``points_wrk.check_wallets``); at the
  end ``kairan points verify`` must pass. ``--flow full`` adds the GET of the
  confirmation page before each POST (two requests a payment; Python client).
- ``ledger``: ``ledger.transfer`` alone (wallet to shop, one point), in 8 and 32
  threads of this process, each with its own session.
- ``pgbench``: PostgreSQL's tpcb-like transaction (``pgbench -i -s 10``;
  ``-c 8 -j 2`` and ``-c 32 -j 2``) on its own database, alternating with the above;
  the ratios payments/s : pgbench tps are printed.
- ``draw``, ``expire``, ``settle``: on a database ``kairan_bench_points_bulk`` filled
  with INSERT ... SELECT generate_series (never row by row): ``kairan points draw``
  over ``--applications`` applications, ``kairan points expire`` of ``--lots`` lots
  (four per wallet), ``kairan points settle --close`` of a month with ``--payments``
  payments; then ``kairan points verify`` on that database.

Results go to bench/results/points-*.json (ignored by git) and are printed.
Needs PostgreSQL on 127.0.0.1:5432 (KAIRAN_TEST_POSTGRES_URL) and Debian's pgbench.
"""

import argparse
import http.client
import json
import os
import platform
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from points_bulk import prepare_bulk, run_bulk
from points_common import (
    HTTP_DB,
    PGBENCH_DB,
    REPO,
    RESULTS,
    SECRET,
    WORK,
    engine_for,
    fresh_database,
    log,
    run_kairan,
    sh,
    write_ini,
)
from points_servers import Servers, postgres_cpu, server_url
from points_wrk import check_wallets, payment_totals, run_http_wrk

# -- pgbench ---------------------------------------------------------------------------------

def pg_args(url):
    from sqlalchemy.engine import make_url

    u = make_url(url)
    env = dict(os.environ, PGPASSWORD=u.password or "")
    return ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U",
            u.username or "postgres"], env


def pgbench_init():
    url = fresh_database(PGBENCH_DB)
    args, env = pg_args(url)
    sh(["pgbench", *args, "-i", "-s", "10", "-q", PGBENCH_DB], env=env, capture_output=True)
    return url


def pgbench(url, clients, seconds):
    args, env = pg_args(url)
    done = sh(["pgbench", *args, "-c", clients, "-j", "2", "-T", seconds, PGBENCH_DB],
              env=env, capture_output=True, text=True)
    found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
    tps = float(found.group(1)) if found else 0.0
    log(f"    pgbench -c {clients}: {tps:,.0f} tps")
    return tps


# -- the HTTP payments -------------------------------------------------------------------------

def prepare_http(args):
    """A fresh database with the demo city, residents with wallets and sessions."""
    from kairan_merchants import qr
    from kairan_merchants.models import Merchant, MerchantBranch
    from kairan_points import services
    from kairan_points.models import Programme
    from sqlalchemy import select, text
    from sqlalchemy.orm import Session

    import kairan.accounts.models  # noqa: F401 - every table the sessions refer to
    from kairan.db.meta import utcnow
    from kairan.security.models import AuthSession
    from kairan.security.sessions import token_hash

    url = fresh_database(HTTP_DB)
    ini = write_ini(WORK / "points-http.ini", url)
    run_kairan(ini, "db", "upgrade", quiet=True)
    run_kairan(ini, "demo", quiet=True)
    engine = engine_for(url)
    residents = []
    with Session(engine) as s:
        programme = s.scalar(select(Programme).where(Programme.code == "regional2025"))
        merchant, branch = s.execute(
            select(Merchant, MerchantBranch).join(MerchantBranch,
                                                  MerchantBranch.merchant_id == Merchant.id)
            .where(Merchant.category == "supermarket", Merchant.status == "active")
            .order_by(MerchantBranch.id)).first()
        now = utcnow()
        codes = [qr.sign(SECRET, branch.id, branch.qr_version)]
        for i in range(1, args.shops):  # more supermarkets beside the demo's
            shop = Merchant(legal_name=f"株式会社ベンチ{i}", name=f"ベンチマート{i}", name_en="",
                            category="supermarket", programmes=list(merchant.programmes),
                            status="active", status_reason="", contact_name="担当",
                            contact_email=f"shop{i}@example.jp", contact_phone="0222111111",
                            created=now)
            shop.branches = [MerchantBranch(name=f"ベンチマート{i} 本店", postal_code="980-0001",
                                            address="回覧板市1-1", area="chuo",
                                            phone="022-211-1111", hours="", qr_version=1,
                                            created=now)]
            s.add(shop)
            s.flush()
            codes.append(qr.sign(SECRET, shop.branches[0].id, 1))
        ids = list(s.scalars(text(
            "INSERT INTO users (email, display_name, status, locale, created, "
            "email_verified_at) SELECT 'bench-payer-' || g || '@example.jp', "
            "'ベンチ ' || g, 'active', 'ja', now(), now() "
            "FROM generate_series(1, :n) g RETURNING id"), {"n": args.residents}))
        scarce = set(ids[: max(1, len(ids) // 5)])
        for user_id in ids:
            amount = args.scarce_points if user_id in scarce else 50_000
            services.grant(s, programme, user_id, amount, "bench", actor_id=None,
                           idempotency_key=f"bench:{user_id}")
            token = secrets.token_urlsafe(32)
            s.add(AuthSession(id=token_hash(token), user_id=user_id, created=now,
                              last_seen=now, data={},
                              factors={"pwd": {"level": 1, "at": now.isoformat()},
                                       "otp": {"level": 2, "at": now.isoformat()}}))
            residents.append({"id": user_id, "token": token, "granted": amount,
                              "scarce": user_id in scarce})
        s.commit()
        info = {"url": url, "ini": ini, "programme": programme.id, "codes": codes,
                "merchant": merchant.id, "residents": residents}
    engine.dispose()
    return info


class Client(threading.Thread):
    """One client: keep-alive connections to every server; pays until ``stop_at``."""

    def __init__(self, info, ports, stop_at, flow, seed, shops, overdraft_share=0.5):
        super().__init__(daemon=True)
        self.overdraft_share = overdraft_share
        self.shops = info["codes"][:shops]
        self.info, self.ports, self.stop_at, self.flow = info, ports, stop_at, flow
        self.random = random.Random(seed)
        self.statuses = {}
        self.latencies = []
        self.paid = {}  # resident id -> points accepted (303)
        self.errors = []
        self.conns = {}
        self.csrf = None

    def conn(self, port):
        if port not in self.conns:
            self.conns[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        return self.conns[port]

    def request(self, port, method, path, headers, body=None):
        for attempt in (1, 2):
            try:
                c = self.conn(port)
                c.request(method, path, body=body, headers=headers)
                response = c.getresponse()
                text = response.read()
                return response, text
            except (http.client.HTTPException, OSError):
                self.conns.pop(port, None)
                if attempt == 2:
                    raise
        return None

    def run(self):
        residents = self.info["residents"]
        scarce = [r for r in residents if r["scarce"]]
        ample = [r for r in residents if not r["scarce"]]
        # the CSRF cookie, as a browser gets it from the first page it shows
        port = self.ports[0]
        response, _ = self.request(port, "GET", "/login", {})
        cookie = response.getheader("Set-Cookie") or ""
        found = re.search(r"kairan_csrf=([^;]+)", cookie)
        self.csrf = found.group(1) if found else secrets.token_urlsafe(32)
        n = 0
        while time.perf_counter() < self.stop_at:
            n += 1
            payer = self.random.choice(
                scarce if self.random.random() < self.overdraft_share else ample)
            amount = 100 if payer["scarce"] else self.random.randint(1, 300)
            port = self.ports[n % len(self.ports)]
            headers = {"Cookie": f"kairan_session={payer['token']}; kairan_csrf={self.csrf}"}
            params = {"code": self.random.choice(self.shops),
                      "programme": str(self.info["programme"]), "amount": str(amount)}
            started = time.perf_counter()
            try:
                if self.flow == "full":
                    response, body = self.request(port, "GET", "/points/pay/confirm?" +
                                                  urlencode(params), headers)
                    if response.status != 200:
                        self.count(f"GET {response.status}")
                        continue
                    key = re.search(rb'name="idempotency_key"\s+value="([^"]+)"', body)
                    params["idempotency_key"] = key.group(1).decode()
                else:
                    params["idempotency_key"] = secrets.token_urlsafe(24)
                params["csrf_token"] = self.csrf
                response, body = self.request(
                    port, "POST", "/points/pay/confirm",
                    dict(headers, **{"Content-Type": "application/x-www-form-urlencoded"}),
                    urlencode(params))
            except Exception as error:  # noqa: BLE001 - counted and reported
                self.errors.append(repr(error))
                continue
            self.latencies.append(time.perf_counter() - started)
            self.count(response.status)
            if response.status == 303:
                self.paid[payer["id"]] = self.paid.get(payer["id"], 0) + amount

    def count(self, status):
        self.statuses[status] = self.statuses.get(status, 0) + 1


def run_http(info, servers, args, flow, shops):
    if args.client == "wrk" and flow == "post":
        return run_http_wrk(info, servers, args, shops)
    payments_before = payment_totals(info)
    stop_at = time.perf_counter() + 2
    warm = [Client(info, servers.ports, stop_at, flow, -i, shops, args.overdraft_share)
            for i in range(8)]
    for c in warm:
        c.start()
    for c in warm:
        c.join()
    load_before = os.getloadavg()[0]
    cpu_before = (servers.cpu_seconds(), postgres_cpu(HTTP_DB),
                  time.process_time())
    started = time.perf_counter()
    stop_at = started + args.seconds
    clients = [Client(info, servers.ports, stop_at, flow, i, shops, args.overdraft_share)
               for i in range(args.clients)]
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    elapsed = time.perf_counter() - started
    backends = postgres_cpu(HTTP_DB)
    cpu = [servers.cpu_seconds() - cpu_before[0],
           # per backend, so that one that ended during the run is left out, not negative
           sum(seconds - cpu_before[1].get(pid, 0) for pid, seconds in backends.items()),
           time.process_time() - cpu_before[2]]
    load_after = os.getloadavg()[0]
    statuses = {}
    for c in warm + clients:
        for k, v in c.statuses.items():
            statuses[str(k)] = statuses.get(str(k), 0) + v
    measured = {}
    for c in clients:
        for k, v in c.statuses.items():
            measured[str(k)] = measured.get(str(k), 0) + v
    latencies = sorted(x for c in clients for x in c.latencies)
    paid = {}
    for c in warm + clients:
        for k, v in c.paid.items():
            paid[k] = paid.get(k, 0) + v
    ok = measured.get("303", 0)
    result = {
        "flow": flow, "shops": shops, "seconds": round(elapsed, 1), "clients": args.clients,
        "servers": len(servers.ports), "payments": ok,
        "payments_s": round(ok / elapsed, 1),
        # every answer (accepted or refused): once the scarce wallets are dry, half the
        # attempts are refusals, which are requests the servers answered all the same
        "answers_s": round(sum(measured.values()) / elapsed, 1),
        "refused": sum(v for k, v in measured.items() if k not in ("303",)),
        "statuses": measured,
        "errors": sum(len(c.errors) for c in clients),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1) if latencies else None,
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 1) if latencies else None,
        "threads": args.threads, "load_before": round(load_before, 2),
        "load_after": round(load_after, 2),
    }
    # CPU per answered request (process time): the servers, PostgreSQL's backends of the
    # bench database, this client process
    answered = max(1, sum(measured.values()))
    result.update({f"cpu_ms_{name}": round(1000 * seconds / answered, 2)
                   for name, seconds in zip(("servers", "postgres", "client"), cpu,
                                            strict=True)})
    result.update(check_wallets(info, payments_before, statuses.get("303", 0),
                                sum(paid.values())))
    negative, wrong = result["wallets_below_zero"], result["wallets_wrong"]
    log(f"    HTTP ({flow}, {shops} shops): {result['payments_s']:,.0f} payments/s "
        f"({result['answers_s']:,.0f} answers/s), refused "
        f"{result['refused']} ({measured}), errors {result['errors']}, p50 "
        f"{result['p50_ms']} ms, p99 {result['p99_ms']} ms; below 0: {negative}, "
        f"wrong balances: {wrong}, rows = 303s: {result['payment_rows_equal_303']}")
    log(f"    CPU per answer: servers {result['cpu_ms_servers']} ms, PostgreSQL "
        f"{result['cpu_ms_postgres']} ms, client {result['cpu_ms_client']} ms; load "
        f"{result['load_before']} -> {result['load_after']}")
    return result


# -- the ledger alone --------------------------------------------------------------------------

def run_ledger(info, threads, seconds):
    from kairan_points import ledger
    from kairan_points.errors import PointsRefused
    from kairan_points.services import run_in_transaction
    from sqlalchemy import select, text
    from sqlalchemy.orm import sessionmaker

    engine = engine_for(info["url"], pool_size=threads, max_overflow=4)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as s:
        wallets = list(s.scalars(select(ledger.Account.id).where(
            ledger.Account.programme_id == info["programme"],
            ledger.Account.kind == "wallet", ledger.Account.balance > 1000)))
        shops = [ledger.merchant_account(s, info["programme"], merchant_id).id
                 for merchant_id in s.scalars(text("SELECT id FROM merchants"))]
        s.commit()
    counts = [0] * threads
    refused = [0] * threads
    spent = [{} for _ in range(threads)]
    stop_at = time.perf_counter() + seconds

    def work(i):
        rnd = random.Random(i)
        while time.perf_counter() < stop_at:
            wallet, shop = rnd.choice(wallets), rnd.choice(shops)
            try:
                run_in_transaction(factory, lambda s, w=wallet, shop=shop: ledger.transfer(
                    s, programme_id=info["programme"], reason_code="payment",
                    idempotency_key="bench-ledger:" + secrets.token_hex(12),
                    postings=[ledger.Posting(w, -1), ledger.Posting(shop, 1)]))
                counts[i] += 1
                spent[i][wallet] = spent[i].get(wallet, 0) + 1
            except PointsRefused:
                refused[i] += 1

    started = time.perf_counter()
    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    engine.dispose()
    total = info.setdefault("ledger_spent", {})
    for part in spent:
        for wallet, points in part.items():
            total[wallet] = total.get(wallet, 0) + points
    rate = sum(counts) / elapsed
    log(f"    ledger.transfer, {threads} threads: {rate:,.0f} transfers/s")
    return round(rate, 1)


# -- the run -----------------------------------------------------------------------------------

def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--",
                            "addons/kairan_points", "bench/points.py"],
                           capture_output=True, text=True).stdout.strip()
    pg = subprocess.run(["pgbench", "--version"], capture_output=True, text=True).stdout.strip()
    return {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit,
            "points_code_modified_since_commit": bool(dirty), "nproc": os.cpu_count(),
            "cpu": cpu, "python": platform.python_version(), "pgbench": pg,
            "load_before": os.getloadavg()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short and small: a smoke run")
    parser.add_argument("--only", default="http,ledger,pgbench,draw,expire,settle")
    parser.add_argument("--seconds", type=int, default=15, help="per HTTP/ledger/pgbench run")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--servers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="waitress threads per server")
    parser.add_argument("--pg-socket", default="",
                        help="the servers reach PostgreSQL over the Unix socket in this "
                        "directory (e.g. /var/run/postgresql) instead of TCP")
    parser.add_argument("--residents", type=int, default=500)
    parser.add_argument("--scarce-points", type=int, default=1000)
    parser.add_argument("--client", choices=("wrk", "python"), default="wrk",
                        help="what sends the post flow's payments (the full flow: python)")
    parser.add_argument("--overdraft-share", type=float, default=0.5,
                        help="the share of payment attempts made by the residents with few "
                        "points (once their wallets are dry: refused overdraft attempts)")
    parser.add_argument("--flow", default="post,full", help="post, full or both")
    parser.add_argument("--shops", type=int, default=50, help="shops the payments go to")
    parser.add_argument("--single-shop", action=argparse.BooleanOptionalAction, default=True,
                        help="also pay at one shop only (its till's row is the hot spot)")
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--capacity", type=int, default=1000)
    parser.add_argument("--lots", type=int, default=1_000_000)
    parser.add_argument("--payments", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.passes = 4, 1
        args.applications, args.lots, args.payments = 5000, 20_000, 20_000
        args.residents = 200
    only = set(args.only.split(","))
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if shutil.which("pgbench") is None and "pgbench" in only:
        sys.exit("pgbench is missing: apt-get install postgresql-client")
    report = {"machine": machine(), "args": vars(args), "passes": []}
    log(f"points bench on {report['machine']}")

    pg_url = pgbench_init() if "pgbench" in only else None
    info = prepare_http(args) if only & {"http", "ledger"} else None
    for number in range(1, args.passes + 1):
        log(f"pass {number}/{args.passes}")
        entry = {}
        if pg_url:
            entry["pgbench_c8"] = pgbench(pg_url, 8, args.seconds)
        if "http" in only:
            servers = Servers(WORK, server_url(info["url"], args.pg_socket), args.servers,
                              args.threads)
            try:
                for flow in args.flow.split(","):
                    entry[f"http_{flow}"] = run_http(info, servers, args, flow, args.shops)
                if args.single_shop:
                    entry["http_post_one_shop"] = run_http(info, servers, args, "post", 1)
            finally:
                servers.stop()
        if pg_url:
            entry["pgbench_c32"] = pgbench(pg_url, 32, args.seconds)
        if "ledger" in only:
            entry["ledger_t8"] = run_ledger(info, 8, args.seconds)
            entry["ledger_t32"] = run_ledger(info, 32, args.seconds)
        report["passes"].append(entry)
    if info is not None and "http" in only:
        _s, done = run_kairan(info["ini"], "points", "verify", check=False)
        report["http_verify_ok"] = done.returncode == 0
    if only & {"draw", "expire", "settle"}:
        log("bulk: draw, expire, settle")
        report["bulk"] = run_bulk(prepare_bulk(args), args)
    summarize(report)
    path = RESULTS / f"points-{datetime.now(UTC):%Y%m%d-%H%M}.json"
    path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    log(f"results in {path}")


def median_of(report, key, field=None):
    values = []
    for entry in report["passes"]:
        if key in entry:
            values.append(entry[key][field] if field else entry[key])
    return statistics.median(values) if values else None


def summarize(report):
    report["median"] = median = {}
    for key in ("pgbench_c8", "pgbench_c32", "ledger_t8", "ledger_t32"):
        median[key] = median_of(report, key)
    for flow in ("post", "full", "post_one_shop"):
        if median_of(report, f"http_{flow}", "payments_s") is not None:
            median[f"http_{flow}_payments_s"] = median_of(report, f"http_{flow}", "payments_s")
    log("\nsummary (medians of the passes)")
    for key, value in median.items():
        if value is not None:
            log(f"  {key}: {value:,.1f}")
    for key in ("http_post_payments_s", "http_full_payments_s",
                "http_post_one_shop_payments_s", "ledger_t8", "ledger_t32"):
        if median.get(key) and median.get("pgbench_c8"):
            log(f"  ratio {key} / pgbench -c 8: {median[key] / median['pgbench_c8']:.2f}; "
                f"/ pgbench -c 32: {median[key] / median['pgbench_c32']:.2f}")
    if "http_verify_ok" in report:
        log(f"  kairan points verify after the HTTP runs: "
            f"{'sound' if report['http_verify_ok'] else 'FAILED'}")
    if "bulk" in report:
        for key, value in report["bulk"].items():
            log(f"  {key}: {value}")


if __name__ == "__main__":
    sys.path[:0] = [str(REPO / "src"), str(REPO / "addons")]
    main()
