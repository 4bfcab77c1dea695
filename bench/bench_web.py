"""Benchmark: the dashboard through the real web role — gunicorn as in the Procfile — over HTTP.

Fills a fresh database (temporary SQLite file, or a throw-away PostgreSQL schema with
``--database``) with 1,000 articles × 365 days of statistics (``bench_dashboard.fill``) and 50 staff
accounts, writes the runtime environment to ``runtime.env``, starts the Procfile's ``web`` command
(``gunicorn --workers 2 --threads 4 … wxpub.wsgi:app``, bound to 127.0.0.1 on a free port) as a
subprocess, logs the 50 staff in through the login form (CSRF and all; a correct password is never
throttled), then:

1. 50 concurrent staff (one session and one keep-alive connection each, arriving over ``--ramp``
   seconds) GET ``/dashboard/`` in a closed loop — the next request as soon as the answer is in —
   for ``--seconds`` after the warm-up: p50 / p95 / max, requests per second, the workers' CPU per
   request and cores used, and how the connections are spread over the two workers (gunicorn's
   workers share one listening socket and Linux wakes the busiest first, so a burst of connections
   lands on one worker; its staff then wait longer: "each person's p50" shows it).
   ``--fresh-connections``: a new connection per request instead, as from a reverse proxy without
   upstream keep-alive or browsers after a pause;
2. one client alone: p50 / p95 of the release page and of the calendar (``--release-path``,
   ``--calendar-path``; when a path answers 404 its fallback, ``/api/v1/releases/<id>`` and
   ``/dashboard/calendar``, is measured instead and named).

    .venv/bin/python bench/bench_web.py
    .venv/bin/python bench/bench_web.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test

Prints the command line, the load average and the figures as a block to paste into a note. Exit
status 1 when a target is missed: dashboard p95 ≥ 100 ms at 50 clients, or a single-user page's
p95 ≥ 50 ms (or any request failed).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

STAFF, PASSWORD = 50, "bench-Haibin-2026"
ROLES = ("editor", "proofreader", "reviewer", "approver")
DASHBOARD_TARGET, SINGLE_TARGET = 100.0, 50.0
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def procfile_web(port: int) -> list[str]:
    """The Procfile's ``web`` command with ``$PORT`` filled in, bound to the loopback only."""
    with open(os.path.join(ROOT, "Procfile"), encoding="utf-8") as f:
        line = next(l for l in f if l.startswith("web:"))
    command = line.split(":", 1)[1].strip().replace("$PORT", str(port)).replace("0.0.0.0", "127.0.0.1")
    argv = shlex.split(command)
    local = os.path.join(os.path.dirname(sys.executable), argv[0])  # the virtualenv's gunicorn
    return [local if os.path.exists(local) else argv[0], *argv[1:]]


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, instance: str) -> dict:
    """Migrate and fill the database, create the staff; the runtime environment for gunicorn."""
    from wxpub.infra import migrate
    from wxpub.infra.config import Settings
    from wxpub.infra.runtime import Runtime
    from wxpub.staff import users
    from wxpub.stats.dates import beijing_today

    from bench_dashboard import fill

    env = {"WXPUB_ENV": "development", "WXPUB_DATABASE_URL": url, "WXPUB_INSTANCE_PATH": instance}
    rt = Runtime.from_settings(Settings.from_mapping({"env": "development", "database_url": url,
                                                      "instance_path": instance}))
    migrate.upgrade(rt.db)
    started = time.perf_counter()
    fill(rt, beijing_today(rt.clock.now()))
    with rt.db.session() as s:
        for i in range(STAFF):
            users.create_user(s, f"staff{i:02d}", PASSWORD, ROLES[i % len(ROLES)], now=rt.clock.now(),
                              actor="bench", display_name=f"员工{i:02d}")
    print(f"filled 1,000 articles × 365 days and {STAFF} staff in {time.perf_counter() - started:.1f} s "
          "(not timed)")
    rt.db.dispose()
    with open(os.path.join(instance, "runtime.env"), "w", encoding="utf-8") as f:
        f.writelines(f"{k}={v}\n" for k, v in env.items())
    return env


