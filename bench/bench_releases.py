"""Benchmark: one scheduler process publishes a 50-chapter series, a few seconds apart, on time.

Builds a fresh database (a temporary SQLite file, or a throw-away PostgreSQL schema with
``--database-url``), generates one .xlsx round-up of N synthetic chapters (2 short cases each in
house style: lead paragraph, 一是/二是 points), imports it with ``wxpub import``, writes a plan
(mode publish, start now + lead, fixed interval), applies and approves it through the CLI, starts
the sandbox and ONE ``wxpub scheduler`` process (see ``tests/procs.py``) and waits until every
release is published. Then it reports:

1. lateness = time of the successful ``freepublish/submit`` call in the sandbox's own call log
   minus the release's ``scheduled_at`` (p50 / p95 / max). The sandbox log does not name the
   release, so each logged submit is matched to the one ``publish_attempts`` submit row whose
   [started_at, finished_at] window contains it (same host, same clock); the time itself is the
   sandbox's, the independent witness;
2. WeChat calls per release by endpoint (all / successful), next to the minimum the job needs;
3. exit status 1 if a release failed, was held, or was submitted more than once; 2 on a timeout.

    .venv/bin/python bench/bench_releases.py
    .venv/bin/python bench/bench_releases.py --releases 50 --interval 2 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import io
import logging
import math
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # tests/procs.py: the sandbox + process harness

from sqlalchemy import func, select  # noqa: E402

from wxpub.infra.db import scratch_schema  # noqa: E402

SERIES = "基准测试连载"
BEIJING = timezone(timedelta(hours=8))
SLOP = timedelta(milliseconds=50)  # clock resolution margin when matching log entries to attempts
BAD_STATES = ("failed", "held", "canceled", "planned")

# The minimum WeChat calls one release needs; None = not needed at all.
MINIMUM = {"token": 0, "cover": 1, "draft/add": 1, "draft/get": 0, "freepublish/submit": 1,
           "freepublish/get": 1}
NOTES = {"token": "amortised ≈ 0", "cover": "thumb/永久素材", "draft/get": "read-back, on purpose",
         "freepublish/get": "≥ 1 (polling)"}


# --- synthetic content ------------------------------------------------------------------------------

TOPICS = ["企业开办", "工程建设审批", "不动产登记", "跨境贸易", "纳税服务", "政府采购", "招标投标",
          "知识产权保护", "人才服务", "融资服务"]
ACTIONS = [("推行“一窗受理”", "办事时间压缩一半"), ("上线“掌上办”平台", "群众少跑腿"),
           ("建立“首席服务官”制度", "企业诉求当天响应"), ("实行“承诺即入”", "准入准营一次办结"),
           ("开展“集成服务”改革", "材料精简三成")]


def chapter_name(n: int) -> str:
    return f"专题{n:02d}"


def case_row(chapter: int, case: int) -> list:
    """One row of the round-up: 序号, 标题, 篇章, 单位, 正文 (lead, 一是, 二是, closing)."""
    topic = TOPICS[(chapter + case) % len(TOPICS)]
    action, effect = ACTIONS[(chapter * 2 + case) % len(ACTIONS)]
    title = f"{action}{topic} {effect}（专题{chapter:02d}之{case}）"
    body = "\n".join([
        f"为破解{topic}中的堵点难点，区有关部门坚持问题导向，{action}，推动{topic}由“多头跑”向"
        f"“一次办”转变，第{chapter}批改革事项已全部落地。",
        f"一是优化办事流程，实现“一表申请”。对{topic}涉及的申请材料逐项梳理，合并重复填报内容，"
        f"申请表由{5 + case}张减为1张。",
        f"二是强化部门协同，实现“并联审批”。建立{topic}联席会议机制，各部门同步审查、限时办结，"
        f"平均办理时间由{10 + chapter % 7}个工作日压缩至{2 + case}个工作日。",
        f"改革实施以来，累计服务企业和群众{100 * chapter + 37 * case}人次，满意率保持在99%以上。",
    ])
    return [case, title, chapter_name(chapter), f"区营商环境办（第{chapter}组）", body]


def write_workbook(path: Path, chapters: int) -> None:
    """One .xlsx round-up, one row a case, two cases a chapter."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "案例汇总"
    sheet.append(["序号", "标题", "篇章", "单位", "正文"])
    for chapter in range(1, chapters + 1):
        for case in (1, 2):
            sheet.append(case_row(chapter, case))
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())


