"""The servers of the points bench's HTTP runs, and the CPU they and PostgreSQL use:
``kairan serve`` processes (``Servers``), the database URL they get, and CPU time read
from Linux's /proc (``bench/points.py`` is the entry point)."""

import http.client
import os
import subprocess
import time

from points_common import VENV_BIN, WORK, write_ini


class Servers:
    """``count`` ``kairan serve`` processes on free ports, each with its own ini
    (``write_ini``: etc/production.ini with ``url`` and ``threads``), started and
    answering ``/healthz`` once made."""

    def __init__(self, ini_dir, url, count, threads=None):
        self.procs = []
        self.ports = []
        for i in range(count):
            port = free_port()
            ini = write_ini(ini_dir / f"points-http-{i}.ini", url, port, threads)
            logf = open(WORK / f"points-http-{i}.log", "ab")  # noqa: SIM115
            proc = subprocess.Popen([str(VENV_BIN / "kairan"), "-c", str(ini), "serve",
                                     "--port", str(port)], stdout=logf,
                                    stderr=subprocess.STDOUT)
            self.procs.append(proc)
            self.ports.append(port)
        for port, proc in zip(self.ports, self.procs, strict=True):
            deadline = time.time() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"a server exited; see {WORK}/points-http-*.log")
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    c.request("GET", "/healthz")
                    if c.getresponse().status == 200:
                        break
                except OSError:
                    pass
                if time.time() > deadline:
                    raise RuntimeError("a server did not start")
                time.sleep(0.05)

    def cpu_seconds(self):
        """User + system CPU seconds the server processes have used so far."""
        return cpu_seconds([proc.pid for proc in self.procs])

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def server_url(url, socket_dir):
    """The servers' database URL: over the Unix socket in ``socket_dir`` when given."""
    if not socket_dir:
        return url
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    # written out by hand: an ini file would take a %-escaped path for interpolation
    return (f"{parsed.drivername}://{parsed.username or ''}@/{parsed.database}"
            f"?host={socket_dir}")


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids):
    """User + system CPU seconds of the processes ``pids`` (Linux /proc), 0 for gone ones."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def postgres_cpu(database):
    """{pid: CPU seconds} of the PostgreSQL backends connected to ``database`` (their
    titles name it) that are alive now."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                title = f.read(300)
        except OSError:
            continue
        if title.startswith(b"postgres: ") and f" {database} ".encode() in title:
            pids.append(int(pid))
    return {pid: cpu_seconds([pid]) for pid in pids}
