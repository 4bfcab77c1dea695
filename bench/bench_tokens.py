"""Benchmark: eight OS processes share one access token through one database.

Each worker process builds its own ``WeChat`` facade on the shared database and, in every expiry
window, makes N adapter calls (``draft.count``) and N raw HTTP calls with the same token against
one sandbox. Between windows the sandbox clock jumps past the token's expiry, so every window
starts with all workers holding a dead token. Reported per window: token fetches seen by the
sandbox (must be <= 1). Overall: the sandbox's request latency (raw calls, p50/p95), the adapter's
latency, and the adapter's overhead per call (adapter minus raw).

    .venv/bin/python bench/bench_tokens.py --processes 8 --calls 200 --windows 4
    WXPUB_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/bench_tokens.py

Exit status 1 if any window saw more than one token fetch.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from wxpub.infra.db import scratch_schema  # noqa: E402


def worker(sandbox_url: str, database_url: str, calls: int, windows: int, barrier, results) -> None:
    """One OS process: its own facade and database engine, N adapter + N raw calls per window."""
    import requests

    from wxpub.wechat import WeChat
    from wxpub.wechat.testing import sandbox_settings
    from wxpub.infra.db import Database

    settings = sandbox_settings(sandbox_url, database_url, wechat_timeout=30)
    database = Database(database_url)
    wx = WeChat(settings, database)
    raw = requests.Session()
    adapter_times, raw_times, errors = [], [], []
    for _ in range(windows):
        barrier.wait()
        for _ in range(calls):
            start = time.perf_counter()
            try:
                wx.draft.count()
            except Exception as exc:  # counted and reported, the benchmark goes on
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            adapter_times.append(time.perf_counter() - start)
            token = wx.token.get()
            start = time.perf_counter()
            answer = raw.get(f"{sandbox_url}/cgi-bin/draft/count", params={"access_token": token},
                             timeout=30).json()
            if "total_count" in answer:
                raw_times.append(time.perf_counter() - start)
        barrier.wait()
    results.put({"adapter": adapter_times, "raw": raw_times, "errors": errors})
    database.dispose()


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run(label: str, database_url: str, processes: int, calls: int, windows: int) -> bool:
    """Run the benchmark on one database; print the figures; True when every window had <= 1 fetch."""
    from wxpub.sandbox.testing import SandboxServer
    from wxpub.wechat.testing import SANDBOX_ACCOUNT, database_with_tables

    database_with_tables(database_url).dispose()
    ctx = mp.get_context("spawn")
    with SandboxServer(**SANDBOX_ACCOUNT) as sandbox:
        barrier = ctx.Barrier(processes + 1)
        results = ctx.Queue()
        procs = [ctx.Process(target=worker, args=(sandbox.url, database_url, calls, windows, barrier, results))
                 for _ in range(processes)]
        for proc in procs:
            proc.start()
        fetches, rejected = [], []
        for window in range(windows):
            if window:
                sandbox.control("clock", {"advance_seconds": 7300})  # every token is now expired
            sandbox.control("calls/clear", {})
            barrier.wait()  # workers start
            barrier.wait()  # workers done
            log = sandbox.control("calls")
            fetches.append(sum(1 for c in log if c["path"] in ("/cgi-bin/stable_token", "/cgi-bin/token")))
            rejected.append(sum(1 for c in log if c["errcode"] in (40001, 40014, 42001)))
        collected = [results.get(timeout=600) for _ in procs]
        for proc in procs:
            proc.join()
    adapter = [t for r in collected for t in r["adapter"]]
    raw = [t for r in collected for t in r["raw"]]
    errors = [e for r in collected for e in r["errors"]]
    ms = 1000.0
    print(f"== {label}: {processes} processes x {calls} calls x {windows} expiry windows ==")
    for window, (count, bad) in enumerate(zip(fetches, rejected)):
        print(f"  window {window}: token fetches = {count}, calls answered 40001/42001 = {bad}")
    print(f"  sandbox request latency (raw HTTP)  p50 {percentile(raw, .5) * ms:6.2f} ms"
          f"   p95 {percentile(raw, .95) * ms:6.2f} ms   n={len(raw)}")
    print(f"  adapter call latency (draft.count)  p50 {percentile(adapter, .5) * ms:6.2f} ms"
          f"   p95 {percentile(adapter, .95) * ms:6.2f} ms   n={len(adapter)}")
    mean_gap = (statistics.fmean(adapter) - statistics.fmean(raw)) if adapter and raw else float("nan")
    print(f"  adapter overhead per call: p50 {(percentile(adapter, .5) - percentile(raw, .5)) * ms:+.2f} ms,"
          f" mean {mean_gap * ms:+.2f} ms")
    print(f"  errors: {len(errors)}")
    for message in sorted(set(errors))[:3]:
        print(f"    e.g. {message[:300]}")
    ok = all(count <= 1 for count in fetches) and not errors
    print(f"  result: {'OK' if ok else 'FAILED'} (max fetches per window = {max(fetches)})")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--calls", type=int, default=200, help="adapter calls per process per window")
    parser.add_argument("--windows", type=int, default=4, help="expiry windows (the first starts with no token)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the sandbox's request log
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        ok &= run("SQLite", f"sqlite:///{tmp}/bench.sqlite3", args.processes, args.calls, args.windows)
    pg = os.environ.get("WXPUB_TEST_DATABASE_URL", "")
    if pg:
        with scratch_schema(pg) as url:
            ok &= run("PostgreSQL", url, args.processes, args.calls, args.windows)
    else:
        print("(PostgreSQL skipped: set WXPUB_TEST_DATABASE_URL to include it)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