def write_plan(path: Path, chapters: int, start: datetime, interval: int) -> None:
    """A publish-mode plan releasing every chapter ``interval`` seconds apart from ``start``."""
    lines = "\n".join(f"  - {chapter_name(n)}" for n in range(1, chapters + 1))
    path.write_text(f"series: {SERIES}\naccount: 新政服\naccount_type: subscription\nmode: publish\n"
                    f"timezone: Asia/Shanghai\nstart: {start.isoformat()}\ninterval: {interval}s\n"
                    f"title_template: \"{{chapter}}篇丨{{series}}\"\nchapters:\n{lines}\n", encoding="utf-8")


# --- figures ----------------------------------------------------------------------------------------

def percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = fraction * (len(ordered) - 1)
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def endpoint(call: dict) -> str:
    """A short endpoint name for a sandbox log entry."""
    path = call["path"].removeprefix("/cgi-bin/")
    if path in ("token", "stable_token"):
        return "token"
    if path == "material/add_material":
        return f"material/add_material?type={call.get('query', {}).get('type', '?')}"
    return path


def is_ok(call: dict) -> bool:
    return call.get("errcode") == 0 and call.get("http_status", 200) == 200


def minimum_key(name: str) -> str | None:
    if name == "token":
        return "token"
    if name.startswith("material/add_material") or name == "material/add_thumb":
        return "cover"
    return name if name in MINIMUM else None


def match_submits(calls: list[dict], attempts: list) -> tuple[dict[int, list[datetime]], list[dict]]:
    """Release id -> times of its successful submits in the sandbox log; plus unmatched entries.

    Each logged submit must fall inside exactly one ``submit`` attempt's [started_at, finished_at]
    (the attempt row is written before the HTTP call and finished after the answer)."""
    by_release: dict[int, list[datetime]] = defaultdict(list)
    unmatched = []
    for call in calls:
        at = datetime.fromisoformat(call["time"])
        # An attempt never finished (the process died mid-call) stays open-ended.
        owners = {a.release_id for a in attempts
                  if a.started_at - SLOP <= at and (a.finished_at is None or at <= a.finished_at + SLOP)}
        if len(owners) == 1:
            by_release[owners.pop()].append(at)
        else:
            unmatched.append({**call, "candidates": sorted(owners)})
    return by_release, unmatched


# --- the run ----------------------------------------------------------------------------------------

class Timeout(Exception):
    """Not every release reached a final state in time."""


def wait_published(db, count: int, deadline: float) -> dict[str, int]:
    """Poll the releases table (cheap, in-process: a CLI call per poll would steal CPU from the
    scheduler being measured) until every release is published or one ends badly."""
    from wxpub.models import Release

    states: dict[str, int] = {}
    while time.time() < deadline:
        with db.session() as session:
            states = dict(session.execute(select(Release.state, func.count()).group_by(Release.state)).all())
        if states.get("published", 0) == count or any(states.get(s) for s in ("failed", "held")):
            return states
        time.sleep(1.0)
    raise Timeout(states)


