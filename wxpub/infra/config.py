"""Settings read once from ``WXPUB_*`` environment variables over documented defaults.

Every setting is validated when the app (or a command) starts; a missing or malformed value raises
``ConfigError`` naming the variable, so a misconfigured deployment stops at start-up instead of
failing at publish time.

| variable                 | default                                   |
|--------------------------|-------------------------------------------|
| WXPUB_ENV                | development (production makes the WeChat credentials and the secret key mandatory and refuses the development defaults, a clear-text or loopback WeChat API URL and SQLite) |
| WXPUB_DATABASE_URL       | sqlite:///<instance>/wxpub.sqlite3        |
| WXPUB_INSTANCE_PATH      | ./instance                                |
| WXPUB_WECHAT_API_URL     | https://api.weixin.qq.com                 |
| WXPUB_WECHAT_TIMEOUT     | 10 (seconds, every WeChat call)           |
| WXPUB_APPID              | the sandbox's default appid (development) |
| WXPUB_APPSECRET          | the sandbox's default secret (development)|
| WXPUB_TOKEN              | the sandbox's default token (development) |
| WXPUB_ENCODING_AES_KEY   | the sandbox's default key (development)   |
| WXPUB_ACCOUNT_TYPE       | subscription                              |
| WXPUB_ACCOUNT_NAME       | 新政服 (the name the environment's account is registered under, on first use) |
| WXPUB_ACCOUNT_CODE       | xzf (its short ASCII name: ``/wechat/callback/<code>``, ``--account``) |
| WXPUB_REDIS_URL          | unset (tokens are then shared through the database) |
| WXPUB_SECRET_KEY         | a development key (production: required)  |
| WXPUB_TIMEZONE           | Asia/Shanghai                             |
| WXPUB_ALERT_WEBHOOK_URL  | unset                                     |
| WXPUB_ALERT_WECOM_URL    | unset (企业微信群机器人: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…) |
| WXPUB_ALERT_DINGTALK_URL | unset (钉钉群机器人: https://oapi.dingtalk.com/robot/send?access_token=…) |
| WXPUB_ALERT_DINGTALK_SECRET | unset (钉钉 加签 secret, SEC…; needs WXPUB_ALERT_DINGTALK_URL) |
| WXPUB_ALERT_FEISHU_URL   | unset (飞书群机器人: https://open.feishu.cn/open-apis/bot/v2/hook/…) |
| WXPUB_ALERT_FEISHU_SECRET | unset (飞书 签名校验 secret; needs WXPUB_ALERT_FEISHU_URL) |
| WXPUB_PUBLIC_URL         | unset (the web app's address, for links in alerts: https://wxpub.example.gov.cn) |
| WXPUB_LEXICON_FILE       | the seed lexicon shipped with wxpub       |
| WXPUB_LATE_TOLERANCE     | 1800 (seconds a release may start late before it is held for a person) |
| WXPUB_CONFIRM_WAIT       | 20 (seconds the publisher waits for WeChat's verdict before handing over to polling) |
| WXPUB_PREPARE_AHEAD      | 900 (seconds before the planned time when images and the draft are prepared) |
| WXPUB_CONFIRM_POLL       | 1 (seconds between two questions to WeChat while waiting for its verdict) |
| WXPUB_SUBMIT_SETTLE      | 30 (seconds an uncertain submit whose draft is still there is given before a resubmission) |
| WXPUB_LEASE_SECONDS      | 120 (how long a worker's claim on a release lasts without renewal) |
| WXPUB_CLOCK_OFFSET       | 0 (seconds added to the clock; demo and training only, refused in production) |
| WXPUB_CALLBACK_PLAINTEXT | 0 (1 also accepts plaintext-mode callback pushes signed with the Token alone) |
| WXPUB_ALLOW_SQLITE       | 0 (1 lets production run on SQLite, with a warning in the log) |
| WXPUB_MAX_REQUEST_BYTES  | 2097152 (largest request body the web app reads; bigger ones get HTTP 413) |
| WXPUB_SESSION_HOURS      | 8 (hours a staff login lasts, counted from the login, however active the session) |
| WXPUB_PROXY_HOPS         | 0 (reverse proxies in front of the web app whose X-Forwarded-For is trusted) |
| WXPUB_REVIEW_STAGES      | 初审,复审,终审 (the sign-off stages in order; ``名称:角色`` names the role, e.g. ``终审:approver``) |
| WXPUB_PROOFREAD_ROUNDS   | 3 (校对 rounds recorded by different people before the last stage; 0–9) |
| WXPUB_SILENCE_WARN_DAYS  | 10 (days without a publication before a warning; inspections: no update for 2 weeks fails) |
| WXPUB_SILENCE_ALARM_DAYS | 14 (days without a publication before the alarm; some localities require 10) |
| WXPUB_STATS_QUOTA_SHARE  | 0.5 (largest share of an endpoint's daily quota a statistics back-fill may use) |
| WXPUB_COMMENT_ANSWER_HOURS | 24 (hours a reader's comment may wait for a reply before an alert) |
| WXPUB_COMMENT_PULL_MINUTES | 30 (minutes between two pulls of readers' comments) |
| WXPUB_PUBLISH_WORKERS    | 8 (publishing tasks one scheduler process runs at once: WeChat calls in flight) |
| WXPUB_ACCOUNT_PARALLEL   | 2 (publishing tasks in flight for one official account, per scheduler process) |
| WXPUB_CLAIM_BATCH        | 16 (releases a scheduler claims from the database at a time) |
| WXPUB_VERDICT_FIRST      | 2 (seconds after a submission before WeChat is first asked for its verdict) |

Any other ``WXPUB_*`` variable stops start-up too (``ConfigError`` suggesting the nearest known name),
so a misspelt variable is not silently ignored; the few ``WXPUB_*`` variables that are read elsewhere
and are not settings are listed in ``NOT_SETTINGS``.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from wxpub.infra.config_checks import (ALERT_URLS, DEV_AES_KEY, DEV_APPID, DEV_APPSECRET, DEV_SECRET_KEY,  # noqa: F401
                                       DEV_TOKEN, ConfigError, _check_http_url, _is_loopback_host,
                                       validate_alert_channels, validate_production)
from wxpub.core.review_policy import DEFAULT_ROUNDS, DEFAULT_STAGES, Policy, PolicyError, parse_policy

log = logging.getLogger("wxpub.config")

# ``WXPUB_*`` variables that are not settings: read elsewhere, accepted here without a word.
NOT_SETTINGS = frozenset({
    "WXPUB_TEST_DATABASE_URL",  # the test suite's PostgreSQL URL (tests/conftest.py), set by CI
    "WXPUB_CRASH_AT",           # fault injection point (wxpub/publishing/leases.py)
})

# Numeric settings with a range: name -> (lowest, highest, the rule in words).
RANGES = {
    "stats_quota_share": (0.01, 1.0, "应为 0.01–1 之间的小数（统计补拉最多用掉当天接口额度的比例）"),
    "comment_answer_hours": (1.0, 720.0, "应为 1–720 小时（留言多久没有回复就提醒）"),
    "comment_pull_minutes": (5.0, 1440.0, "应为 5–1440 分钟（多久拉取一次留言）"),
    "publish_workers": (1.0, 64.0, "应为 1–64 的整数（每个调度进程同时调用微信接口的发布任务数）"),
    "account_parallel": (1.0, 8.0, "应为 1–8 的整数（同一公众号同时进行的发布任务数）"),
    "claim_batch": (1.0, 200.0, "应为 1–200 的整数（调度进程每次从数据库领取的发布数）"),
    "verdict_first": (0.1, 600.0, "应为 0.1–600 秒（提交后多久第一次向微信查询发布结果）"),
}

# Real AppIDs are "wx" + 16 characters and AppSecrets 32; the sandbox (training accounts) accepts
# looser values, so the strict forms are enforced in production only.
_APPID_RE = re.compile(r"^wx[0-9a-zA-Z]{16}$")
_SANDBOX_APPID_RE = re.compile(r"^wx[0-9a-zA-Z]{6,30}$")
_AES_KEY_RE = re.compile(r"^[A-Za-z0-9]{43}$")
_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9]{3,32}$")


@dataclass(frozen=True)
class Settings:
    """Validated settings; build with ``Settings.from_env()`` or ``Settings.from_mapping()``."""

    env: str = "development"
    instance_path: Path = Path("instance")
    database_url: str = ""
    wechat_api_url: str = "https://api.weixin.qq.com"
    wechat_timeout: float = 10.0
    appid: str = DEV_APPID
    appsecret: str = field(default=DEV_APPSECRET, repr=False)
    token: str = field(default=DEV_TOKEN, repr=False)
    encoding_aes_key: str = field(default=DEV_AES_KEY, repr=False)
    account_type: str = "subscription"
    account_name: str = "新政服"
    account_code: str = "xzf"
    redis_url: str = ""
    secret_key: str = field(default=DEV_SECRET_KEY, repr=False)
    timezone: str = "Asia/Shanghai"
    alert_webhook_url: str = field(default="", repr=False)  # may carry an access key
    # Robot URLs carry access keys: kept out of repr (and of logs, pages and the outbox table).
    alert_wecom_url: str = field(default="", repr=False)
    alert_dingtalk_url: str = field(default="", repr=False)
    alert_dingtalk_secret: str = field(default="", repr=False)
    alert_feishu_url: str = field(default="", repr=False)
    alert_feishu_secret: str = field(default="", repr=False)
    public_url: str = ""
    lexicon_file: str = ""
    late_tolerance: float = 1800.0
    confirm_wait: float = 20.0
    prepare_ahead: float = 900.0
    confirm_poll: float = 1.0
    submit_settle: float = 30.0
    lease_seconds: float = 120.0
    clock_offset: float = 0.0
    session_hours: float = 8.0
    proxy_hops: int = 0
    callback_plaintext: bool = False
    allow_sqlite: bool = False
    max_request_bytes: int = 2 * 1024 * 1024
    review_stages: str = DEFAULT_STAGES
    proofread_rounds: int = DEFAULT_ROUNDS
    silence_warn_days: int = 10
    silence_alarm_days: int = 14
    stats_quota_share: float = 0.5
    comment_answer_hours: float = 24.0
    comment_pull_minutes: float = 30.0
    publish_workers: float = 8.0
    account_parallel: float = 2.0
    claim_batch: float = 16.0
    verdict_first: float = 2.0

    @property
    def tz(self) -> ZoneInfo:
        """The timezone people see times in."""
        return ZoneInfo(self.timezone)

    @property
    def review_policy(self) -> Policy:
        """The 三审三校 configuration in force (validated at start-up)."""
        return parse_policy(self.review_stages, self.proofread_rounds)

    @property
    def is_production(self) -> bool:
        """True when WXPUB_ENV=production."""
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "Settings":
        """Read ``WXPUB_*`` variables from ``environ`` (default: ``os.environ``) and validate them."""
        environ = os.environ if environ is None else environ
        values = {}
        for variable, value in environ.items():
            if not variable.startswith("WXPUB_") or variable in NOT_SETTINGS:
                continue
            _check_known(variable)  # named as set, even when empty
            if value != "":
                values[variable[len("WXPUB_"):].lower()] = value
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: dict) -> "Settings":
        """Build settings from lower-case keys (``database_url`` …); an unknown key raises
        ``ConfigError`` naming its ``WXPUB_`` variable, the keys of ``NOT_SETTINGS`` are skipped."""
        values = {key: value for key, value in values.items()
                  if f"WXPUB_{str(key).upper()}" not in NOT_SETTINGS}
        for key in values:
            _check_known(f"WXPUB_{str(key).upper()}")
        env = values.get("env", "development")
        if env not in ("development", "production", "test"):
            raise ConfigError("WXPUB_ENV", f"只能是 development、production 或 test，而不是 {env!r}")
        instance = Path(values.get("instance_path", "instance")).resolve()
        kwargs: dict = {"env": env, "instance_path": instance}
        for name in ("wechat_api_url", "appid", "appsecret", "token", "encoding_aes_key",
                     "account_type", "account_name", "account_code", "redis_url", "secret_key", "timezone", "alert_webhook_url",
                     "lexicon_file", "database_url", "review_stages", *ALERT_URLS, "alert_dingtalk_secret",
                     "alert_feishu_secret", "public_url"):
            if name in values:
                kwargs[name] = str(values[name]).strip()
        for name in ("wechat_timeout", "late_tolerance", "confirm_wait", "prepare_ahead", "confirm_poll",
                     "submit_settle", "lease_seconds", "session_hours", *RANGES):
            if name in values:
                kwargs[name] = _positive_float(f"WXPUB_{name.upper()}", values[name])
        if "clock_offset" in values:
            try:
                kwargs["clock_offset"] = float(values["clock_offset"])
            except (TypeError, ValueError):
                raise ConfigError("WXPUB_CLOCK_OFFSET", f"应为秒数，而不是 {values['clock_offset']!r}") from None
        if "proxy_hops" in values:
            try:
                kwargs["proxy_hops"] = int(values["proxy_hops"])
            except (TypeError, ValueError):
                kwargs["proxy_hops"] = -1
            if not 0 <= kwargs["proxy_hops"] <= 5:
                raise ConfigError("WXPUB_PROXY_HOPS", f"应为 0–5 的整数（网页服务前面的反向代理层数），而不是 {values['proxy_hops']!r}")
        for name in ("callback_plaintext", "allow_sqlite"):
            if name in values:
                kwargs[name] = _flag(f"WXPUB_{name.upper()}", values[name])
        for name in ("silence_warn_days", "silence_alarm_days"):
            if name in values:
                try:
                    kwargs[name] = int(str(values[name]).strip())
                except ValueError:
                    raise ConfigError(f"WXPUB_{name.upper()}", f"应为天数（整数），而不是 {values[name]!r}") from None
        if "proofread_rounds" in values:
            try:
                kwargs["proofread_rounds"] = int(str(values["proofread_rounds"]).strip())
            except ValueError:
                raise ConfigError("WXPUB_PROOFREAD_ROUNDS", f"应为 0–9 的整数，而不是 {values['proofread_rounds']!r}") from None
        if "max_request_bytes" in values:
            kwargs["max_request_bytes"] = int(_positive_float("WXPUB_MAX_REQUEST_BYTES",
                                                              values["max_request_bytes"]))
        if "public_url" in kwargs:
            kwargs["public_url"] = kwargs["public_url"].rstrip("/")
        settings = cls(**kwargs)
        if not settings.database_url:
            settings = replace(settings, database_url=f"sqlite:///{instance / 'wxpub.sqlite3'}")
        settings.validate(explicit=set(values))
        return settings

    def validate(self, explicit: set[str] = frozenset()) -> None:
        """Raise ``ConfigError`` for the first missing or malformed setting."""
        if self.is_production:
            for name in ("appid", "appsecret", "token", "encoding_aes_key", "secret_key"):
                if name not in explicit:
                    raise ConfigError(f"WXPUB_{name.upper()}", "在生产环境（WXPUB_ENV=production）中必须设置")
        if self.is_production and self.clock_offset:
            raise ConfigError("WXPUB_CLOCK_OFFSET", "只能用于演示和培训，生产环境中必须为 0")
        try:
            make_url(self.database_url)
        except ArgumentError:
            raise ConfigError("WXPUB_DATABASE_URL", "不是有效的数据库地址（例如 sqlite:///wxpub.infra.db 或 postgresql+psycopg://…）") from None
        _check_http_url("WXPUB_WECHAT_API_URL", self.wechat_api_url)
        if self.alert_webhook_url:
            _check_http_url("WXPUB_ALERT_WEBHOOK_URL", self.alert_webhook_url)
        self._validate_alert_channels()
        strict = self.is_production
        if not (_APPID_RE if strict else _SANDBOX_APPID_RE).match(self.appid):
            raise ConfigError("WXPUB_APPID", "格式不对：应为 wx 开头的 18 位 AppID" if strict
                              else "格式不对：应以 wx 开头，后跟 6–30 个字母或数字")
        if len(self.appsecret) < (32 if strict else 4) or any(ch.isspace() for ch in self.appsecret):
            raise ConfigError("WXPUB_APPSECRET", "格式不对：AppSecret 应为 32 位" if strict
                              else "格式不对：AppSecret 太短或含空白")
        if not _TOKEN_RE.match(self.token):
            raise ConfigError("WXPUB_TOKEN", "格式不对：应为 3–32 位英文字母或数字")
        if not _AES_KEY_RE.match(self.encoding_aes_key):
            raise ConfigError("WXPUB_ENCODING_AES_KEY", "格式不对：应为 43 位英文字母或数字")
        if self.account_type not in ("subscription", "service"):
            raise ConfigError("WXPUB_ACCOUNT_TYPE", "只能是 subscription（公众号/订阅号）或 service（服务号）")
        if not 1 <= len(self.account_name) <= 100:
            raise ConfigError("WXPUB_ACCOUNT_NAME", "应为 1–100 个字的公众号名称，如“新政服”")
        if not _CODE_RE.match(self.account_code):
            raise ConfigError("WXPUB_ACCOUNT_CODE", "格式不对：应为 1–32 个英文字母、数字、_ 或 -（会成为事件推送地址的最后一段）")
        if self.redis_url and urlparse(self.redis_url).scheme not in ("redis", "rediss", "unix"):
            raise ConfigError("WXPUB_REDIS_URL", "不是有效的 Redis 地址（redis://host:6379/0）")
        if len(self.secret_key) < 16:
            raise ConfigError("WXPUB_SECRET_KEY", "太短：至少 16 个字符")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError("WXPUB_TIMEZONE", f"不是已知的时区：{self.timezone!r}") from None
        if self.lexicon_file and not Path(self.lexicon_file).is_file():
            raise ConfigError("WXPUB_LEXICON_FILE", f"找不到词库文件：{self.lexicon_file}")
        if self.max_request_bytes < 64 * 1024:
            raise ConfigError("WXPUB_MAX_REQUEST_BYTES", "太小：至少 65536 字节（64 KB）")
        for name, (low, high, rule) in RANGES.items():
            if not low <= getattr(self, name) <= high:
                raise ConfigError(f"WXPUB_{name.upper()}", f"{rule}，而不是 {getattr(self, name)!r}")
        if not 1 <= self.silence_warn_days <= 60:
            raise ConfigError("WXPUB_SILENCE_WARN_DAYS", "应为 1–60 天")
        if not self.silence_warn_days < self.silence_alarm_days <= 60:
            raise ConfigError("WXPUB_SILENCE_ALARM_DAYS",
                              f"应大于提醒天数（{self.silence_warn_days}），且不超过 60 天")
        try:
            parse_policy(self.review_stages, self.proofread_rounds)
        except PolicyError as error:
            variable = "WXPUB_PROOFREAD_ROUNDS" if "校对轮次" in str(error) else "WXPUB_REVIEW_STAGES"
            raise ConfigError(variable, str(error)) from None
        if self.is_production:
            self._validate_production()

    def _validate_alert_channels(self) -> None:
        validate_alert_channels(self)

    def _validate_production(self) -> None:
        validate_production(self)


def known_variables() -> frozenset[str]:
    """Every setting's variable name: ``WXPUB_<FIELD>`` for each field of ``Settings``."""
    return frozenset(f"WXPUB_{f.name.upper()}" for f in fields(Settings))


def _check_known(variable: str) -> None:
    """Raise ``ConfigError`` for a ``WXPUB_*`` name that is neither a setting nor in ``NOT_SETTINGS``."""
    known = known_variables()
    if variable in known or variable in NOT_SETTINGS:
        return
    # Compared without the shared prefix, which would make every name look alike.
    names = {name[len("WXPUB_"):]: name for name in known | NOT_SETTINGS}
    close = difflib.get_close_matches(variable[len("WXPUB_"):], sorted(names), n=1)
    if close:
        raise ConfigError(variable, f"不是已知的设置，是不是 {names[close[0]]}？")
    raise ConfigError(variable, "不是已知的设置（可用的设置见 README 的 Configuration 一节），请删除或改正")


def _positive_float(variable: str, raw) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(variable, f"应为正数，而不是 {raw!r}") from None
    if value <= 0:
        raise ConfigError(variable, f"应为正数，而不是 {raw!r}")
    return value


def _flag(variable: str, raw) -> bool:
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(variable, f"应为 1 或 0，而不是 {raw!r}")
