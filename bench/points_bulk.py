"""The points bench's batch jobs on bulk data: a draw over many applications, the expiry
of many lots and a month's settlement over many payments (``bench/points.py --only
draw,expire,settle``). The data is written with INSERT ... SELECT generate_series."""

import time
from datetime import date

from points_common import (
    BULK_DB,
    SEED,
    WORK,
    engine_for,
    fresh_database,
    log,
    run_kairan,
    write_ini,
)


def prepare_bulk(args):
    from kairan_points import services
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    import kairan.accounts.models  # noqa: F401 - every table the ledger refers to

    url = fresh_database(BULK_DB)
    ini = write_ini(WORK / "points-bulk.ini", url)
    run_kairan(ini, "db", "upgrade", quiet=True)
    engine = engine_for(url)
    timings = {}
    with Session(engine) as s:
        programmes = {}
        for code in ("bench-draw", "bench-expire", "bench-settle"):
            programmes[code] = services.create_programme(s, {
                "code": code, "name": code, "name_en": code, "spend_from": date(2024, 1, 1),
                "spend_until": date(2030, 12, 31), "expiry_kind": "fixed",
                "expires_on": date(2031, 1, 1), "categories": [], "budget": 10**11}).id
        s.commit()

        t0 = time.perf_counter()
        s.execute(text(
            "INSERT INTO users (email, display_name, status, locale, created, "
            "email_verified_at) SELECT 'bench-' || g || '@example.jp', 'ベンチ ' || g, "
            "'active', 'ja', now(), now() FROM generate_series(1, :n) g"),
            {"n": args.applications})
        s.execute(text(
            "INSERT INTO points_campaigns (code, title, title_en, programme_id, points, "
            "capacity, opens_at, closes_at, min_level, accept_days, seed_hash, seed, "
            "result_hash, created) VALUES ('bench-lottery', 'ベンチ抽選', 'Bench lottery', "
            ":p, 1000, :capacity, '2025-01-01', '2025-01-31', 1, 7, :hash, '', '', "
            "'2025-01-01')"),
            {"p": programmes["bench-draw"], "capacity": args.capacity,
             "hash": services_seed_hash(SEED)})
        s.execute(text(
            "INSERT INTO points_campaign_applications (campaign_id, user_id, level, "
            "applied_at, status) SELECT c.id, u.id, 2, '2025-01-15', 'applied' "
            "FROM users u, points_campaigns c WHERE c.code = 'bench-lottery' "
            "AND u.email LIKE 'bench-%'"))
        s.commit()
        timings["draw_data_s"] = round(time.perf_counter() - t0, 1)

        # The data below is consistent by construction (and ``kairan points verify``
        # proves it at the end); the deferred per-line "transfer balances" check would
        # sum a 250,000-line grant 250,000 times at commit, so this session skips
        # triggers while it writes (replica role). The code measured runs with them.
        s.execute(text("SET session_replication_role = replica"))
        t0 = time.perf_counter()
        wallets = max(1, args.lots // 4)
        bulk_wallets(s, programmes["bench-expire"], wallets, rounds=4, amount=100,
                     expires_at="2025-03-01 00:00", at="2025-01-10 00:00")
        s.commit()
        timings["expire_data_s"] = round(time.perf_counter() - t0, 1)

        t0 = time.perf_counter()
        bulk_payments(s, programmes["bench-settle"], args.payments)
        s.commit()
        timings["settle_data_s"] = round(time.perf_counter() - t0, 1)
        s.execute(text("SET session_replication_role = origin"))
        s.execute(text("ANALYZE"))
        s.commit()
    engine.dispose()
    log(f"    data made with INSERT ... SELECT: {timings}")
    return {"url": url, "ini": ini, "timings": timings}


def services_seed_hash(seed):
    from kairan_points.campaigns.services import seed_hash

    return seed_hash(seed)


def bulk_wallets(s, programme_id, count, rounds, amount, expires_at, at):
    """``count`` wallets (no owner) with ``rounds`` lots of ``amount`` each: one grant
    transfer per round with a line per wallet, as the ledger would write it."""
    from sqlalchemy import text

    before = s.scalar(text("SELECT coalesce(max(id), 0) FROM points_accounts"))
    s.execute(text(
        "INSERT INTO points_accounts (programme_id, kind, balance, min_balance, created) "
        "SELECT :p, 'wallet', 0, 0, :at FROM generate_series(1, :n)"),
        {"p": programme_id, "at": at, "n": count})
    issuer = s.scalar(text("SELECT id FROM points_accounts WHERE programme_id = :p "
                           "AND kind = 'issuer'"), {"p": programme_id})
    for r in range(1, rounds + 1):
        transfer = s.scalar(text(
            "INSERT INTO points_transfers (programme_id, reason_code, reason, at, "
            "idempotency_key, request_hash) VALUES (:p, 'grant', 'bench', :at, :key, "
            "repeat('0', 64)) RETURNING id"),
            {"p": programme_id, "at": at, "key": f"bench:grant:{programme_id}:{before}:{r}"})
        s.execute(text(
            "INSERT INTO points_lines (transfer_id, account_id, amount) "
            "SELECT :t, id, :a FROM points_accounts WHERE id > :before AND programme_id = :p "
            "AND kind = 'wallet' UNION ALL SELECT :t, :issuer, -CAST(:a AS bigint) * :n"),
            {"t": transfer, "a": amount, "before": before, "p": programme_id,
             "issuer": issuer, "n": count})
        s.execute(text(
            "INSERT INTO points_lots (account_id, line_id, amount, remaining, expires_at, "
            "created) SELECT account_id, id, amount, amount, :exp, :at FROM points_lines "
            "WHERE transfer_id = :t AND account_id <> :issuer"),
            {"t": transfer, "issuer": issuer, "exp": expires_at, "at": at})
        s.execute(text(
            "INSERT INTO points_lot_entries (lot_id, line_id, amount) SELECT l.id, l.line_id, "
            "l.amount FROM points_lots l JOIN points_lines n ON n.id = l.line_id "
            "WHERE n.transfer_id = :t"), {"t": transfer})
    s.execute(text(
        "UPDATE points_accounts a SET balance = v.total FROM (SELECT account_id, "
        "sum(amount) AS total FROM points_lines GROUP BY account_id) v "
        "WHERE a.id = v.account_id AND a.programme_id = :p"), {"p": programme_id})


def bulk_payments(s, programme_id, count, wallets=10_000, merchants=200):
    """``count`` payments (no refunds) in January 2025 (JST) from
    ``wallets`` wallets to ``merchants`` shops, spending each wallet's one lot."""
    from sqlalchemy import text

    before = s.scalar(text("SELECT coalesce(max(id), 0) FROM points_accounts"))
    bulk_wallets(s, programme_id, wallets, rounds=1, amount=10**7,
                 expires_at="2031-01-01 00:00", at="2024-12-01 00:00")
    s.execute(text(
        "INSERT INTO points_accounts (programme_id, kind, merchant_id, balance, min_balance, "
        "created) SELECT :p, 'merchant', g, 0, 0, '2024-12-01' "
        "FROM generate_series(1, :m) g"), {"p": programme_id, "m": merchants})
    # January 2025 in JST: 2024-12-31 15:00 UTC to 2025-01-31 15:00 UTC
    s.execute(text(
        "INSERT INTO points_transfers (programme_id, reason_code, reason, at, "
        "idempotency_key, request_hash) SELECT :p, 'payment', '', "
        "timestamp '2024-12-31 15:00' + (g * (2678400.0 / (:n + 1))) * interval '1 second', "
        "'bench:pay:' || g, repeat('0', 64) FROM generate_series(1, :n) g"),
        {"p": programme_id, "n": count})
    s.execute(text("CREATE TEMP TABLE bench_w AS SELECT id, row_number() OVER (ORDER BY id) - 1 "
                   "AS rn FROM points_accounts WHERE programme_id = :p AND kind = 'wallet' "
                   "AND id > :before"), {"p": programme_id, "before": before})
    s.execute(text("CREATE TEMP TABLE bench_m AS SELECT id, row_number() OVER (ORDER BY id) - 1 "
                   "AS rn FROM points_accounts WHERE programme_id = :p AND kind = 'merchant'"),
              {"p": programme_id})
    s.execute(text(
        "INSERT INTO points_lines (transfer_id, account_id, amount) "
        "SELECT t.id, w.id, -(1 + t.id % 500) FROM points_transfers t "
        "JOIN bench_w w ON w.rn = t.id % :w WHERE t.programme_id = :p "
        "AND t.reason_code = 'payment' UNION ALL "
        "SELECT t.id, m.id, 1 + t.id % 500 FROM points_transfers t "
        "JOIN bench_m m ON m.rn = t.id % :m WHERE t.programme_id = :p "
        "AND t.reason_code = 'payment'"), {"p": programme_id, "w": wallets, "m": merchants})
    s.execute(text(
        "INSERT INTO points_lot_entries (lot_id, line_id, amount) "
        "SELECT l.id, n.id, n.amount FROM points_lines n JOIN points_lots l "
        "ON l.account_id = n.account_id JOIN points_transfers t ON t.id = n.transfer_id "
        "WHERE t.programme_id = :p AND t.reason_code = 'payment' AND n.amount < 0"),
        {"p": programme_id})
    s.execute(text(
        "UPDATE points_lots l SET remaining = l.amount + v.spent FROM (SELECT e.lot_id, "
        "sum(e.amount) AS spent FROM points_lot_entries e WHERE e.amount < 0 "
        "GROUP BY e.lot_id) v WHERE l.id = v.lot_id"))
    s.execute(text(
        "UPDATE points_accounts a SET balance = v.total FROM (SELECT account_id, "
        "sum(amount) AS total FROM points_lines GROUP BY account_id) v "
        "WHERE a.id = v.account_id AND a.programme_id = :p"), {"p": programme_id})
    s.execute(text("DROP TABLE bench_w; DROP TABLE bench_m"))


def run_bulk(bulk, args):
    results = {"data": bulk["timings"]}
    ini = bulk["ini"]
    seconds, done = run_kairan(ini, "points", "draw", "bench-lottery", "--seed", SEED)
    results["draw_s"] = round(seconds, 2)
    results["draw_ok"] = done.returncode == 0
    seconds, done = run_kairan(ini, "points", "draw", "bench-lottery", "--verify", check=False)
    results["draw_verify_s"] = round(seconds, 2)
    results["draw_verify_ok"] = done.returncode == 0
    seconds, done = run_kairan(ini, "points", "expire", "--at", "2025-03-02T00:00+09:00")
    results["expire_s"] = round(seconds, 2)
    results["expire_output"] = done.stdout.strip().splitlines()[-1]
    seconds, done = run_kairan(ini, "points", "expire", "--at", "2025-03-02T00:00+09:00")
    results["expire_again_s"] = round(seconds, 2)
    results["expire_again_output"] = done.stdout.strip().splitlines()[-1]
    seconds, done = run_kairan(ini, "points", "settle", "--period", "2025-01", "--close",
                           check=False)
    results["settle_s"] = round(seconds, 2)
    results["settle_ok"] = done.returncode == 0
    seconds, done = run_kairan(ini, "points", "verify", check=False)
    results["verify_s"] = round(seconds, 2)
    results["verify_ok"] = done.returncode == 0
    return results
