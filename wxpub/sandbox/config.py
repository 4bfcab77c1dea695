"""Settings of the WeChat API emulator, validated with staff-readable (Chinese) messages.

Nothing here (nor anywhere in the sandbox) imports wxpub's production code: the sandbox reads
``WXPUB_ENV`` from ``os.environ`` itself, to refuse to run in production.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from dataclasses import dataclass
from typing import Any

from wxpub.sandbox.accounts import (AES_KEY_RE, APPID_RE, TOKEN_RE, AccountError, as_account,
                                    check_accounts)
from urllib.parse import urlsplit

ACCOUNT_TYPES = ("subscription", "service")
_AES_KEY_RE, _APPID_RE, _TOKEN_RE = AES_KEY_RE, APPID_RE, TOKEN_RE
#: A 微信号 as WeChat allows it: 6–20 characters, a letter first, then letters, digits, _ or -.
WXNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{5,19}$")
#: Followers the sandbox knows from the start (``message/mass/preview`` by 微信号 reaches only
#: these and those added through ``POST /sandbox/followers``): one per role of a small office.
DEFAULT_FOLLOWERS = ("wangbianji2026", "zhaojiaodui2026", "qianjiaodui2026", "likezhang2026",
                     "zhangzhuren2026")


class SandboxConfigError(ValueError):
    """A sandbox setting is invalid; the message (Chinese) names the option."""


PRODUCTION_REFUSAL = ("WXPUB_ENV=production：这是生产环境，不能启动微信接口沙箱（沙箱的凭据是公开的，"
                      "控制接口没有登录）。请在开发、测试或培训环境中运行。")


def in_production() -> bool:
    """True when ``WXPUB_ENV=production`` (read directly: the sandbox imports no wxpub settings)."""
    return os.environ.get("WXPUB_ENV", "").strip().lower() == "production"


def mask(value: str) -> str:
    """The first 4 characters and ``****`` (a Token or EncodingAESKey as shown to people)."""
    return (value[:4] if len(value) > 8 else "") + "****"


def is_loopback(host: str) -> bool:
    """``localhost`` (``*.localhost``), 127.0.0.0/8 and ``::1``."""
    host = (host or "").strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    address = _ip(host)
    return address is not None and address.is_loopback


def forbidden_address(address) -> bool:
    """Link-local (cloud metadata 169.254.169.254, fe80::/10), multicast, unspecified, reserved
    (loopback is checked before: ``::1`` counts as reserved)."""
    if address.is_loopback:
        return False
    return (address.is_link_local or address.is_multicast or address.is_unspecified
            or address.is_reserved)


_METADATA_NAMES = {"metadata", "metadata.google.internal", "metadata.goog", "instance-data"}


def callback_url_problem(url: str, allowed_hosts=()) -> str | None:
    """Why ``url`` may not receive the sandbox's event pushes (None: it may).

    It must be http(s) to a loopback host or to one of ``allowed_hosts`` (``--allow-callback-host``
    and the sandbox's own ``--host``); link-local / metadata addresses are refused even if allowed."""
    if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url):
        return "须以 http:// 或 https:// 开头"
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return "不是有效的地址"
    if not host:
        return "缺少主机名"
    if is_loopback(host):
        return None
    address = _ip(host)
    if host in _METADATA_NAMES or (address is not None and forbidden_address(address)):
        return f"不能指向链路本地或云主机元数据地址（{host}）"
    if host in {h.strip("[]").rstrip(".").lower() for h in allowed_hosts if h}:
        return None
    return (f"只能指向本机（127.0.0.1、localhost、::1），或启动时用 --allow-callback-host 明确允许的主机；"
            f"{host} 不在其中")


def _ip(host: str):
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address


