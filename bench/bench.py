"""Kairan's benchmark: Kairan (SQLite and PostgreSQL), Kotti 2.0.9 and a bare
Pyramid "hello world", measured side by side in one run with wrk.

Run it through ``bench/run.sh`` (which installs wrk and Kotti's virtual
environment first); see bench/README.md for what it measures and why.
Everything it creates lives in ``bench/.work/`` (not committed); results go
to ``bench/results/`` and, with ``--update-readme``, into bench/README.md.
"""

import argparse
import configparser
import http.client
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / ".work"
RESULTS = BENCH / "results"
VENV_BIN = Path(sys.executable).parent
KOTTI_BIN = WORK / "kotti-venv" / "bin"
PG_DATABASE = "kairan_bench"
SECRET = "bench-" + "k7Qx2mVb9RtL4wZp8NcY3hFd6JsA1gEu"  # only for this local benchmark run
README_BEGIN = "<!-- bench:results:begin -->"
README_END = "<!-- bench:results:end -->"

TARGETS = {  # issue 2: document page >= 1,000 req/s, p99 < 50 ms, >= 6x Kotti
    "doc_rps": 1000, "doc_p99_ms": 50, "kotti_ratio": 6, "rss_mb": 150, "startup_s": 2,
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_request(port, method, path, cookies=None, form=None, timeout=30):
    headers = {}
    body = None
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        jar = SimpleCookie()
        for key, value in response.getheaders():
            if key.lower() == "set-cookie":
                jar.load(value)
        return response.status, {k: m.value for k, m in jar.items()}, text
    finally:
        connection.close()


# PYTHONPATH of every Kairan process: a snapshot of one commit (see snapshot())
CODE_PATH = {}


def run(command, **kw):
    print("  $", " ".join(str(c) for c in command), flush=True)
    return subprocess.run(command, check=True, env=kairan_env(), **kw)


def kairan_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAIRAN_")}
    env.update(CODE_PATH)
    env.update(extra or {})
    return env


def snapshot(revision):
    """Export ``revision`` to bench/.work/snapshot and run Kairan from there.

    The figures then belong to one commit, whatever is being edited in the
    working tree meanwhile. Returns the commit's short hash.
    """
    target = WORK / "snapshot"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision, "src", "themes",
                              "addons"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    # git keeps no empty directories, but Pyramid refuses a translation
    # directory that does not exist: recreate the working tree's directories
    # (directories only, so the code measured is still the commit's)
    for root in ("src", "themes", "addons"):
        for directory in (REPO / root).rglob("*"):
            skip = any(part == "__pycache__" or part.endswith(".egg-info")
                       for part in directory.parts)
            if directory.is_dir() and not skip:
                (target / directory.relative_to(REPO)).mkdir(parents=True, exist_ok=True)
    roots = [target / "src", target / "themes"]
    roots += [target / "addons"] if (target / "addons").is_dir() else []
    CODE_PATH["PYTHONPATH"] = os.pathsep.join(str(r) for r in roots)
    sys.path[:0] = [str(r) for r in roots]
    return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", revision],
                          check=True, capture_output=True, text=True).stdout.strip()


# -- the systems under test -------------------------------------------------------------

