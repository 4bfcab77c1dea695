"""The sandbox's control endpoints against a web page in a trainee's browser, and its start-up
(issue 10, item 8): JSON only, own origin only, pushes to loopback or allowed hosts only, secrets
masked, a warning on a non-loopback --host, no start in production."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from click.testing import CliRunner

from wxpub.sandbox.command import sandbox as sandbox_command
from wxpub.sandbox.config import SandboxConfig, SandboxConfigError
from wxpub.sandbox.testing import SandboxServer

TOKEN = "TrainToken2026"
AES_KEY = "Tr41n1ngEncodingAESKey0000000000000000000xy"


@pytest.fixture
def sb():
    with SandboxServer(token=TOKEN, aes_key=AES_KEY) as server:
        yield server


def _callback_url(sb) -> str:
    return requests.get(f"{sb.url}/sandbox", timeout=5).json()["callback_url"]


def test_a_text_plain_body_cannot_reconfigure_the_sandbox(sb):
    """What a page's <form enctype=text/plain> or no-cors fetch sends: refused with 415."""
    answer = requests.post(f"{sb.url}/sandbox/callback", data='{"url": "http://127.0.0.1:9/x"}',
                           headers={"Content-Type": "text/plain"}, timeout=5)
    assert answer.status_code == 415 and "application/json" in answer.json()["message"]
    assert _callback_url(sb) == ""
    assert requests.post(f"{sb.url}/sandbox/reset", data="{}", timeout=5).status_code == 415
    assert requests.post(f"{sb.url}/sandbox/faults", data='{"rate": 1}',
                         headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=5).status_code == 415
    assert requests.get(f"{sb.url}/sandbox/faults", timeout=5).json()["rate"] == 0


def test_a_request_from_another_origin_is_refused(sb):
    evil = {"Origin": "http://training-news.example"}
    answer = requests.post(f"{sb.url}/sandbox/faults", json={"rate": 1}, headers=evil, timeout=5)
    assert answer.status_code == 403
    assert requests.get(f"{sb.url}/sandbox/events", headers=evil, timeout=5).status_code == 403
    assert requests.post(f"{sb.url}/sandbox/faults", json={"rate": 1}, headers={"Origin": "null"},
                         timeout=5).status_code == 403
    assert requests.get(f"{sb.url}/sandbox/faults", timeout=5).json()["rate"] == 0
    # The sandbox's own origin (its own page, a same-origin tool) is fine.
    mine = requests.post(f"{sb.url}/sandbox/faults", json={"rate": 0.5}, headers={"Origin": sb.url}, timeout=5)
    assert mine.status_code == 200 and mine.json()["rate"] == 0.5


def test_a_foreign_host_name_is_refused(sb):
    """DNS rebinding: a page of attacker.example whose name now resolves to 127.0.0.1 is same-origin
    with itself; the Host header still names the attacker's domain."""
    port = sb.url.rsplit(":", 1)[1]
    answer = requests.post(f"{sb.url}/sandbox/reset", json={},
                           headers={"Host": f"attacker.example:{port}",
                                    "Origin": f"http://attacker.example:{port}"}, timeout=5)
    assert answer.status_code == 403
    assert requests.get(f"{sb.url}/sandbox", headers={"Host": f"localhost:{port}"}, timeout=5).status_code == 200


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://metadata.google.internal/",
    "http://intranet.example/wechat/callback", "http://10.1.2.3/wechat/callback", "file:///etc/passwd",
])
def test_event_pushes_cannot_be_pointed_away_from_this_machine(sb, url):
    answer = requests.post(f"{sb.url}/sandbox/callback", json={"url": url}, timeout=5)
    assert answer.status_code == 400 and answer.json()["error"] == "bad_request"
    assert _callback_url(sb) == ""


