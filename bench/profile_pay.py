"""The CPU of one pay POST (``/points/pay/confirm``) in-process, without HTTP or wrk.

    .venv/bin/python bench/profile_pay.py [--requests 3000] [--refused] [--profile]

Needs the database ``bench/points.py`` made (``kairan_bench_points``, with its ini
``bench/.work/points-http.ini``): run ``bench/points.py --only http`` once first. Makes a
resident of its own (a wallet of 1,000,000 points, or none with ``--refused``: every
attempt is then refused, the amount page shown again), signs it in at level 2 as the
bench does, and pays the bench's shops 1–50 points at a time. Prints the statements one
POST sends, then the process CPU time per POST over five blocks (min and median: the
machine's noise is about 5 %), and with ``--profile`` cProfile's top functions by
cumulative CPU time.
"""

import argparse
import cProfile
import io
import pstats
import re
import secrets
import sys
import time

from points_common import SECRET, WORK, engine_for
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from webob import Request

ENVIRON = {"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1"}


def build_app(ini):
    from pyramid.paster import get_appsettings

    from kairan.config import configure
    from kairan.pagecache.middleware import wrap

    settings = dict(get_appsettings(str(ini)))
    config = configure(settings)
    return wrap(config.make_wsgi_app(), config.registry), settings["sqlalchemy.url"]


def make_resident(url, refused):
    """(session token, programme id, shop codes) of a new resident signed in at level 2."""
    from kairan_merchants import qr
    from kairan_merchants.models import MerchantBranch
    from kairan_points import services
    from kairan_points.models import Programme

    from kairan.accounts.models import User
    from kairan.db.meta import utcnow
    from kairan.security.models import AuthSession
    from kairan.security.sessions import token_hash

    engine = engine_for(url)
    with Session(engine) as s:
        programme = s.scalar(select(Programme).where(Programme.code == "regional2025"))
        branches = s.scalars(select(MerchantBranch).order_by(MerchantBranch.id).limit(50))
        codes = [qr.sign(SECRET, b.id, b.qr_version) for b in branches]
        now = utcnow()
        user = User(email=f"profile-{secrets.token_hex(4)}@example.jp", display_name="計測",
                    status="active", locale="ja", created=now, email_verified_at=now)
        s.add(user)
        s.flush()
        if not refused:
            services.grant(s, programme, user.id, 1_000_000, "bench", actor_id=None,
                           idempotency_key=f"profile:{user.id}")
        token = secrets.token_urlsafe(32)
        s.add(AuthSession(id=token_hash(token), user_id=user.id, created=now, last_seen=now,
                          data={}, factors={"pwd": {"level": 1, "at": now.isoformat()},
                                            "otp": {"level": 2, "at": now.isoformat()}}))
        s.commit()
        programme_id = programme.id
    engine.dispose()
    return token, programme_id, codes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ini", default=str(WORK / "points-http.ini"))
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--refused", action="store_true",
                        help="a resident without a wallet: every attempt refused")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()

    app, url = build_app(args.ini)
    token, programme_id, codes = make_resident(url, args.refused)
    response = Request.blank("/login", environ=dict(ENVIRON)).get_response(app)
    csrf = re.search(r"kairan_csrf=([^;]+)", response.headers["Set-Cookie"]).group(1)
    expected = 400 if args.refused else 303

    def post():
        body = (f"code={secrets.choice(codes)}&programme={programme_id}"
                f"&amount={1 + secrets.randbelow(50)}&idempotency_key="
                f"{secrets.token_urlsafe(24)}&csrf_token={csrf}")
        request = Request.blank("/points/pay/confirm", environ=dict(ENVIRON), method="POST",
                                body=body.encode(),
                                content_type="application/x-www-form-urlencoded")
        request.headers["Cookie"] = f"kairan_session={token}; kairan_csrf={csrf}"
        return request

    def run(requests):
        for request in requests:
            answer = request.get_response(app)
            if answer.status_int != expected:
                sys.exit(f"a POST answered {answer.status}, not {expected}")

    run([post() for _ in range(30)])  # templates compiled, statements prepared
    statements = []

    def seen(connection, cursor, statement, *rest):
        statements.append(" ".join(statement.split())[:110])

    event.listen(Engine, "before_cursor_execute", seen)
    run([post()])
    event.remove(Engine, "before_cursor_execute", seen)
    print(f"{len(statements)} statements per POST (BEGIN and COMMIT not counted):")
    for statement in statements:
        print("   ", statement)

    blocks = []
    for _block in range(5):
        requests = [post() for _ in range(max(1, args.requests // 5))]
        started = time.process_time()
        run(requests)
        blocks.append(1000 * (time.process_time() - started) / len(requests))
    blocks.sort()
    print(f"CPU per POST: min {blocks[0]:.2f} ms, median {blocks[2]:.2f} ms "
          f"({'refused' if args.refused else 'paid'}, {args.requests} POSTs in 5 blocks)")

    if args.profile:
        profile = cProfile.Profile(time.process_time)
        requests = [post() for _ in range(args.requests // 3)]
        profile.enable()
        run(requests)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