def start_gunicorn(port: int, env: dict, log_path: str) -> subprocess.Popen:
    """Start the web role and wait until it answers ``/healthz`` (60 s at most)."""
    argv = procfile_web(port)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WXPUB_")}
    log = open(log_path, "wb")
    process = subprocess.Popen(argv, cwd=ROOT, env={**clean, **env}, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see {log_path}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"gunicorn did not answer /healthz within 60 s; see {log_path}")


def stop(process: subprocess.Popen) -> None:
    """Stop the gunicorn we started (its own process group: master and workers)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def log_in(port: int, username: str) -> str:
    """Log ``username`` in through the form; the ``Cookie`` header of its session."""
    import requests

    with requests.Session() as http:
        base = f"http://127.0.0.1:{port}"
        token = CSRF.search(http.get(f"{base}/login", timeout=10).text).group(1)
        answer = http.post(f"{base}/login", data={"username": username, "password": PASSWORD,
                                                  "csrf_token": token}, allow_redirects=False, timeout=30)
        if answer.status_code != 302:
            raise SystemExit(f"login of {username} answered HTTP {answer.status_code}")
        return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


def percentile(times: list[float], p: float) -> float:
    """The ``p`` (0–1) quantile of sorted ``times``, nearest rank."""
    return times[min(len(times) - 1, max(0, int(round(p * len(times))) - 1))]


def workers_cpu(master: int, comm: str = "") -> dict[int, float]:
    """CPU seconds used so far by the gunicorn master and each of its workers, by pid (or by every
    process whose command is ``comm``, e.g. the PostgreSQL server's)."""
    tick, used = os.sysconf("SC_CLK_TCK"), {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                name, rest = f.read().split(" (", 1)[1].rsplit(")", 1)
        except OSError:
            continue
        fields = rest.split()
        if (name == comm) if comm else (int(pid) == master or int(fields[1]) == master):
            used[int(pid)] = (int(fields[11]) + int(fields[12])) / tick
    return used


class Connection:
    """One person's keep-alive connection in the load loop: a raw HTTP/1.1 GET with its session
    cookie, the answer read by Content-Length (the client must cost the two shared cores little)."""

    def __init__(self, port: int, cookie: str, path: str, *, close: bool = False):
        self.port = port
        self.request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
                        f"Accept: text/html\r\nConnection: {'close' if close else 'keep-alive'}\r\n\r\n"
                        ).encode()
        self.sock: socket.socket | None = None
        self.buffer, self.started, self.expect = b"", 0.0, None

    def send(self) -> None:
        """Open the connection if needed and send the request."""
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port))
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock.setblocking(False)
        self.buffer, self.expect, self.started = b"", None, time.perf_counter()
        self.sock.sendall(self.request)

    def receive(self) -> tuple[int, bool] | None:
        """Read what arrived: ``(status, server closes)`` once the answer is complete, else None."""
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionResetError("server closed the connection")
        self.buffer += chunk
        if self.expect is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return None
            head = self.buffer[:end].decode("latin-1").lower()
            length = re.search(r"\r\ncontent-length: *(\d+)", head)
            if length is None:
                raise ValueError("answer without Content-Length")
            self.expect = (end + 4 + int(length.group(1)), int(head.split(" ", 2)[1]),
                           "\r\nconnection: close" in head)
        total, status, closes = self.expect
        return (status, closes) if len(self.buffer) >= total else None

    def fetch(self) -> tuple[float, int]:
        """One GET, waiting for the whole answer: (milliseconds, status)."""
        import select

        self.send()
        while True:
            select.select([self.sock], [], [], 30)
            done = self.receive()
            if done is not None:
                if done[1]:
                    self.close()
                return (time.perf_counter() - self.started) * 1000, done[0]

    def close(self) -> None:
        """Drop the connection (the next ``send`` opens a new one)."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def connections_per_worker(master: int, port: int) -> list[int]:
    """How many client connections each gunicorn worker holds (its ESTABLISHED sockets on ``port``)."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            established |= {fields[9] for fields in map(str.split, f.readlines()[1:])
                            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01"}
    counts = []
    for pid in (p for p in workers_cpu(master) if p != master):
        links = (os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd"))
        counts.append(sum(link[8:-1] in established for link in links if link.startswith("socket:[")))
    return sorted(counts, reverse=True)


def load(port: int, cookies: list[str], path: str, *, seconds: float, warmup: float, ramp: float,
         fresh: bool, master: int) -> dict:
    """Every person GETs ``path`` again as soon as the answer is in (closed loop, no think time),
    driven by one selector loop. The staff arrive one by one over ``ramp`` seconds (as people do,
    not in one 5 ms burst: a burst hands nearly every keep-alive connection to one worker); with
    ``fresh`` each request comes on a new connection (as from a reverse proxy, or a browser after a
    pause longer than gunicorn's keep-alive). Figures of the ``seconds`` after ``warmup``."""
    import selectors

    selector, times, failures, reconnects = selectors.DefaultSelector(), [], [], 0
    per_person: dict[int, list[float]] = {}
    waiting = [Connection(port, cookie, path, close=fresh) for cookie in cookies]
    connections = list(waiting)
    began = time.perf_counter()
    record_from, stop_at = began + max(warmup, ramp), began + max(warmup, ramp) + seconds
    cpu_before = spread = None
    while True:
        now = time.perf_counter()
        while waiting and now >= began + ramp * (len(connections) - len(waiting)) / len(connections):
            c = waiting.pop(0)  # the next person arrives
            c.send()
            selector.register(c.sock, selectors.EVENT_READ, c)
        if cpu_before is None and now >= record_from:
            cpu_before, measured_from, client_before = workers_cpu(master), now, time.process_time()
            postgres_before = sum(workers_cpu(master, "postgres").values())
            spread = connections_per_worker(master, port)
        if now >= stop_at:
            break
        for key, _ in selector.select(timeout=0.01 if waiting else 0.5):
            c = key.data
            try:
                done = c.receive()
            except (OSError, ValueError) as error:
                failures.append(f"{type(error).__name__}: {error}")
                done = (0, True)
            if done is None:
                continue
            finished = time.perf_counter()
            status, closes = done
            if status and status != 200:
                failures.append(f"HTTP {status}")
            elif status and record_from <= c.started and finished <= stop_at:
                times.append((finished - c.started) * 1000)
                per_person.setdefault(id(c), []).append(times[-1])
            if closes:
                selector.unregister(c.sock)
                c.close()
                reconnects += 1
                c.send()
                selector.register(c.sock, selectors.EVENT_READ, c)
            else:
                c.send()
    elapsed, cpu_after = time.perf_counter() - measured_from, workers_cpu(master)
    client_cores = (time.process_time() - client_before) / elapsed
    postgres_cores = (sum(workers_cpu(master, "postgres").values()) - postgres_before) / elapsed
    spent = {pid: cpu_after[pid] - cpu_before.get(pid, 0.0) for pid in cpu_after if pid != master}
    cpu = sum(spent.values()) + cpu_after.get(master, 0.0) - cpu_before.get(master, 0.0)
    for c in connections:
        c.close()
    times.sort()
    return {"n": len(times), "rps": len(times) / elapsed, "p50": statistics.median(times) if times else 0,
            "p95": percentile(times, 0.95) if times else 0, "max": times[-1] if times else 0,
            "cpu_ms": cpu * 1000 / max(len(times), 1), "failures": failures,
            "reconnects": reconnects, "spread": spread or [],
            "person_p50": sorted(statistics.median(v) for v in per_person.values()) or [0],
            "client_cores": client_cores, "postgres_cores": postgres_cores,
            "worker_cores": sorted((v / elapsed for v in spent.values()), reverse=True)}


def single(port: int, cookie: str, path: str, runs: int) -> dict:
    """One user alone: ``runs`` sequential GETs of ``path`` (after five warm-up requests)."""
    connection, times, statuses = Connection(port, cookie, path), [], set()
    for i in range(runs + 5):
        ms, status = connection.fetch()
        if i >= 5:
            times.append(ms)
            statuses.add(status)
    connection.close()
    times.sort()
    return {"path": path, "p50": statistics.median(times), "p95": percentile(times, 0.95),
            "max": times[-1], "statuses": sorted(statuses)}


def pick(port: int, cookie: str, path: str, fallback: str) -> str:
    """``path`` when it exists (not 404), else ``fallback``."""
    connection = Connection(port, cookie, path)
    found = connection.fetch()[1] != 404
    connection.close()
    return path if found else fallback


def main() -> int:
    from wxpub.infra.db import scratch_schema

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="", help="PostgreSQL URL (default: temporary SQLite file)")
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds under load")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before measuring")
    parser.add_argument("--ramp", type=float, default=2, help="seconds over which the staff arrive")
    parser.add_argument("--fresh-connections", action="store_true",
                        help="a new connection per request (as behind a reverse proxy) instead of keep-alive")
    parser.add_argument("--clients", type=int, default=STAFF, help=f"concurrent staff (≤ {STAFF})")
    parser.add_argument("--path", default="/dashboard/", help="the page under load")
    parser.add_argument("--release-path", default="/releases/{id}",
                        help="single-user release page ({id}: a release of the data set)")
    parser.add_argument("--calendar-path", default="/calendar", help="single-user calendar page")
    parser.add_argument("--runs", type=int, default=200, help="single-user requests per page")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, log, env)")
    args = parser.parse_args()
    args.clients = max(1, min(args.clients, STAFF))
    print("$ " + " ".join(shlex.quote(a) for a in [os.path.relpath(sys.executable, ROOT), *sys.argv]))
    instance = tempfile.mkdtemp(prefix="wxpub-bench-web-")
    with ExitStack() as stack:
        if not args.keep:
            stack.callback(shutil.rmtree, instance, ignore_errors=True)
        url = (stack.enter_context(scratch_schema(args.database)) if args.database
               else f"sqlite:///{instance}/bench.sqlite3")
        env = prepare(url, instance)
        port = free_port()
        process = start_gunicorn(port, env, os.path.join(instance, "gunicorn.log"))
        stack.callback(stop, process)
        print("$ " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) + " "
              + " ".join(procfile_web(port)) + "   (the Procfile's web role; runtime.env)")
        cookies = [log_in(port, f"staff{i:02d}") for i in range(args.clients)]
        load_before = os.getloadavg()
        under_load = load(port, cookies, args.path, seconds=args.seconds, warmup=args.warmup, ramp=args.ramp,
                          fresh=args.fresh_connections, master=process.pid)
        load_after = os.getloadavg()
        release_path = pick(port, cookies[0], args.release_path.format(id=1), "/api/v1/releases/1")
        calendar_path = pick(port, cookies[0], args.calendar_path, "/dashboard/calendar")
        pages = [single(port, cookies[0], path, args.runs) for path in (release_path, calendar_path)]
    database = "PostgreSQL" if args.database else "SQLite"
    u = under_load
    u["postgres_cores"] = u["postgres_cores"] if args.database else 0
    ok = (under_load["p95"] < DASHBOARD_TARGET and not under_load["failures"]
          and all(p["p95"] < SINGLE_TARGET and p["statuses"] == [200] for p in pages))
    print(f"\n--- wxpub web benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {database}, "
          f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before / {load_after[0]:.2f} after the load")
    mode = "a new connection per request" if args.fresh_connections else "keep-alive"
    spread = "" if args.fresh_connections else f", connections per worker {' / '.join(map(str, u['spread']))}"
    print(f"{args.path} × {args.clients} concurrent staff ({mode}), {args.seconds:g} s: p50 {u['p50']:.1f} ms, "
          f"p95 {u['p95']:.1f} ms, max {u['max']:.1f} ms, {u['rps']:.0f} req/s   [target p95 < {DASHBOARD_TARGET:g} ms]")
    print(f"    {u['n']} requests, {len(u['failures'])} failed, {u['reconnects']} reconnections; gunicorn "
          f"{u['cpu_ms']:.2f} ms CPU per request, workers busy {' + '.join(f'{c:.2f}' for c in u['worker_cores'])} "
          f"cores (this client {u['client_cores']:.2f}"
          f"{f', PostgreSQL {pg:.2f}' if (pg := u['postgres_cores']) else ''}){spread}; each person's p50 "
          f"{u['person_p50'][0]:.0f}–{u['person_p50'][-1]:.0f} ms")
    for p in pages:
        print(f"{p['path']} × 1 user, {args.runs} requests: p50 {p['p50']:.1f} ms, p95 {p['p95']:.1f} ms, "
              f"max {p['max']:.1f} ms, HTTP {','.join(map(str, p['statuses']))}   [target p95 < {SINGLE_TARGET:g} ms]")
    if under_load["failures"]:
        print("failures (first 5):", under_load["failures"][:5], "— run with --keep for gunicorn's log")
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
