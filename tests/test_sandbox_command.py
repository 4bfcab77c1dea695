"""SandboxConfig validation and the `sandbox` command (options, startup banner, Ctrl-C)."""
import os
import signal
import subprocess
import sys
from datetime import datetime

import pytest
import requests
from click.testing import CliRunner

from wxpub.sandbox.command import sandbox
from wxpub.sandbox.config import SandboxConfig, SandboxConfigError


@pytest.mark.parametrize("field, value, option", [
    ("aes_key", "tooshort", "--aes-key"), ("port", 70000, "--port"), ("appid", "abc", "--appid"),
    ("token", "a b", "--token"), ("callback_url", "ftp://x", "--callback-url"),
    ("account_type", "enterprise", "--account-type"), ("publish_delay", -1, "--publish-delay"),
    ("fault_rate", 1.5, "--fault-rate"), ("slow_seconds", -2, "--slow-seconds"), ("secret", "", "--secret"),
])
def test_invalid_settings_name_the_option(field, value, option):
    with pytest.raises(SandboxConfigError) as info:
        SandboxConfig(**{field: value})
    assert option in str(info.value)


def test_defaults_are_valid():
    config = SandboxConfig()
    assert (config.host, config.port, config.account_type, config.publish_delay) == \
        ("127.0.0.1", 8930, "subscription", 2.0)
    assert len(config.aes_key) == 43 and config.title_limit == 32
    assert config.masked_secret.endswith(config.secret[-4:]) and config.secret not in config.masked_secret


def test_command_has_exactly_the_documented_options():
    names = {opt for p in sandbox.params for opt in p.opts}
    assert names == {"--host", "--port", "--appid", "--secret", "--token", "--aes-key", "--callback-url",
                     "--account-type", "--publish-delay", "--fault-rate", "--seed", "--slow-seconds",
                     "--allow-callback-host", "--comments-per-article", "--account", "--accounts",
                     "--minute-limit"}


@pytest.mark.parametrize("value", ["draft/add=3", "/cgi-bin/draft/add", "/cgi-bin/draft/add=-1",
                                   "/cgi-bin/draft/add=1.5", "/cgi-bin/draft/add=x", "/sns/userinfo=3"])
def test_minute_limits_must_be_path_equals_a_whole_number(value):
    with pytest.raises(SandboxConfigError) as info:
        SandboxConfig(minute_limits=[value])
    assert f"--minute-limit 无效：“{value}”" in str(info.value)


def test_minute_limits_accept_strings_pairs_and_dicts_the_last_one_winning():
    config = SandboxConfig(minute_limits=["/cgi-bin/draft/add=3", ("/datacube/getarticleread", 5),
                                          " /cgi-bin/draft/add = 7 "])
    assert config.minute_limits == (("/datacube/getarticleread", 5), ("/cgi-bin/draft/add", 7))
    assert SandboxConfig(minute_limits={"/cgi-bin/draft/add": 0}).minute_limits == (("/cgi-bin/draft/add", 0),)
    assert SandboxConfig().minute_limits == ()


@pytest.mark.parametrize("value, reason", [("draft=3", "接口路径=每分钟次数"),
                                           ("/cgi-bin/draft/add=-1", "不小于 0 的整数"),
                                           ("/cgi-bin/nothing/here=3", "沙箱没有模拟这个接口")])
def test_command_rejects_a_bad_minute_limit_in_chinese(value, reason):
    result = CliRunner().invoke(sandbox, ["--port", "0", "--minute-limit", value])
    assert result.exit_code == 2
    assert f"--minute-limit 无效：“{value}”" in result.output and reason in result.output


@pytest.mark.parametrize("value", [-1, "3", 2.5, True])
def test_comments_per_article_must_be_a_whole_number_not_below_zero(value):
    with pytest.raises(SandboxConfigError) as info:
        SandboxConfig(comments_per_article=value)
    assert "--comments-per-article" in str(info.value) and "整数" in str(info.value)
    assert SandboxConfig(comments_per_article=0).comments_per_article == 0


@pytest.mark.parametrize("value", ["abc", "-2"])
def test_command_rejects_a_bad_comments_per_article_in_chinese(value):
    result = CliRunner().invoke(sandbox, ["--comments-per-article", value])
    assert result.exit_code == 2 and "--comments-per-article 无效" in result.output


def test_command_rejects_bad_values_with_a_chinese_message():
    result = CliRunner().invoke(sandbox, ["--aes-key", "short"])
    assert result.exit_code == 2 and "EncodingAESKey" in result.output


def test_python_m_runs_prints_settings_and_stops_on_ctrl_c():
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "wxpub.sandbox", "--port", "0", "--secret", "abcdefgh1234",
                             "--account-type", "service", "--minute-limit", "/cgi-bin/draft/count=2",
                             "--minute-limit", "/cgi-bin/draft/count=3"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                            # a shell may start us with SIGINT ignored; Ctrl-C must reach the child
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "控制接口" in line:
                break
        banner = "".join(lines)
        assert "abcdefgh1234" not in banner and "1234" in banner
        assert "service" in banner and "wxsandbox000000001" in banner
        url = next(line.split("：", 1)[1].strip() for line in lines if "监听地址" in line)
        reply = requests.get(url + "/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": "wxsandbox000000001", "secret": "abcdefgh1234"},
            timeout=5).json()
        assert reply["expires_in"] == 7200
        # --minute-limit: printed with the default one, enforced (the last value for a path wins).
        assert ("每分钟调用上限：/cgi-bin/draft/count 3 次、/cgi-bin/message/mass/sendall 60 次（默认）"
                in banner)
        now = datetime.fromisoformat(requests.get(url + "/sandbox/clock", timeout=5).json()["now"])
        to_next_minute = 60.2 - now.second - now.microsecond / 1e6  # the calls below share one minute
        requests.post(url + "/sandbox/clock", json={"advance_seconds": to_next_minute}, timeout=5)
        answers = [requests.get(url + "/cgi-bin/draft/count", params={"access_token": reply["access_token"]},
                                timeout=5).json() for _ in range(4)]
        assert [a.get("errcode", 0) for a in answers] == [0, 0, 0, 45011]
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=10)[0]
        assert "已停止" in rest and proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
