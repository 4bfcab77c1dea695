"""Real processes for end-to-end tests: the sandbox, ``wxpub`` commands and scheduler processes."""

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """A sandbox process plus the environment for ``wxpub`` processes sharing one database."""

    def __init__(self, tmp_path: Path, database_url: str, *, fault_rate: float = 0.0,
                 publish_delay: float = 1.0, seed: int = 7):
        self.tmp = tmp_path
        self.port = free_port()
        self.sandbox_url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "WXPUB_DATABASE_URL": database_url, "WXPUB_ENV": "test",
                    "WXPUB_INSTANCE_PATH": str(tmp_path / "instance"),
                    "WXPUB_WECHAT_API_URL": self.sandbox_url, "WXPUB_APPID": CFG.appid,
                    "WXPUB_APPSECRET": CFG.secret, "WXPUB_TOKEN": CFG.token,
                    "WXPUB_ENCODING_AES_KEY": CFG.aes_key, "WXPUB_WECHAT_TIMEOUT": "2",
                    "WXPUB_LATE_TOLERANCE": "600", "WXPUB_CONFIRM_WAIT": "5", "PYTHONUNBUFFERED": "1"}
        self.env.pop("WXPUB_CRASH_AT", None)
        log = open(tmp_path / "sandbox.log", "w")
        self.sandbox = subprocess.Popen(
            [sys.executable, "-m", "wxpub", "sandbox", "--port", str(self.port), "--publish-delay",
             str(publish_delay), "--fault-rate", str(fault_rate), "--seed", str(seed),
             "--slow-seconds", "3"], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.schedulers: list[subprocess.Popen] = []
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                requests.get(f"{self.sandbox_url}/sandbox/clock", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            raise RuntimeError("sandbox did not start")

    def wxpub(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "wxpub", *args], env=self.env,
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"wxpub {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def start_scheduler(self, **extra_env: str) -> subprocess.Popen:
        n = len(self.schedulers)
        log = open(self.tmp / f"scheduler-{n}.log", "w")
        proc = subprocess.Popen([sys.executable, "-m", "wxpub", "scheduler"],
                                env={**self.env, **extra_env}, stdout=log, stderr=subprocess.STDOUT)
        self.schedulers.append(proc)
        return proc

    def releases(self) -> list[dict]:
        return json.loads(self.wxpub("release", "list", "--json").stdout)["releases"]

    def wait_for(self, predicate, timeout: float, what: str):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.3)
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