@dataclass
class SandboxConfig:
    """Everything the sandbox needs to emulate one official account.

    `publish_delay` and `slow_seconds` are seconds; `publish_delay` counts sandbox time
    (so advancing the clock finishes jobs), `slow_seconds` is a real stall.
    """

    host: str = "127.0.0.1"
    port: int = 8930
    appid: str = "wxsandbox000000001"
    secret: str = "sandboxsecret00000000000000000001"
    token: str = "sandboxtoken"
    aes_key: str = "SandboxEncodingAESKey0000000000000000000000"
    callback_url: str = ""
    account_type: str = "subscription"
    publish_delay: float = 2.0
    fault_rate: float = 0.0
    seed: int = 20231
    slow_seconds: float = 15.0
    title_limit: int = 32
    callback_hosts: tuple[str, ...] = ()
    followers: tuple[str, ...] = DEFAULT_FOLLOWERS  # 微信号 of subscribed followers (code only)
    preview_limit: int = 100  # previews by 微信号 per Beijing day (code only)
    comments_per_article: int | None = None  # synthetic comments per article (None = seeded 2–6)
    accounts: tuple[Any, ...] = ()  # SandboxAccount (accounts.py); empty = the one account above
    #: Enforced per-minute limits of every account (``--minute-limit PATH=N``): ``{path: n}``, ``(path, n)``
    #: pairs or ``"PATH=N"`` strings; normalised to ``(path, n)`` pairs, a later one for a path wins.
    minute_limits: Any = ()

    def __post_init__(self) -> None:
        self.callback_hosts = tuple(self.callback_hosts or ())
        self.minute_limits = parse_minute_limits(self.minute_limits)
        self.followers = tuple(self.followers or ())
        try:
            self.accounts = tuple(as_account(a) for a in (self.accounts or ()))
        except AccountError as exc:
            raise SandboxConfigError(str(exc)) from None
        self.validate()

    def account_configs(self) -> list[tuple[str, "SandboxConfig"]]:
        """(name, per-account config) for every emulated account, the first being the default one.

        Without ``accounts`` that is this config itself (named ``default``). Otherwise each account's
        appid, secret, type, token, AES key and callback URL replace the sandbox-wide ones; an account
        without its own callback URL gets ``callback_url`` + ``/<name>`` (empty stays empty)."""
        if not self.accounts:
            return [("default", self)]
        configs = []
        for account in self.accounts:
            callback = account.callback_url or (
                f"{self.callback_url.rstrip('/')}/{account.name}" if self.callback_url else "")
            configs.append((account.name, dataclasses.replace(
                self, accounts=(), appid=account.appid, secret=account.secret,
                account_type=account.account_type, token=account.token or self.token,
                aes_key=account.aes_key or self.aes_key, callback_url=callback)))
        return configs

    def validate(self) -> None:
        """Raise SandboxConfigError naming the first invalid option."""
        if not self.host or any(c.isspace() for c in self.host):
            raise SandboxConfigError(f"--host 无效：“{self.host}”不是主机名或 IP 地址")
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise SandboxConfigError(f"--port 无效：{self.port!r}，端口须在 0–65535 之间（0 表示自动分配）")
        if not _APPID_RE.match(self.appid or ""):
            raise SandboxConfigError(
                f"--appid 无效：“{self.appid}”，须以 wx 开头，后跟 6–30 个字母或数字")
        if not self.secret or len(self.secret) < 4 or any(c.isspace() for c in self.secret):
            raise SandboxConfigError("--secret 无效：至少 4 个字符，且不能含空白")
        if not _TOKEN_RE.match(self.token or ""):
            raise SandboxConfigError(
                f"--token 无效：“{self.token}”，须为 3–32 个英文字母或数字（与公众平台规则一致）")
        if not _AES_KEY_RE.match(self.aes_key or ""):
            raise SandboxConfigError(
                f"--aes-key 无效：EncodingAESKey 须恰好 43 个字母或数字，当前 {len(self.aes_key or '')} 个")
        for host in self.callback_hosts:
            if not isinstance(host, str) or not re.match(r"^[A-Za-z0-9.:\[\]_-]{1,253}$", host):
                raise SandboxConfigError(f"--allow-callback-host 无效：“{host}”不是主机名或 IP 地址")
        if self.callback_url:
            problem = callback_url_problem(self.callback_url, self.allowed_callback_hosts)
            if problem:
                raise SandboxConfigError(
                    f"--callback-url 无效：“{self.callback_url}”，{problem}；留空表示不推送事件")
        if self.account_type not in ACCOUNT_TYPES:
            raise SandboxConfigError(
                f"--account-type 无效：“{self.account_type}”，只能是 subscription（订阅号/公众号）或 service（服务号）")
        if not _is_number(self.publish_delay) or self.publish_delay < 0:
            raise SandboxConfigError(f"--publish-delay 无效：{self.publish_delay!r}，须为不小于 0 的秒数")
        if not _is_number(self.fault_rate) or not 0.0 <= self.fault_rate <= 1.0:
            raise SandboxConfigError(f"--fault-rate 无效：{self.fault_rate!r}，须在 0 到 1 之间")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise SandboxConfigError(f"--seed 无效：{self.seed!r}，须为整数")
        if not _is_number(self.slow_seconds) or self.slow_seconds < 0:
            raise SandboxConfigError(f"--slow-seconds 无效：{self.slow_seconds!r}，须为不小于 0 的秒数")
        if not isinstance(self.title_limit, int) or self.title_limit < 1:
            raise SandboxConfigError(f"title_limit 无效：{self.title_limit!r}，须为正整数")
        for name in self.followers:
            if not isinstance(name, str) or not WXNAME_RE.match(name):
                raise SandboxConfigError(f"followers 无效：“{name}”不是微信号（6–20 个字符，字母开头，"
                                         "只含字母、数字、_ 或 -）")
        if not isinstance(self.preview_limit, int) or isinstance(self.preview_limit, bool) \
                or self.preview_limit < 0:
            raise SandboxConfigError(f"preview_limit 无效：{self.preview_limit!r}，须为不小于 0 的整数")
        if self.accounts:
            try:
                check_accounts(self.accounts, self.allowed_callback_hosts, callback_url_problem)
            except AccountError as exc:
                raise SandboxConfigError(str(exc)) from None
        n = self.comments_per_article
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
            raise SandboxConfigError(f"--comments-per-article 无效：{n!r}，须为不小于 0 的整数"
                                     "（0 表示不生成读者留言；不填则每篇 2–6 条）")

    @property
    def allowed_callback_hosts(self) -> tuple[str, ...]:
        """Hosts besides loopback that may receive event pushes: ``--allow-callback-host`` values
        and the sandbox's own ``--host`` (the operator chose to serve there)."""
        return self.callback_hosts + (self.host,)

    @property
    def masked_token(self) -> str:
        """The Token as shown in ``GET /sandbox`` and the banner (``abcd****``)."""
        return mask(self.token)

    @property
    def masked_aes_key(self) -> str:
        """The EncodingAESKey as shown in ``GET /sandbox`` and the banner (``abcd****``)."""
        return mask(self.aes_key)

    @property
    def masked_secret(self) -> str:
        """The secret with everything but its last 4 characters hidden."""
        return "*" * max(len(self.secret) - 4, 0) + self.secret[-4:]


