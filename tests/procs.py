"""Real processes for end-to-end tests: the sandbox and scheduler processes, plus ``wxpub`` commands.

The processes under test (``wxpub sandbox``, ``wxpub scheduler``) are real, so that ``kill -9`` is
real. The commands a person would type to set things up or to look (``db upgrade``, ``import``,
``plan apply``, ``release approve``, ``release list``) run in this process through click's runner
against the same database: starting Python for each of them costs two seconds of CPU, which the
polling of ``release list`` used to spend many times over.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from wxpub.sandbox.config import SandboxConfig

CFG = SandboxConfig()
ARTICLES = Path(__file__).resolve().parents[1] / "articles"

# The scheduler's waits, shortened through its documented settings so the tests wait less; the
# sandbox finishes a publish job after ``publish_delay`` and consumes a submitted draft at once, so
# a 2 s settle still tells an applied submit from a lost one.
QUICK = {"WXPUB_CONFIRM_WAIT": "5", "WXPUB_CONFIRM_POLL": "0.25", "WXPUB_SUBMIT_SETTLE": "2"}


def burst_accounts(count: int) -> list[dict]:
    """``count`` sandbox accounts: 代号 b001…, names 测试号001…, distinct AppIDs and AppSecrets."""
    return [{"code": f"b{n:03d}", "name": f"测试号{n:03d}", "appid": f"wxburst{n:011d}",
             "secret": f"burstsecret{n:021d}"} for n in range(1, count + 1)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """A sandbox process plus the environment for ``wxpub`` processes sharing one database."""

    def __init__(self, tmp_path: Path, database_url: str, *, fault_rate: float = 0.0,
                 publish_delay: float = 0.5, seed: int = 7, accounts: int = 0):
        self.tmp = tmp_path
        self.port = free_port()
        self.sandbox_url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "WXPUB_DATABASE_URL": database_url, "WXPUB_ENV": "test",
                    "WXPUB_INSTANCE_PATH": str(tmp_path / "instance"),
                    "WXPUB_WECHAT_API_URL": self.sandbox_url, "WXPUB_APPID": CFG.appid,
                    "WXPUB_APPSECRET": CFG.secret, "WXPUB_TOKEN": CFG.token,
                    "WXPUB_ENCODING_AES_KEY": CFG.aes_key, "WXPUB_WECHAT_TIMEOUT": "2",
                    "WXPUB_LATE_TOLERANCE": "600", "WXPUB_REVIEW_STAGES": "终审",
                    "WXPUB_PROOFREAD_ROUNDS": "0", **QUICK, "PYTHONUNBUFFERED": "1"}
        self.env.pop("WXPUB_CRASH_AT", None)
        log = open(tmp_path / "sandbox.log", "w")
        # ``accounts`` more official accounts besides the environment's (新政服), for bursts.
        self.accounts = burst_accounts(accounts)
        several = [f"--account=xzf:{CFG.appid}:{CFG.secret}",
                   *(f"--account={a['code']}:{a['appid']}:{a['secret']}" for a in self.accounts)] \
            if accounts else []
        self.sandbox = subprocess.Popen(
            [sys.executable, "-m", "wxpub", "sandbox", "--port", str(self.port), "--publish-delay",
             str(publish_delay), "--fault-rate", str(fault_rate), "--seed", str(seed),
             "--slow-seconds", "3", *several], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.schedulers: list[subprocess.Popen] = []
        self._runtime = None

    def register_accounts(self) -> None:
        """Register the stack's extra accounts in wxpub (as an admin would: AppSecret stored encrypted)."""
        from wxpub.accounts import registry, service

        rt = self.runtime
        with rt.db.session() as session:
            registry.default_account(session, rt.settings)
            session.commit()
            for a in self.accounts:
                service.add(session, rt.settings, name=a["name"], code=a["code"], appid=a["appid"],
                            account_type="subscription", appsecret=a["secret"], actor="测试",
                            now=rt.clock.now())

    def wait_for_sandbox(self, timeout: float = 20) -> None:
        """Return once the sandbox process answers (it boots while the database is set up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sandbox.poll() is not None:
                break
            try:
                requests.get(f"{self.sandbox_url}/sandbox/clock", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError(f"sandbox did not start:\n{(self.tmp / 'sandbox.log').read_text(errors='replace')}")

    @property
    def runtime(self):
        """One runtime on the stack's settings for the in-process commands (disposed by ``stop``)."""
        if self._runtime is None:
            from wxpub.infra.config import Settings
            from wxpub.infra.runtime import Runtime
            self._runtime = Runtime.from_settings(Settings.from_env(self._wxpub_env()))
        return self._runtime

    def _wxpub_env(self) -> dict:
        return {k: v for k, v in self.env.items() if k.startswith("WXPUB_")}

    def cli(self, *args: str, input: str | None = None) -> str:
        """``wxpub <args>`` run in this process on the stack's settings; returns its standard output."""
        from click.testing import CliRunner

        from wxpub.cli import main

        result = CliRunner().invoke(main, list(args), input=input, obj=self.runtime,
                                    env={**self._wxpub_env(), "WXPUB_CRASH_AT": None})
        if result.exit_code != 0:
            raise AssertionError(f"wxpub {' '.join(args)} failed ({result.exit_code}):\n{result.output}"
                                 f"\n{result.exc_info if result.exception else ''}")
        return result.stdout

    def wxpub(self, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
        """``wxpub <args>`` as a process of its own."""
        result = subprocess.run([sys.executable, "-m", "wxpub", *args], env=self.env, input=input,
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"wxpub {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def start_scheduler(self, **extra_env: str) -> subprocess.Popen:
        n = len(self.schedulers)
        proc = subprocess.Popen([sys.executable, "-m", "wxpub", "scheduler"],
                                env={**self.env, **extra_env}, stdout=open(self._log(n), "w"),
                                stderr=subprocess.STDOUT)
        self.schedulers.append(proc)
        return proc

    def _log(self, n: int) -> Path:
        return self.tmp / f"scheduler-{n}.log"

    def wait_until_running(self, proc: subprocess.Popen, timeout: float = 30) -> None:
        """Return once the scheduler ``proc`` has started its jobs (it logs "scheduler started")."""
        log = self._log(self.schedulers.index(proc))
        self.wait_for(lambda: proc.poll() is not None or "scheduler started" in log.read_text(errors="replace"),
                      timeout, "the scheduler to start")
        assert proc.poll() is None, f"the scheduler exited:\n{log.read_text(errors='replace')}"

    def releases(self) -> list[dict]:
        return json.loads(self.cli("release", "list", "--json"))["releases"]

    def wait_for(self, predicate, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.tmp.glob("scheduler-*.log")))
        raise AssertionError(f"timed out waiting for {what}; releases: {self.releases()}\n{logs}")

    def all_published(self, count: int, timeout: float = 90) -> list[dict]:
        return self.wait_for(lambda: (lambda rs: rs if len(rs) == count and all(r["state"] == "published" for r in rs)
                                      else None)(self.releases()), timeout, "every release published")

    def calls(self, suffix: str) -> list[dict]:
        calls = requests.get(f"{self.sandbox_url}/sandbox/calls", timeout=5).json()
        return [c for c in calls if c["path"].endswith(suffix)]

    def successful(self, suffix: str) -> list[dict]:
        return [c for c in self.calls(suffix) if c["errcode"] == 0 and c.get("http_status", 200) == 200]

    def stop(self) -> None:
        for proc in [*self.schedulers, self.sandbox]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in [*self.schedulers, self.sandbox]:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._runtime is not None:
            self._runtime.db.dispose()
