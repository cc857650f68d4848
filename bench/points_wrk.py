"""The HTTP payments driven by wrk (``bench/points.py --client wrk``, the default).

One wrk process per server (``-t1``, an equal share of ``--clients`` connections,
keep-alive), each running a Lua script written here with the residents' session
cookies and the shops' codes: every request is the pay form's confirming POST
with a fresh idempotency key, as in the Python client (``points.Client``), which
``--client python`` keeps. wrk costs the shared two cores far less CPU per request
than 64 Python threads do, so more of them go to the servers and PostgreSQL.

wrk cannot tell which of its requests an answer belongs to, so the checks after a
run are made against the database: the payment rows equal the 303 answers wrk
counted, no wallet is below 0, and every wallet's balance is its grant minus its
payment rows (and minus what the ledger-alone runs took); ``kairan points verify``
runs at the end of the bench as before.
"""

import json
import os
import re
import secrets
import subprocess
import time
from urllib.parse import quote

from points_common import HTTP_DB, WORK, engine_for, log
from points_servers import postgres_cpu

LUA = r"""
local ample = {%(ample)s}
local scarce = {%(scarce)s}
local codes = {%(codes)s}
local programme = "%(programme)s"
local csrf = "%(csrf)s"
local share = %(share)s
local threads = {}
local counter = 0
local prefix = "k"
statuses = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1]
  math.randomseed(tonumber(args[2]))
end

function request()
  counter = counter + 1
  local token, amount
  if math.random() < share then
    token = scarce[math.random(#scarce)]
    amount = 100
  else
    token = ample[math.random(#ample)]
    amount = math.random(1, 300)
  end
  local body = "code=" .. codes[math.random(#codes)] .. "&programme=" .. programme ..
    "&amount=" .. amount .. "&idempotency_key=" .. prefix .. "-" .. counter .. "-" ..
    math.random(100000000, 999999999) .. "&csrf_token=" .. csrf
  return wrk.format("POST", "/points/pay/confirm", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "kairan_session=" .. token .. "; kairan_csrf=" .. csrf}, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local counted = thread:get("statuses")
    for status, n in pairs(counted) do
      io.write(string.format("STATUS %%d %%d\n", status, n))
    end
  end
  io.write(string.format("LATENCY %%d %%d %%d\n", latency:percentile(50),
                         latency:percentile(99), latency.max))
  io.write(string.format("ERRORS %%d %%d %%d %%d %%d\n", summary.errors.connect,
                         summary.errors.read, summary.errors.write, summary.errors.status,
                         summary.errors.timeout))
end
"""


def _lua_list(values):
    return ", ".join(json.dumps(v) for v in values)


def write_script(info, shops, share, csrf):
    residents = info["residents"]
    path = WORK / f"points-pay-{shops}.lua"
    path.write_text(LUA % {
        "ample": _lua_list(r["token"] for r in residents if not r["scarce"]),
        "scarce": _lua_list(r["token"] for r in residents if r["scarce"]),
        "codes": _lua_list(quote(code, safe="") for code in info["codes"][:shops]),
        "programme": info["programme"], "csrf": csrf, "share": repr(float(share)),
    }, encoding="utf-8")
    return path


def run_wrk(ports, script, connections, seconds):
    """wrk against every port at once; return (statuses, [p50, p99, max] in ms, errors,
    the wrk processes' CPU seconds)."""
    procs = []
    share, extra = divmod(connections, len(ports))
    for i, port in enumerate(ports):
        out = open(WORK / f"wrk-{port}.out", "w+", encoding="utf-8")  # noqa: SIM115
        procs.append((subprocess.Popen(
            ["wrk", "-t1", f"-c{share + (1 if i < extra else 0)}", f"-d{seconds}s",
             "--timeout", "30s", "-s", str(script), f"http://127.0.0.1:{port}",
             "--", f"w{port}x{secrets.token_hex(4)}", str(secrets.randbelow(2**31))],
            stdout=out, stderr=subprocess.STDOUT), out))
    statuses, latencies, errors, cpu = {}, [], 0, 0.0
    for proc, out in procs:
        _pid, _status, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
        cpu += usage.ru_utime + usage.ru_stime
        out.seek(0)
        text = out.read()
        out.close()
        for status, n in re.findall(r"^STATUS (\d+) (\d+)$", text, re.M):
            statuses[status] = statuses.get(status, 0) + int(n)
        found = re.search(r"^LATENCY (\d+) (\d+) (\d+)$", text, re.M)
        if found is None:
            raise RuntimeError(f"wrk said:\n{text}")
        latencies.append([int(x) / 1000 for x in found.groups()])
        # connect, read, write and timeout errors (wrk also counts 4xx/5xx answers as
        # errors: those are in the statuses)
        connect, read, write, _status, timeout = re.search(
            r"^ERRORS (.*)$", text, re.M).group(1).split()
        errors += int(connect) + int(read) + int(write) + int(timeout)
    # the slowest server's percentiles: a fair upper bound, as wrk's are per process
    latency = [max(values) for values in zip(*latencies, strict=True)]
    return statuses, latency, errors, cpu


