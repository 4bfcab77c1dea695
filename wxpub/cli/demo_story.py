"""``wxpub demo``: the whole story on embedded defaults, for a fresh machine and for staff training.

1. a fresh SQLite database under ``instance/demo/`` and the WeChat sandbox on loopback;
2. the sample cases of ``articles/`` imported and rendered; a demo admin and a review office
   (editor, proofreader, reviewer, approver: ``demo_review``) who sign each article off;
3. two official accounts side by side in the sandbox: 新政服 (the environment's, 订阅号) and
   滨海新闻 (a 服务号 registered as data, its AppSecret stored encrypted); a demo plan releases the
   four chapters a few seconds apart on 新政服, a second plan two of them on 滨海新闻 (the same
   series, each release on its own), applied and approved;
4. the scheduler and the web app as separate processes: the chapters go out to the sandbox;
5. the sandbox clock moved on three days, each account's statistics pulled, the dashboard served.

Ctrl-C (or SIGTERM) stops every process the demo started.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

from wxpub.accounts import registry, service as accounts
from wxpub.library import service as library

from wxpub.infra import migrate

from wxpub.cli import demo_review
from wxpub.releases import plans as release_plans, queries
from wxpub.core.release_states import state_name

from wxpub.library import sources

from wxpub.staff import users
from wxpub.infra.config import Settings
from wxpub.infra.runtime import Runtime

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEMO_USER, DEMO_PASSWORD = "demo", "binhai-yanshi-2023"  # meets wxpub.staff.passwords
DEMO_REPLY = "感谢您的关注和支持！我们会持续推出更多优化营商环境的创新实践案例。"
SERIES = "2023年度滨海新区优化营商环境创新实践案例展示"
CHAPTERS = ("市场环境", "政务环境", "法治环境", "人文环境")
# The second account of the demo (a 服务号 of the district's news centre) and the chapters it carries.
NEWS = {"name": "滨海新闻", "code": "news", "appid": "wxbinhainews000001",
        "secret": "binhainewssecret2023demo00000001", "type": "service"}
NEWS_CHAPTERS = ("市场环境", "人文环境")


def say(text: str) -> None:
    """Progress for the person watching (standard error, so output stays clean)."""
    print(text, file=sys.stderr, flush=True)


def port_or_free(host: str, wanted: int) -> int:
    """``wanted`` if it is free, else any free port."""
    with socket.socket() as probe:
        try:
            probe.bind((host, wanted))
            return wanted
        except OSError:
            pass
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class Demo:
    """Runs the demo; ``close()`` stops everything it started."""

    def __init__(self, root: Path, *, host: str, web_port: int, sandbox_port: int, gap: int,
                 lead: int = 20):
        self.root, self.host, self.gap, self.lead = root, host, gap, lead
        self.instance = root / "instance" / "demo"
        self.web_port = port_or_free(host, web_port)
        self.sandbox_port = port_or_free(host, sandbox_port)
        self.sandbox_url = f"http://{host}:{self.sandbox_port}"
        self.web_url = f"http://{host}:{self.web_port}"
        self.children: list[subprocess.Popen] = []
        self.env = {**os.environ,
                    "WXPUB_ENV": "development",
                    "WXPUB_INSTANCE_PATH": str(self.instance),
                    "WXPUB_DATABASE_URL": f"sqlite:///{self.instance / 'wxpub-demo.sqlite3'}",
                    "WXPUB_WECHAT_API_URL": self.sandbox_url,
                    "WXPUB_CONFIRM_WAIT": "5", "PYTHONUNBUFFERED": "1"}
        for name in ("WXPUB_APPID", "WXPUB_APPSECRET", "WXPUB_TOKEN", "WXPUB_ENCODING_AES_KEY",
                     "WXPUB_CLOCK_OFFSET", "WXPUB_REDIS_URL"):
            self.env.pop(name, None)  # the sandbox's own credentials and the real clock

    # -- processes -----------------------------------------------------------------------------------
    def spawn(self, name: str, *args: str, env: dict | None = None) -> subprocess.Popen:
        log = open(self.instance / f"{name}.log", "a", encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-m", "wxpub", *args], env=env or self.env,
                                stdout=log, stderr=subprocess.STDOUT, cwd=self.root)
        proc.wxpub_name = name
        self.children.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc in self.children:
            self.children.remove(proc)

    def close(self) -> None:
        for proc in list(self.children):
            self.stop(proc)

    def wait_http(self, url: str, what: str, timeout: float = 30) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                requests.get(url, timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"{what}没有启动，日志见 {self.instance}")

    # -- the story -----------------------------------------------------------------------------------
    def runtime(self, offset: float = 0.0) -> Runtime:
        values = {k[len("WXPUB_"):].lower(): v for k, v in self.env.items() if k.startswith("WXPUB_")}
        if offset:
            values["clock_offset"] = offset
        return Runtime.from_settings(Settings.from_mapping(values))

    def prepare(self) -> Runtime:
        self.instance.mkdir(parents=True, exist_ok=True)
        for old in self.instance.glob("wxpub-demo.sqlite3*"):
            old.unlink()
        rt = self.runtime()
        migrate.upgrade(rt.db)
        say(f"① 新建演示数据库：{rt.settings.database_url}")
        settings = rt.settings
        self.spawn("sandbox", "sandbox", "--host", self.host, "--port", str(self.sandbox_port),
                   "--account", f"{settings.account_code}:{settings.appid}:{settings.appsecret}",
                   "--account", f"{NEWS['code']}:{NEWS['appid']}:{NEWS['secret']}:{NEWS['type']}",
                   "--callback-url", f"{self.web_url}/wechat/callback", "--publish-delay", "2")
        self.wait_http(f"{self.sandbox_url}/sandbox/clock", "微信沙箱")
        say(f"② 微信沙箱已启动：{self.sandbox_url}")
        self.spawn("web", "serve", "--host", self.host, "--port", str(self.web_port))
        self.wait_http(f"{self.web_url}/healthz", "网页服务")
        now = rt.clock.now()
        with rt.db.session() as session:
            units = sources.discover([str(self.root / "articles")])
            report = library.apply_import(session, [sources.load(u) for u in units], now=now,
                                                   actor="demo")
            say(f"③ 导入 articles/：{len(report.outcomes)} 个案例（新建 {report.count('created')}）")
            users.create_user(session, DEMO_USER, DEMO_PASSWORD, "admin", now=now,
                              display_name="演示管理员", actor="demo")
            demo_review.create_staff(session, now=now)
            registry.default_account(session, rt.settings)
            session.commit()
            accounts.add(session, rt.settings, name=NEWS["name"], code=NEWS["code"], appid=NEWS["appid"],
                         account_type=NEWS["type"], appsecret=NEWS["secret"], token=rt.settings.token,
                         encoding_aes_key=rt.settings.encoding_aes_key, actor="demo", now=now)
            say(f"   公众号：{rt.settings.account_name}（订阅号，环境变量）与 {NEWS['name']}（服务号，AppSecret 加密保存）")
        return rt

    def plan(self, rt: Runtime) -> list[int]:
        start = (rt.clock.now() + timedelta(seconds=self.lead)).astimezone(SHANGHAI).replace(microsecond=0)
        ids = []
        for path, account, kind, chapters, at in (
                (self.instance / "demo-plan.yaml", rt.settings.account_name, "subscription", CHAPTERS, start),
                (self.instance / "demo-plan-news.yaml", NEWS["name"], NEWS["type"], NEWS_CHAPTERS,
                 start + timedelta(seconds=self.gap // 2 or 1))):
            path.write_text(
                f"# 演示计划：{account}，篇章相隔几秒依次发布（由 wxpub demo 生成）\n"
                f"series: {SERIES}\naccount: {account}\naccount_type: {kind}\nmode: publish\n"
                f"timezone: Asia/Shanghai\nstart: {at.isoformat()}\ninterval: {self.gap}s\nchapters:\n"
                + "".join(f"  - {name}\n" for name in chapters), encoding="utf-8")
            with rt.db.session() as session:
                loaded = release_plans.load(session, path, now=rt.clock.now())
                report = release_plans.apply_plan(session, loaded, settings=rt.settings, now=rt.clock.now(),
                                                  actor="demo")
                ids += [r.id for r in report.created + report.moved + report.unchanged]
        ids.sort()
        signed = demo_review.walk_chain(rt, ids)
        say(f"④ 排版四个篇章，按“{rt.settings.review_policy.describe(users.role_name)}”签署 {signed} 次；"
            f"计划 demo-plan.yaml（{rt.settings.account_name}）：首篇 {start:%H:%M:%S} 发布，之后每 {self.gap} 秒一篇；"
            f"demo-plan-news.yaml（{NEWS['name']}）：{'、'.join(NEWS_CHAPTERS)} 同一系列另发一次")
        return ids

    def publish(self, rt: Runtime, ids: list[int], timeout: float = 180) -> None:
        self.spawn("scheduler", "scheduler")
        say("⑤ 调度进程已启动，等待发布……")
        seen: dict[int, str] = {}
        deadline = time.time() + timeout
        while time.time() < deadline:
            with rt.db.session() as session:
                rows = queries.listing(session, tz=SHANGHAI)
            for row in rows:
                if seen.get(row["id"]) != row["state"]:
                    seen[row["id"]] = row["state"]
                    url = f"  {row['article_urls'][0]}" if row["article_urls"] else ""
                    say(f"   · {row['account_name']} {row['chapter']}：{state_name(row['state'])}{url}")
            if rows and all(r["state"] in ("published", "failed", "held", "canceled") for r in rows):
                break
            time.sleep(0.5)
        else:
            raise RuntimeError("发布超时，日志见 " + str(self.instance))

    def statistics(self) -> tuple[Runtime, float]:
        """Move the sandbox three days on (past 10:00, when figures are final) and pull them."""
        clock = requests.get(f"{self.sandbox_url}/sandbox/clock", timeout=5).json()
        now = datetime.fromisoformat(clock["now"])
        target = (now.astimezone(SHANGHAI) + timedelta(days=3)).replace(hour=10, minute=30, second=0,
                                                                          microsecond=0)
        seconds = (target - now).total_seconds()
        requests.post(f"{self.sandbox_url}/sandbox/clock", json={"advance_seconds": seconds}, timeout=5)
        offset = (target - datetime.now(timezone.utc)).total_seconds()
        rt = self.runtime(offset)
        from wxpub.stats import pull_every_account
        outcome = pull_every_account(rt)
        said = "；".join(f"{code}：{getattr(report, 'message', None) or report.summary()}"
                        for code, report in outcome.items())
        say(f"⑥ 沙箱时间前进到 {target:%Y-%m-%d %H:%M}（北京时间），各公众号分别拉取阅读统计：{said}")
        return rt, offset

    def comments(self, rt: Runtime) -> None:
        """Pull the readers' comments the sandbox let arrive after publication, and answer the oldest
        one as the editor (the rest stay 待回复, some past the answer time: one alert says so)."""
        from wxpub.comments import pull as comment_pull, queries as comment_queries, service as comment_service
        report = comment_pull.pull(rt)
        with rt.db.session() as session:
            waiting = comment_queries.inbox(session, "unanswered", now=rt.clock.now(), tz=rt.settings.tz,
                                            answer_hours=rt.settings.comment_answer_hours)
        answered = 0
        if waiting:
            action = comment_service.act(rt, actor=demo_review.DEMO_STAFF[0][0], kind="reply",
                                         comment_id=waiting[0]["id"], text=DEMO_REPLY)
            answered = int(action.status == "sent")
        say(f"⑦ 拉取读者留言：{report.summary()} 编辑已回复 {answered} 条，其余待回复。")

    def serve_with_offset(self, offset: float) -> None:
        """Restart web and scheduler "three days later", in step with the sandbox."""
        for proc in [p for p in self.children if p.wxpub_name in ("web", "scheduler")]:
            self.stop(proc)
        env = {**self.env, "WXPUB_CLOCK_OFFSET": str(offset)}
        self.spawn("web", "serve", "--host", self.host, "--port", str(self.web_port), env=env)
        self.spawn("scheduler", "scheduler", env=env)
        self.wait_http(f"{self.web_url}/healthz", "网页服务")


def run(root: Path, *, host: str = "127.0.0.1", web_port: int = 8000, sandbox_port: int = 8930,
        gap: int = 5, once: bool = False) -> int:
    """Run the demo; with ``once`` exit after the story instead of serving until Ctrl-C."""
    demo = Demo(root, host=host, web_port=web_port, sandbox_port=sandbox_port, gap=gap)

    def stop(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)  # also when started with SIGINT ignored (a background job)
    try:
        rt = demo.prepare()
        ids = demo.plan(rt)
        demo.publish(rt, ids)
        later, offset = demo.statistics()
        demo.comments(later)
        demo.serve_with_offset(offset)
        say("")
        say(f"工作台：{demo.web_url}/workbench   登录：{DEMO_USER} / {DEMO_PASSWORD}")
        say(f"发布日历：{demo.web_url}/calendar   发布：{demo.web_url}/releases   排期：{demo.web_url}/plans"
            f"   告警：{demo.web_url}/alerts   留言：{demo.web_url}/comments")
        say(f"阅读数据：{demo.web_url}/dashboard/   文章预览：{demo.web_url}/preview/"
            f"   微信沙箱：{demo.sandbox_url}/sandbox/calls")
        say(f"案例库（导入、编辑、排版）：{demo.web_url}/library   系列与篇章：{demo.web_url}/series")
        staff = "、".join(f"{name} {username}" for username, name, _role in demo_review.DEMO_STAFF)
        say(f"审核（三审三校）：{demo.web_url}/review   审核人员：{staff}，密码 {demo_review.DEMO_STAFF_PASSWORD}")
        print(f"{demo.web_url}/dashboard/", flush=True)
        if once:
            return 0
        say("按 Ctrl-C 停止演示（将停止演示启动的所有进程）。")
        while all(p.poll() is None for p in demo.children):
            time.sleep(1)
        broken = [p.wxpub_name for p in demo.children if p.poll() is not None]
        say(f"进程意外退出：{', '.join(broken)}，日志见 {demo.instance}")
        return 1
    except KeyboardInterrupt:
        say("\n正在停止演示……")
        return 0
    finally:
        demo.close()


__all__ = ["run", "Demo"]