def test_loopback_and_explicitly_allowed_hosts_may_receive_pushes():
    with SandboxServer(callback_hosts=("10.1.2.3",)) as server:
        for url in ("http://127.0.0.1:5000/wechat/callback", "http://localhost:5000/wechat/callback",
                    "http://[::1]:5000/wechat/callback", "http://10.1.2.3/wechat/callback"):
            assert server.control("callback", {"url": url}) == {"callback_url": url}
        refused = requests.post(f"{server.url}/sandbox/callback", json={"url": "http://10.1.2.4/"}, timeout=5)
        assert refused.status_code == 400
    with pytest.raises(SandboxConfigError, match="--callback-url"):
        SandboxConfig(callback_url="http://169.254.169.254/")
    with pytest.raises(SandboxConfigError, match="--callback-url"):
        SandboxConfig(callback_url="http://intranet.example/")
    assert SandboxConfig(callback_url="http://intranet.example/", callback_hosts=("intranet.example",))


def test_summary_masks_the_token_and_the_aes_key(sb):
    summary = requests.get(f"{sb.url}/sandbox", timeout=5).json()
    text = str(summary)
    assert TOKEN not in text and AES_KEY not in text and sb.config.secret not in text
    assert summary["token"] == "Trai****" and summary["aes_key"] == "Tr41****"


def _start(*args: str, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "wxpub.sandbox", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "控制接口" in line:
            break
    return proc, "".join(lines)


def _stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.communicate(timeout=10)[1]
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_banner_masks_the_token_and_the_aes_key():
    proc, banner = _start("--token", TOKEN, "--aes-key", AES_KEY)
    errors = _stop(proc)
    assert "Trai****" in banner and "Tr41****" in banner
    assert TOKEN not in banner and AES_KEY not in banner
    assert "警告" not in errors  # loopback: nothing to warn about


def test_a_host_other_than_loopback_is_warned_about_on_stderr():
    proc, banner = _start("--host", "0.0.0.0")
    errors = _stop(proc)
    assert "0.0.0.0" in banner
    assert "警告" in errors and "0.0.0.0" in errors


def test_the_sandbox_refuses_to_start_in_production(monkeypatch):
    result = CliRunner().invoke(sandbox_command, ["--port", "0", "--host", "0.0.0.0"],
                                env={"WXPUB_ENV": "production"})
    assert result.exit_code != 0
    assert "WXPUB_ENV=production" in result.output and "沙箱" in result.output
    monkeypatch.setenv("WXPUB_ENV", "production")
    with pytest.raises(SandboxConfigError, match="WXPUB_ENV"):
        with SandboxServer():
            pass


@pytest.mark.browser
def test_a_web_page_on_another_origin_cannot_reconfigure_the_sandbox(browser, sb):
    """The attack as it happens: a page on another origin (another local port here) posts to the
    control endpoints the ways a page can without CORS — a no-cors fetch and a text/plain form."""
    page_html = f"""<!doctype html><html><body>
<form id="f" method="post" enctype="text/plain" action="{sb.url}/sandbox/callback">
<input name='{{"url": "http://169.254.169.254/latest/meta-data/", "x": "' value='"}}'></form>
<script>
fetch("{sb.url}/sandbox/faults", {{method: "POST", mode: "no-cors", body: '{{"rate": 1}}',
  headers: {{"Content-Type": "text/plain"}}}}).finally(() => document.getElementById("f").submit());
</script></body></html>"""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            body = page_html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = browser.new_context()
    try:
        page = context.new_page()
        with page.expect_navigation(url=f"{sb.url}/sandbox/callback", timeout=10000):
            page.goto(f"http://127.0.0.1:{server.server_port}/")
    finally:
        context.close()
        server.shutdown()
        server.server_close()
    assert requests.get(f"{sb.url}/sandbox/faults", timeout=5).json()["rate"] == 0
    assert _callback_url(sb) == ""


def test_a_web_page_cannot_call_the_emulated_wechat_api(sandbox):
    """wechatpy sends no Origin; a cross-origin page in a trainee's browser always does."""
    import requests as http

    token = http.post(f"{sandbox.url}/cgi-bin/stable_token", json={
        "grant_type": "client_credential", "appid": sandbox.config.appid,
        "secret": sandbox.config.secret}, timeout=5).json()["access_token"]
    from_page = http.get(f"{sandbox.url}/cgi-bin/draft/count?access_token={token}",
                          headers={"Origin": "http://127.0.0.1:9"}, timeout=5)
    assert from_page.status_code == 403
    assert http.get(f"{sandbox.url}/cgi-bin/draft/count?access_token={token}", timeout=5).json()["total_count"] == 0