def run(args, database_url: str, label: str, tmp: Path) -> int:
    from procs import Stack

    from wxpub.infra.db import Database
    from wxpub.models import PublishAttempt

    n, interval = args.releases, args.interval
    workbook = tmp / "bench-roundup.xlsx"
    write_workbook(workbook, n)
    stack = Stack(tmp, database_url, publish_delay=args.publish_delay)
    db = Database(database_url)
    try:
        t = time.perf_counter()
        stack.wxpub("db", "upgrade")
        stack.wxpub("import", str(workbook), "--series", SERIES)
        imported = time.perf_counter() - t
        stack.wxpub("user", "create", "基准测试审批人", "--role", "approver", input="approver-pass-2026\n")
        # The plan starts ``lead`` seconds after it is written: applying (composing N chapter
        # articles) and approving must be done by then, or the first releases start late.
        start = (datetime.now(timezone.utc) + timedelta(seconds=args.lead)).astimezone(BEIJING)
        start = start.replace(microsecond=0) + timedelta(seconds=1)
        plan = tmp / "bench-plan.yaml"
        write_plan(plan, n, start, interval)
        t = time.perf_counter()
        stack.wxpub("plan", "apply", str(plan))
        stack.wxpub("release", "approve", "--all", "--by", "基准测试审批人")
        applied = time.perf_counter() - t
        margin = (start - datetime.now(timezone.utc)).total_seconds()
        if margin < 0:
            print(f"警告：审批完成时已超过第一篇的计划时间 {-margin:.1f} 秒，延迟数字偏大；请加大 --lead。")
        stack.start_scheduler()
        last = start + timedelta(seconds=interval * (n - 1))
        deadline = last.timestamp() + args.grace
        print(f"== {label}: {n} releases, every {interval}s, first at {start:%H:%M:%S}+08:00, "
              f"last at {last:%H:%M:%S}+08:00 ==")
        print(f"  set-up: db upgrade + import {imported:.1f}s, plan apply + approve {applied:.1f}s, "
              f"{margin:.1f}s to spare before the first release")
        try:
            states = wait_published(db, n, deadline)
        except Timeout as timeout:
            print(f"错误：最后一篇计划时间后 {args.grace:.0f} 秒仍未全部发布，各状态数量：{timeout.args[0]}")
            for log in sorted(tmp.glob("scheduler-*.log")):
                print(f"--- {log.name} (last 3000 characters) ---\n{log.read_text(errors='replace')[-3000:]}")
            return 2
        finished = datetime.now(timezone.utc)
        releases = stack.releases()  # the CLI's view: scheduled_at (ISO, +08:00), state
        calls = stack.calls("")
        with db.session() as session:
            attempts = list(session.scalars(select(PublishAttempt)))
        lease_lost = sum(log.read_text(errors="replace").count("lease lost")
                         for log in tmp.glob("scheduler-*.log"))
        return report(n, releases, calls, attempts, states, finished - last, lease_lost)
    finally:
        stack.stop()
        db.dispose()


