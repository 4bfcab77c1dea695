"""Settings of the WeChat API emulator, validated with staff-readable (Chinese) messages."""
from __future__ import annotations

import re
from dataclasses import dataclass

ACCOUNT_TYPES = ("subscription", "service")
_AES_KEY_RE = re.compile(r"^[A-Za-z0-9]{43}$")
_APPID_RE = re.compile(r"^wx[A-Za-z0-9]{6,30}$")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9]{3,32}$")


class SandboxConfigError(ValueError):
    """A sandbox setting is invalid; the message (Chinese) names the option."""


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

    def __post_init__(self) -> None:
        self.validate()

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
        if self.callback_url and not re.match(r"^https?://[^\s/]+", self.callback_url):
            raise SandboxConfigError(
                f"--callback-url 无效：“{self.callback_url}”，须以 http:// 或 https:// 开头，留空表示不推送事件")
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

    @property
    def masked_secret(self) -> str:
        """The secret with everything but its last 4 characters hidden."""
        return "*" * max(len(self.secret) - 4, 0) + self.secret[-4:]


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