@dataclass
class Server:
    name: str
    command: list
    health_path: str
    env: dict = field(default_factory=dict)
    cwd: Path = WORK
    port: int = 0
    process: subprocess.Popen | None = None
    startup_s: float | None = None

    def start(self, timeout=60):
        log = open(WORK / f"{self.name}.log", "ab")  # noqa: SIM115 - lives as long as the server
        env = kairan_env(self.env)
        started = time.perf_counter()
        self.process = subprocess.Popen([str(c) for c in self.command], cwd=self.cwd, env=env,
                                        stdout=log, stderr=subprocess.STDOUT)
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {WORK / (self.name + '.log')}")
            try:
                status, _c, _t = http_request(self.port, "GET", self.health_path, timeout=5)
                if status == 200:
                    self.startup_s = time.perf_counter() - started
                    return self
            except OSError:
                pass
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer {self.health_path} in {timeout} s")

    def peak_rss_mb(self):
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def kairan_ini(path, url, env_name, port):
    """An .ini made from etc/production.ini with only the database, env and port changed."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(REPO / "etc" / "production.ini", encoding="utf-8")
    parser["app:main"]["sqlalchemy.url"] = url
    parser["app:main"]["kairan.env"] = env_name
    parser["server:main"]["listen"] = f"127.0.0.1:{port}"
    with open(path, "w", encoding="utf-8") as f:
        parser.write(f)
    return path


def prepare_kairan_sqlite():
    db = WORK / "kairan-bench.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    port = free_port()
    # SQLite is refused in production, so this variant runs with kairan.env =
    # benchmark: everything else (no debug, no template reload, 8 threads) as
    # etc/production.ini says.
    ini = kairan_ini(WORK / "kairan-sqlite.ini", f"sqlite:///{db}", "benchmark", port)
    run([VENV_BIN / "kairan", "-c", ini, "db", "upgrade"])
    run([VENV_BIN / "kairan", "-c", ini, "demo"], stdout=subprocess.DEVNULL)
    return Server("kairan-sqlite", [VENV_BIN / "kairan", "-c", ini, "serve", "--port", port],
                  "/healthz", port=port)


# a fixed Fernet key for the benchmark's production server (the step-up add-on's seeds)
STEPUP_KEY = "YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMzI="


def prepare_kairan_postgres():
    from kairan.testing import create_postgres_database, postgres_available

    if not postgres_available():
        print("PostgreSQL is not reachable: skipping the PostgreSQL variant")
        return None
    url = create_postgres_database(PG_DATABASE)
    port = free_port()
    # the demo is never loaded into production: load it with a benchmark ini,
    # then serve with etc/production.ini itself, secrets from the environment
    setup_ini = kairan_ini(WORK / "kairan-pg-setup.ini", url, "benchmark", port)
    run([VENV_BIN / "kairan", "-c", setup_ini, "db", "upgrade"])
    run([VENV_BIN / "kairan", "-c", setup_ini, "demo"], stdout=subprocess.DEVNULL)
    env = {"KAIRAN_DATABASE_URL": url, "KAIRAN_SECRET": SECRET,
           "KAIRAN_BASE_URL": "https://portal.kairan.example.jp",
           "KAIRAN_STEPUP_KEYS": STEPUP_KEY}
    return Server("kairan-postgresql",
                  [VENV_BIN / "kairan", "-c", REPO / "etc" / "production.ini", "serve",
                   "--port", port], "/healthz", env=env, port=port)


def prepare_kotti():
    if not (KOTTI_BIN / "pserve").exists():
        print("Kotti's virtual environment is missing (bench/run.sh makes it): skipping Kotti")
        return None
    site = WORK / "kotti"
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    port = free_port()
    text = (BENCH / "kotti.ini").read_text(encoding="utf-8")
    (site / "kotti.ini").write_text(re.sub(r"listen = .*", f"listen = 127.0.0.1:{port}", text),
                                    encoding="utf-8")
    run([KOTTI_BIN / "python", BENCH / "kotti_publish.py", site / "kotti.ini"], cwd=site)
    return Server("kotti", [KOTTI_BIN / "pserve", site / "kotti.ini"], "/about", cwd=site,
                  port=port)


def prepare_hello():
    port = free_port()
    return Server("hello", [sys.executable, BENCH / "hello.py", port], "/", port=port)


def sign_in(server):
    """Sign the demo resident in through the real form; return the session cookies."""
    from kairan.demo.services import DEMO_USERS

    resident = next(u for u in DEMO_USERS if u.role == "Member")
    status, cookies, text = http_request(server.port, "GET", "/login")
    token = re.search(r'name="csrf_token"\s+value="([^"]+)"', text)
    if status != 200 or token is None:
        raise RuntimeError(f"/login on {server.name} answered {status} without a form: "
                           f"{text[:300]}; see {WORK / (server.name + '.log')}")
    token = token.group(1)
    status, more, _t = http_request(server.port, "POST", "/login", cookies=cookies, form={
        "email": resident.email, "password": resident.password, "csrf_token": token})
    if status != 303:
        raise RuntimeError(f"sign-in on {server.name} answered {status}")
    cookies.update(more)
    return {k: v for k, v in cookies.items() if "session" in k}


# -- measuring ---------------------------------------------------------------------------

@dataclass
class Target:
    system: str
    label: str
    server: Server
    path: str
    cookies: dict = field(default_factory=dict)
    runs: list = field(default_factory=list)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.port}{self.path}"


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output):
    def latency(percent):
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        return float(match.group(1)) * UNITS[match.group(2)] if match else None

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:.*", output)
    return {"rps": float(rps.group(1)) if rps else 0.0, "p50": latency(50),
            "p99": latency(99), "non2xx": int(bad.group(1)) if bad else 0,
            "errors": errors.group(0) if errors else ""}


def wrk(target, duration, connections=16):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
               "--latency"]
    if target.cookies:
        command += ["-H", "Cookie: " + "; ".join(f"{k}={v}" for k, v in target.cookies.items())]
    output = subprocess.run(command + [target.url], check=True, capture_output=True,
                            text=True).stdout
    return parse_wrk(output)


def check(target):
    status, _c, text = http_request(target.server.port, "GET", target.path,
                                    cookies=target.cookies)
    if status != 200:
        raise RuntimeError(f"{target.system} {target.path} answered {status}: {text[:300]}")


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def startup_times(server, times):
    """Start ``server`` ``times`` times from cold; seconds until /healthz answered."""
    found = []
    for _ in range(times):
        server.start()
        found.append(server.startup_s)
        server.stop()
    return found


# -- report ------------------------------------------------------------------------------

def machine(commit):
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.strip()
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    return {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "nproc": os.cpu_count(),
            "cpu": cpu, "free": free, "python": platform.python_version(),
            "os": platform.platform(), "commit": commit,
            "load": " ".join(Path("/proc/loadavg").read_text().split()[:3])}


def fmt(value, digits=1):
    return "n/a" if value is None else f"{value:,.{digits}f}"


def report(args, info, targets, rss, startup, load_after):
    lines = [
        f"Run {info['date']} on commit `{info['commit']}`: {info['nproc']} cores "
        f"({info['cpu']}), Python {info['python']}, {info['os']}.",
        f"Load average before / after: {info['load']} / {load_after} "
        "(other work on the machine shares the cores; compare rows of one run only).",
        "",
        "```", info["free"], "```", "",
        f"Command: `{args.command_line}`; each row: `wrk -t2 -c16 -d{args.duration}s "
        f"--timeout 10s --latency URL`, {args.passes} pass(es) alternating systems, "
        "median shown (passes in brackets).", "",
        "| system | page | req/s (median) | p50 ms | p99 ms | req/s per pass | non-2xx |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for t in targets:
        rps = median(r["rps"] for r in t.runs)
        per_pass = ", ".join(f"{r['rps']:,.0f}" for r in t.runs)
        bad = sum(r["non2xx"] for r in t.runs)
        lines.append(f"| {t.system} | {t.label} `{t.path}` | {fmt(rps, 0)} | "
                     f"{fmt(median(r['p50'] for r in t.runs))} | "
                     f"{fmt(median(r['p99'] for r in t.runs))} | {per_pass} | {bad} |")
    lines += ["", "| process | peak RSS (VmHWM) | start-up to /healthz (median, runs) |",
              "| --- | ---: | --- |"]
    for name, value in rss.items():
        times = startup.get(name)
        started = (f"{statistics.median(times):.2f} s ({', '.join(f'{x:.2f}' for x in times)})"
                   if times else "")
        lines.append(f"| {name} | {value:.0f} MB | {started} |")
    lines += ["", "Targets (issue 2):", ""] + verdicts(targets, rss, startup)
    return "\n".join(lines) + "\n"


def verdict(ok):
    return "met" if ok else "MISSED"


def verdicts(targets, rss, startup):
    def find(system, label):
        return next((t for t in targets if t.system == system and t.label == label), None)

    out = []
    kotti = find("Kotti 2.0.9", "document")
    kotti_rps = median(r["rps"] for r in kotti.runs) if kotti else None
    for system in ("Kairan SQLite", "Kairan PostgreSQL"):
        doc = find(system, "document")
        if not doc:
            continue
        rps = median(r["rps"] for r in doc.runs)
        p99 = median(r["p99"] for r in doc.runs)
        line = (f"- {system} document page: {fmt(rps, 0)} req/s "
                f"({verdict(rps >= TARGETS['doc_rps'])} >= {TARGETS['doc_rps']}), "
                f"p99 {fmt(p99)} ms "
                f"({verdict(p99 is not None and p99 < TARGETS['doc_p99_ms'])} "
                f"< {TARGETS['doc_p99_ms']})")
        if kotti_rps:
            ratio = rps / kotti_rps
            line += (f", {ratio:.1f}x Kotti's document "
                     f"({verdict(ratio >= TARGETS['kotti_ratio'])} >= {TARGETS['kotti_ratio']}x)")
        out.append(line)
    for name, value in rss.items():
        if name.startswith("kairan"):
            out.append(f"- {name} peak memory {value:.0f} MB "
                       f"({verdict(value < TARGETS['rss_mb'])} < {TARGETS['rss_mb']} MB)")
    for name, times in startup.items():
        value = statistics.median(times)
        out.append(f"- {name} start-up {value:.2f} s "
                   f"({verdict(value < TARGETS['startup_s'])} < {TARGETS['startup_s']} s)")
    return out


def update_readme(text):
    readme = BENCH / "README.md"
    content = readme.read_text(encoding="utf-8")
    start, end = content.index(README_BEGIN), content.index(README_END)
    readme.write_text(content[:start + len(README_BEGIN)] + "\n" + text + content[end:],
                      encoding="utf-8")


# -- main --------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 pass of 5 s (a smoke run)")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per page")
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--revision", default="HEAD",
                        help="the commit to measure (exported to bench/.work/snapshot)")
    parser.add_argument("--working-tree", action="store_true",
                        help="measure the working tree as it is instead of a commit")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-kotti", action="store_true")
    parser.add_argument("--update-readme", action="store_true",
                        help="write the results between the markers in bench/README.md")
    args = parser.parse_args(argv)
    args.command_line = "bench/run.sh " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.quick:
        args.passes, args.duration, args.warmup, args.startup_runs = 1, 5, 2, 3
    WORK.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    if args.working_tree:
        sys.path.insert(0, str(REPO / "src"))
        commit = "working tree of " + subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True).stdout.strip()
    else:
        commit = snapshot(args.revision)
    info = machine(commit)

    print("preparing the systems", flush=True)
    servers = {"kairan-sqlite": prepare_kairan_sqlite()}
    if not args.no_postgres:
        servers["kairan-postgresql"] = prepare_kairan_postgres()
    if not args.no_kotti:
        servers["kotti"] = prepare_kotti()
    servers["hello"] = prepare_hello()
    servers = {k: v for k, v in servers.items() if v is not None}

    startup = {}
    for name in ("kairan-sqlite", "kairan-postgresql"):
        if name in servers:
            print(f"start-up time of {name}", flush=True)
            startup[name] = startup_times(servers[name], args.startup_runs)

    try:
        for server in servers.values():
            server.start()
        targets = []
        # interleaved so that a drift of the machine touches every system alike
        for system, name in (("Kairan SQLite", "kairan-sqlite"),
                             ("Kairan PostgreSQL", "kairan-postgresql")):
            if name not in servers:
                continue
            server = servers[name]
            cookies = sign_in(server)
            targets += [Target(system, "document", server, "/bosai/hinanjo/"),
                        Target(system, "front page", server, "/"),
                        Target(system, "search", server, "/search?q=%E9%98%B2%E7%81%BD"),
                        Target(system, "dashboard", server, "/dashboard", cookies)]
        if "kotti" in servers:
            targets += [Target("Kotti 2.0.9", "document", servers["kotti"], "/about"),
                        Target("Kotti 2.0.9", "front page", servers["kotti"], "/")]
        targets.append(Target("Pyramid hello world", "hello", servers["hello"], "/"))
        order = sorted(targets, key=lambda t: (["document", "front page", "hello", "search",
                                                "dashboard"].index(t.label), t.system))
        for target in order:
            check(target)
            print(f"warm-up {target.system} {target.path}", flush=True)
            wrk(target, args.warmup)
        for n in range(args.passes):
            for target in order:
                result = wrk(target, args.duration)
                target.runs.append(result)
                print(f"pass {n + 1}: {target.system:<20} {target.label:<11} "
                      f"{result['rps']:>8,.0f} req/s  p50 {fmt(result['p50'])} ms  "
                      f"p99 {fmt(result['p99'])} ms  non-2xx {result['non2xx']}", flush=True)
        rss = {name: s.peak_rss_mb() for name, s in servers.items()}
        load_after = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    finally:
        for server in servers.values():
            server.stop()

    text = report(args, info, targets, rss, startup, load_after)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"{stamp}.md").write_text(text, encoding="utf-8")
    (RESULTS / "latest.md").write_text(text, encoding="utf-8")
    if args.update_readme:
        update_readme(text)
    print()
    print(text)


if __name__ == "__main__":
    main()