_MINUTE_PATH_RE = re.compile(r"^/(cgi-bin|datacube)/[A-Za-z0-9_/.-]+$")


def _minute_limit_problem(item: object) -> str:
    return (f"--minute-limit 无效：“{item}”，须为“接口路径=每分钟次数”（不小于 0 的整数），"
            "接口路径以 /cgi-bin/ 或 /datacube/ 开头，如 /cgi-bin/freepublish/submit=10")


def parse_minute_limits(items: Any) -> tuple[tuple[str, int], ...]:
    """``--minute-limit`` values (``"PATH=N"`` strings, ``(path, n)`` pairs or a dict) as ``(path, n)``
    pairs, one per path (the last given wins); SandboxConfigError naming the option and value."""
    pairs = list(items.items()) if isinstance(items, dict) else list(items or ())
    limits: dict[str, int] = {}
    for item in pairs:
        if isinstance(item, str):
            path, sep, count = item.strip().rpartition("=")
            count = count.strip()
            if not sep or not re.fullmatch(r"\d+", count):
                raise SandboxConfigError(_minute_limit_problem(item))
            path, count = path.strip(), int(count)
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            path, count = item
        else:
            raise SandboxConfigError(_minute_limit_problem(item))
        if not isinstance(path, str) or not _MINUTE_PATH_RE.match(path) or isinstance(count, bool) \
                or not isinstance(count, int) or count < 0:
            shown = item if isinstance(item, str) else f"{path}={count}"
            raise SandboxConfigError(_minute_limit_problem(shown))
        limits.pop(path, None)
        limits[path] = count
    return tuple(limits.items())


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
