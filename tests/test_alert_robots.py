"""Alerts to the group robots offices use (企业微信, 钉钉, 飞书) and the generic webhook, through the
outbox: a local HTTP endpoint plays each robot (checking the JSON shape and, like the real ones,
refusing a bad signature with an errcode), one message per root cause and channel, a refusal is
retried with the outbox's backoff, and no access key or secret is ever stored or logged."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from dataclasses import replace

import pytest
from sqlalchemy import select
from werkzeug.wrappers import Request, Response

from servers import serve_app
from wxpub.infra.config import ConfigError, Settings
from wxpub.models import Alert, OutboxMessage
from wxpub.notify import alerts, outbox

WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DINGTALK_TOKEN = "dd0c7aa6b1e14f3c9a2bd3e5f7a9c1e3d5f7a9c1e3d5f7a9c1e3d5f7a9c1e3d5"
DINGTALK_SECRET = "SEC3f1a2b4c6d8e0f1a2b4c6d8e0f1a2b4c6d8e0f1a2b4c6d8e0f1a2b4c6d8e0f"
FEISHU_HOOK = "2f8e5c1a-0b9d-4e7f-8a6c-5d3b1e9f7a2c"
FEISHU_SECRET = "qX7pLm2Vn9Rt4Kd8Bz"
SECRETS = (WECOM_KEY, DINGTALK_TOKEN, DINGTALK_SECRET, FEISHU_HOOK, FEISHU_SECRET)
PUBLIC_URL = "https://wxpub.example.gov.cn"


class Robots:
    """One loopback server playing the three robots; ``refuse[path]`` answers that many errcodes."""

    def __init__(self):
        self.received: dict[str, list] = {"wecom": [], "dingtalk": [], "feishu": []}
        self.refuse: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        request = Request(environ)
        robot, _, hook = request.path.strip("/").partition("/")
        body = request.get_json(force=True)
        if robot == "feishu" and hook != FEISHU_HOOK:
            return Response('{"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}',
                            content_type="application/json")(environ, start_response)
        with self.lock:
            self.received[robot].append({"args": dict(request.args), "body": body})
            refuse = self.refuse.get(robot, 0)
            self.refuse[robot] = max(0, refuse - 1)
        answer = getattr(self, robot)(request.args, body, refuse)
        return Response(json.dumps(answer), content_type="application/json")(environ, start_response)

    @staticmethod
    def wecom(args, body, refuse):
        if args.get("key") != WECOM_KEY or body.get("msgtype") != "text" or not body["text"]["content"]:
            return {"errcode": 93000, "errmsg": "invalid webhook url"}
        return {"errcode": 45009, "errmsg": "api freq out of limit"} if refuse else {"errcode": 0, "errmsg": "ok"}

    @staticmethod
    def dingtalk(args, body, refuse):
        stamp = args.get("timestamp", "0")
        expected = base64.b64encode(hmac.new(DINGTALK_SECRET.encode(), f"{stamp}\n{DINGTALK_SECRET}".encode(),
                                             hashlib.sha256).digest()).decode()
        if (args.get("access_token") != DINGTALK_TOKEN or args.get("sign") != expected
                or abs(int(stamp) / 1000 - time.time()) > 3600 or refuse):
            return {"errcode": 310000, "errmsg": "sign not match"}
        if body.get("msgtype") != "text" or not body["text"]["content"]:
            return {"errcode": 40035, "errmsg": "缺少参数 json"}
        return {"errcode": 0, "errmsg": "ok"}

    @staticmethod
    def feishu(args, body, refuse):
        stamp = body.get("timestamp", "0")
        expected = base64.b64encode(hmac.new(f"{stamp}\n{FEISHU_SECRET}".encode(), b"",
                                             hashlib.sha256).digest()).decode()
        if body.get("sign") != expected or abs(int(stamp) - time.time()) > 3600 or refuse:
            return {"code": 19021, "data": {}, "msg": "sign match fail or timestamp is not within one hour"}
        if body.get("msg_type") != "text" or not body["content"]["text"]:
            return {"code": 9499, "msg": "Bad Request"}
        return {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}


@pytest.fixture
def robots(runtime, webhook):
    """The runtime with every channel configured on loopback; yields (runtime, robots, webhook received)."""
    robots = Robots()
    url, received = webhook
    with serve_app(robots) as served:
        runtime.settings = replace(
            runtime.settings, alert_webhook_url=url, public_url=PUBLIC_URL,
            alert_wecom_url=f"{served.url}/wecom?key={WECOM_KEY}",
            alert_dingtalk_url=f"{served.url}/dingtalk?access_token={DINGTALK_TOKEN}",
            alert_dingtalk_secret=DINGTALK_SECRET,
            alert_feishu_url=f"{served.url}/feishu/{FEISHU_HOOK}",
            alert_feishu_secret=FEISHU_SECRET)
        yield runtime, robots, received


def _alert(rt, cause="account:40001", release_id=12):
    with rt.db.session() as session:
        alerts.raise_alert(session, cause=cause, message=f"发布 {release_id}：AppSecret 已失效，所有发布都会失败",
                           now=rt.clock.now(), release_id=release_id, settings=rt.settings)
        session.commit()


def _rows(rt):
    with rt.db.session() as session:
        return [{c.name: getattr(row, c.name) for c in OutboxMessage.__table__.columns}
                for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_each_robot_gets_one_chinese_message_per_root_cause_with_a_link_to_the_release(robots):
    rt, robots, hook = robots
    for release_id in (12, 13, 12):  # the same expired secret hits three runs
        _alert(rt, release_id=release_id)
    assert [row["target"] for row in _rows(rt)] == ["webhook", "robot:wecom", "robot:dingtalk", "robot:feishu"]
    assert outbox.deliver_due(rt, worker="deliverer") == 4
    assert outbox.deliver_due(rt, worker="deliverer") == 0  # delivered once, never again
    assert [len(robots.received[r]) for r in ("wecom", "dingtalk", "feishu")] == [1, 1, 1] and len(hook) == 1
    texts = [robots.received["wecom"][0]["body"]["text"]["content"],
             robots.received["dingtalk"][0]["body"]["text"]["content"],
             robots.received["feishu"][0]["body"]["content"]["text"], hook[0]["text"]]
    for text in texts:
        assert text.startswith("【新政服发布告警】严重") and "AppSecret 已失效" in text
        assert f"发布 12：{PUBLIC_URL}/releases/12" in text
    assert hook[0]["cause"] == "account:40001" and hook[0]["release_ids"] == [12]
    with rt.db.session() as session:
        alert = session.scalar(select(Alert))
        assert alert.sent and alert.count == 3 and alert.release_ids == [12, 13]


def test_without_a_public_address_the_message_names_the_release_without_a_link(robots):
    rt, robots, _ = robots
    rt.settings = replace(rt.settings, public_url="", alert_webhook_url="", alert_dingtalk_url="",
                          alert_feishu_url="")
    _alert(rt, cause="release:7:held", release_id=7)
    assert outbox.deliver_due(rt, worker="deliverer") == 1
    text = robots.received["wecom"][0]["body"]["text"]["content"]
    assert "发布 7：" in text and "http" not in text


def test_a_robot_answering_an_errcode_is_retried_with_backoff_then_delivered(robots):
    rt, robots, _ = robots
    robots.refuse = {"wecom": 1, "dingtalk": 1, "feishu": 1}
    _alert(rt)
    assert outbox.deliver_due(rt, worker="deliverer") == 1  # only the generic webhook
    failed = {row["target"]: row for row in _rows(rt) if row["delivered_at"] is None}
    assert set(failed) == {"robot:wecom", "robot:dingtalk", "robot:feishu"}
    assert "企业微信" in failed["robot:wecom"]["last_error"] and "45009" in failed["robot:wecom"]["last_error"]
    assert "钉钉" in failed["robot:dingtalk"]["last_error"] and "310000" in failed["robot:dingtalk"]["last_error"]
    assert "飞书" in failed["robot:feishu"]["last_error"] and "19021" in failed["robot:feishu"]["last_error"]
    assert all(row["attempts"] == 1 and row["gave_up_at"] is None for row in failed.values())
    assert outbox.deliver_due(rt, worker="deliverer") == 0  # backing off: not due yet
    rt.clock.advance(minutes=5)
    assert outbox.deliver_due(rt, worker="deliverer") == 3
    assert all(row["delivered_at"] is not None for row in _rows(rt))
    assert [len(robots.received[r]) for r in ("wecom", "dingtalk", "feishu")] == [2, 2, 2]


def test_a_wrong_signing_secret_is_refused_by_the_robot_and_not_counted_as_sent(robots):
    rt, robots, _ = robots
    rt.settings = replace(rt.settings, alert_dingtalk_secret="SECnot-the-robots-secret",
                          alert_feishu_secret="not-the-robots-secret")
    _alert(rt)
    assert outbox.deliver_due(rt, worker="deliverer") == 2  # the webhook and 企业微信
    errors = sorted(row["last_error"] for row in _rows(rt) if row["last_error"])
    assert len(errors) == 2 and "310000" in errors[1] + errors[0] and "19021" in errors[0] + errors[1]


def test_no_key_or_secret_is_stored_in_the_outbox_or_written_to_the_log(robots, caplog):
    rt, robots, _ = robots
    caplog.set_level(logging.DEBUG)
    robots.refuse = {"dingtalk": 1, "feishu": 1}
    _alert(rt)
    outbox.deliver_due(rt, worker="deliverer")
    rt.clock.advance(minutes=5)
    assert outbox.deliver_due(rt, worker="deliverer") == 2
    stored = json.dumps(_rows(rt), default=str, ensure_ascii=False)
    with rt.db.session() as session:
        stored += json.dumps([a.message for a in session.scalars(select(Alert))], ensure_ascii=False)
    # Every record of INFO and above (the level a deployment logs at), except the access log of the
    # loopback robots themselves. (urllib3's DEBUG records show a request's path, hence 钉钉's
    # access_token: a deployment must not log urllib3 at DEBUG.)
    logged = "\n".join(record.getMessage() for record in caplog.records
                       if record.levelno >= logging.INFO and record.name != "werkzeug")
    assert "钉钉机器人拒收" in logged  # the failure is logged, without its address
    for secret in SECRETS:
        assert secret not in stored and secret not in logged
        assert secret not in repr(rt.settings)


@pytest.mark.parametrize("variable", ["WXPUB_ALERT_WEBHOOK_URL", "WXPUB_ALERT_WECOM_URL", "WXPUB_ALERT_DINGTALK_URL",
                                      "WXPUB_ALERT_FEISHU_URL", "WXPUB_PUBLIC_URL"])
def test_production_refuses_a_clear_text_robot_or_public_address(variable):
    production = {"WXPUB_ENV": "production", "WXPUB_APPID": "wx0123456789abcdef", "WXPUB_APPSECRET": "p" * 32,
                  "WXPUB_TOKEN": "prodtoken1", "WXPUB_ENCODING_AES_KEY": "A" * 43,
                  "WXPUB_SECRET_KEY": "s" * 32, "WXPUB_DATABASE_URL": "postgresql+psycopg://db/wxpub"}
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({**production, variable: f"http://robot.example.cn/send?key={WECOM_KEY}"})
    assert refused.value.variable == variable and WECOM_KEY not in str(refused.value)
    https = Settings.from_env({**production, variable: f"https://robot.example.cn/send?key={WECOM_KEY}"})
    assert WECOM_KEY not in repr(https) or variable == "WXPUB_PUBLIC_URL"


def test_a_signing_secret_needs_its_robot_and_a_bad_robot_address_is_not_echoed():
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"WXPUB_ALERT_DINGTALK_SECRET": DINGTALK_SECRET})
    assert refused.value.variable == "WXPUB_ALERT_DINGTALK_SECRET" and DINGTALK_SECRET not in str(refused.value)
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"WXPUB_ALERT_FEISHU_URL": f"open.feishu.cn/open-apis/bot/v2/hook/{FEISHU_HOOK}"})
    assert refused.value.variable == "WXPUB_ALERT_FEISHU_URL" and FEISHU_HOOK not in str(refused.value)
    settings = Settings.from_env({"WXPUB_PUBLIC_URL": "https://wxpub.example.gov.cn/"})
    assert settings.public_url == "https://wxpub.example.gov.cn"


def test_the_scheduler_at_debug_level_logs_no_robot_key_or_signature(robots, caplog):
    """``wxpub scheduler --log-level DEBUG`` logs urllib3's request lines: the redaction the
    scheduler installs must hide 企业微信's ``key``, 钉钉's ``access_token`` and ``sign`` and 飞书's hook
    token there too, not only WeChat's ``access_token``."""
    from wxpub.wechat.transport import install_log_redaction

    rt, robots, _ = robots
    install_log_redaction()
    caplog.set_level(logging.DEBUG)
    _alert(rt)
    assert outbox.deliver_due(rt, worker="deliverer") == 4
    lines = [record.getMessage() for record in caplog.records if record.name.startswith("urllib3")]
    assert any("/robot/" in line or "/dingtalk" in line for line in lines)  # the request lines are there
    logged = "\n".join(lines)
    for secret in SECRETS:
        assert secret not in logged
    assert "sign=***" in logged