def report(n: int, releases: list[dict], calls: list[dict], all_attempts: list, states: dict,
           tail: timedelta, lease_lost: int) -> int:
    """Print lateness and call counts; return the exit status."""
    ok = True
    attempts = [a for a in all_attempts if a.step == "submit"]
    print(f"  states: {states}; all final {tail.total_seconds():.1f}s after the last scheduled time")
    bad = [r for r in releases if r["state"] != "published"]
    for r in bad:
        print(f"  错误：发布 {r['id']}（{r['chapter']}）状态为 {r['state']}：{r['error_message'] or ''}")
    ok &= not bad

    submits = [c for c in calls if c["path"].endswith("/freepublish/submit") and is_ok(c)]
    by_release, unmatched = match_submits(submits, attempts)
    ok_attempts = Counter(a.release_id for a in attempts if a.outcome == "ok")
    twice = sorted({rid for rid, times in by_release.items() if len(times) > 1}
                   | {rid for rid, count in ok_attempts.items() if count > 1})
    if len(submits) != n or twice or unmatched:
        ok = False
        print(f"  错误：沙箱记录到 {len(submits)} 次成功的 freepublish/submit（应为 {n} 次）；"
              f"提交多于一次的发布：{twice or '无'}；无法对应到发布的提交：{len(unmatched)}")
        for call in unmatched[:5]:
            print(f"    未对应：{call['time']} 候选发布 {call['candidates']}")

    lateness, order = [], []
    for r in releases:
        times = by_release.get(r["id"])
        if times:
            late = (min(times) - datetime.fromisoformat(r["scheduled_at"])).total_seconds()
            lateness.append(late)
            order.append((late, r["id"], r["chapter"]))
    print(f"\n  lateness (sandbox submit time − scheduled_at), n={len(lateness)}; "
          "submits matched to releases through publish_attempts windows")
    if lateness:
        print(f"    p50 {percentile(lateness, .5):6.3f} s   p95 {percentile(lateness, .95):6.3f} s   "
              f"max {max(lateness):6.3f} s   min {min(lateness):6.3f} s")
        worst = max(order)
        print(f"    latest: release {worst[1]} ({worst[2]}) {worst[0]:.3f} s")
    db_late = []
    for r in releases:
        done = [a.finished_at for a in attempts if a.release_id == r["id"] and a.outcome == "ok"]
        if done:
            db_late.append((min(done) - datetime.fromisoformat(r["scheduled_at"])).total_seconds())
    if db_late:
        print(f"    cross-check from publish_attempts (submit finished_at − scheduled_at): "
              f"p50 {percentile(db_late, .5):.3f} s, p95 {percentile(db_late, .95):.3f} s, max {max(db_late):.3f} s")
    if len(lateness) != n:
        ok = False
        print(f"  错误：只有 {len(lateness)} / {n} 篇发布找到了沙箱中的提交记录")

    totals, good = Counter(endpoint(c) for c in calls), Counter(endpoint(c) for c in calls if is_ok(c))
    print(f"\n  WeChat calls per release (sandbox log, {len(calls)} calls in all, n={n})")
    print(f"    {'endpoint':36} {'calls':>6} {'/release':>9} {'ok':>6} {'ok/rel':>7} {'minimum':>8}  note")
    for name in sorted(totals, key=lambda k: (-totals[k], k)):
        key = minimum_key(name)
        floor = MINIMUM.get(key) if key else None
        print(f"    {name:36} {totals[name]:6d} {totals[name] / n:9.2f} {good[name]:6d} {good[name] / n:7.2f} "
              f"{'-' if floor is None else floor:>8}  {NOTES.get(key, '' if floor is not None else 'not needed')}")
    for key, floor in MINIMUM.items():
        if floor and not any(minimum_key(name) == key for name in totals):
            print(f"    {key:36} {0:6d} {0:9.2f} {0:6d} {0:7.2f} {floor:>8}  never called")
    minimum_total = sum(MINIMUM.values())
    per_release = len(calls) / n
    readback = totals.get("draft/get", 0) / n
    print(f"    {'total':36} {len(calls):6d} {per_release:9.2f} {sum(good.values()):6d} "
          f"{sum(good.values()) / n:7.2f} {minimum_total:>8}")
    print(f"    ratio calls/minimum: {per_release / minimum_total:.2f} "
          f"({(per_release - readback) / minimum_total:.2f} without the draft/get read-back)")
    # One release advanced by two pipelines at once (two draft/add or two gate passes) is a bug
    # even when it did not end in a second submit; report it, the exit status covers submits.
    steps = Counter((a.release_id, a.step) for a in all_attempts if a.outcome == "ok")
    doubled = sorted({rid for (rid, step), count in steps.items() if step in ("claimed", "draft") and count > 1})
    print(f"\n  overlap: releases gated or drafted more than once: {doubled or 'none'}; "
          f"'lease lost' warnings in the scheduler log: {lease_lost}")
    print(f"\n  result: {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--releases", type=int, default=50, help="chapters / releases (default 50)")
    parser.add_argument("--interval", type=int, default=2, help="seconds between releases (default 2)")
    parser.add_argument("--lead", type=int, default=30,
                        help="seconds from writing the plan to the first release (default 30)")
    parser.add_argument("--publish-delay", type=float, default=1.0,
                        help="seconds the sandbox keeps a publish job pending (default 1)")
    parser.add_argument("--grace", type=float, default=60.0,
                        help="seconds after the last scheduled time before giving up (default 60)")
    parser.add_argument("--database-url", default="",
                        help="PostgreSQL URL; the run uses a throw-away schema there (default: temporary SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder (logs, workbook, plan)")
    args = parser.parse_args()
    if args.releases < 1 or args.interval < 1:
        parser.error("--releases and --interval must be at least 1")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    tmp = Path(tempfile.mkdtemp(prefix="bench-releases-"))
    try:
        if args.database_url:
            with scratch_schema(args.database_url) as url:
                return run(args, url, "PostgreSQL", tmp)
        return run(args, f"sqlite:///{tmp / 'wxpub.sqlite3'}", "SQLite", tmp)
    finally:
        if args.keep:
            print(f"working folder kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