def run_http_wrk(info, servers, args, shops):
    """``points.run_http`` for the ``post`` flow with wrk as the client."""
    csrf = secrets.token_urlsafe(32)
    script = write_script(info, shops, args.overdraft_share, csrf)
    payments_before = payment_totals(info)
    show_pay_pages(info, servers.ports)
    warm, _lat, _err, _cpu = run_wrk(servers.ports, script, 16, 2)
    load_before = os.getloadavg()[0]
    before = (servers.cpu_seconds(), postgres_cpu(HTTP_DB))
    started = time.perf_counter()
    statuses, latency, errors, client_cpu = run_wrk(servers.ports, script, args.clients,
                                                    args.seconds)
    elapsed = time.perf_counter() - started
    backends = postgres_cpu(HTTP_DB)
    cpu = [servers.cpu_seconds() - before[0],
           sum(seconds - before[1].get(pid, 0) for pid, seconds in backends.items()),
           client_cpu]
    load_after = os.getloadavg()[0]
    ok = statuses.get("303", 0)
    answered = max(1, sum(statuses.values()))
    result = {
        "client": "wrk", "flow": "post", "shops": shops, "seconds": round(elapsed, 1),
        "clients": args.clients, "servers": len(servers.ports), "threads": args.threads,
        "overdraft_share": args.overdraft_share, "payments": ok,
        "payments_s": round(ok / elapsed, 1),
        "answers_s": round(sum(statuses.values()) / elapsed, 1),
        "refused": answered - ok if statuses else 0, "statuses": statuses, "errors": errors,
        "p50_ms": latency[0], "p99_ms": latency[1], "max_ms": latency[2],
        "load_before": round(load_before, 2), "load_after": round(load_after, 2),
    }
    result.update({f"cpu_ms_{name}": round(1000 * seconds / answered, 2)
                   for name, seconds in zip(("servers", "postgres", "client"), cpu,
                                            strict=True)})
    # wrk's warm-up and measured runs each end with up to one request per connection
    result.update(check_wallets(info, payments_before, ok + warm.get("303", 0),
                                in_flight=16 + args.clients))
    negative, wrong = result["wallets_below_zero"], result["wallets_wrong"]
    log(f"    HTTP (post, wrk, {shops} shops): {result['payments_s']:,.0f} payments/s "
        f"({result['answers_s']:,.0f} answers/s), refused {result['refused']} "
        f"({statuses}), errors {errors}, p50 {latency[0]} ms, p99 {latency[1]} ms; "
        f"below 0: {negative}, wrong balances: {wrong}, rows = 303s: "
        f"{result['payment_rows_equal_303']} (+{result['payments_unanswered_at_the_end']} "
        "in flight at the end)")
    log(f"    CPU per answer: servers {result['cpu_ms_servers']} ms, PostgreSQL "
        f"{result['cpu_ms_postgres']} ms, wrk {result['cpu_ms_client']} ms; load "
        f"{result['load_before']} -> {result['load_after']}")
    return result


def show_pay_pages(info, ports):
    """The pay page of a shop once from each server, so that Chameleon compiles its
    template and the layout's before the measured run: a refused payment shows the same
    page, and compiling it holds the process's interpreter for about half a second."""
    import http.client

    resident = info["residents"][0]
    for port in ports:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", "/points/pay?code=" + quote(info["codes"][0], safe=""),
                           headers={"Cookie": f"kairan_session={resident['token']}"})
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status != 200:
            raise RuntimeError(f"the pay page answered {response.status} on port {port}")


def payment_totals(info):
    """(number, points) of the payment rows now."""
    from sqlalchemy import text

    engine = engine_for(info["url"])
    with engine.connect() as connection:
        found = connection.execute(text(
            "SELECT count(*), coalesce(sum(amount), 0) FROM points_payments")).one()
    engine.dispose()
    return tuple(found)


def check_wallets(info, before, accepted, accepted_points=None, in_flight=0):
    """The checks after a run, against the database: the payment rows made since
    ``before`` (``payment_totals``) are the ``accepted`` answers (and, when the client
    knows them, ``accepted_points`` points), or up to ``in_flight`` more (wrk closes its
    connections at the end with requests in flight, which the servers still answer and
    commit); no wallet is below 0; every wallet's balance is its grant minus its
    payment rows (and what the ledger-alone runs took)."""
    from sqlalchemy import text

    # the requests still in the servers finish first
    settled, count = None, payment_totals(info)[0]
    while settled != count:
        time.sleep(0.5)
        settled, count = count, payment_totals(info)[0]
    engine = engine_for(info["url"])
    with engine.connect() as connection:
        paid = dict(connection.execute(text(
            "SELECT user_id, sum(amount) FROM points_payments GROUP BY user_id")).all())
        rows = connection.execute(text(
            "SELECT user_id, id, balance FROM points_accounts WHERE kind = 'wallet' "
            "AND programme_id = :p"), {"p": info["programme"]}).all()
        negative = connection.scalar(text(
            "SELECT count(*) FROM points_accounts WHERE balance < 0 AND kind = 'wallet'"))
    engine.dispose()
    count, points = payment_totals(info)
    spent = info.get("ledger_spent", {})
    balances = {user: balance + spent.get(account, 0) for user, account, balance in rows}
    wrong = [r["id"] for r in info["residents"]
             if balances.get(r["id"]) != r["granted"] - paid.get(r["id"], 0)]
    dry = sum(1 for r in info["residents"] if r["scarce"] and balances.get(r["id"]) == 0)
    unanswered = count - before[0] - accepted
    rows_match = 0 <= unanswered <= in_flight and (
        accepted_points is None or points - before[1] == accepted_points)
    return {"wallets_below_zero": negative, "wallets_wrong": len(wrong),
            "scarce_wallets_emptied": dry, "payment_rows_equal_303": rows_match,
            "payments_unanswered_at_the_end": unanswered}
