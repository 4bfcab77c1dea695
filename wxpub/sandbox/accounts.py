"""Several official accounts in one sandbox: ``--account NAME:APPID:SECRET[:TYPE]`` and ``--accounts FILE``.

Parsing and validation only (no Flask); messages are Chinese and name the option, the value and,
for a file, the line. With no account given the sandbox emulates exactly one account built from
``--appid`` / ``--secret`` / ``--token`` / ``--aes-key`` / ``--account-type`` / ``--callback-url``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

#: Field shapes shared with config.py (which imports them from here: no import cycle).
AES_KEY_RE = re.compile(r"^[A-Za-z0-9]{43}$")
APPID_RE = re.compile(r"^wx[A-Za-z0-9]{6,30}$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9]{3,32}$")
#: An account's short name: it becomes the last segment of its default callback URL.
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
FILE_KEYS = ("name", "appid", "secret", "type", "token", "aes_key", "callback_url")
_TYPES = ("subscription", "service")


class AccountError(ValueError):
    """An account definition is invalid; the message (Chinese) names the option and the value."""


@dataclass(frozen=True)
class SandboxAccount:
    """One emulated official account. Empty ``token`` / ``aes_key`` take the sandbox-wide
    ``--token`` / ``--aes-key``; an empty ``callback_url`` becomes ``--callback-url`` + ``/<name>``."""

    name: str
    appid: str
    secret: str
    account_type: str = "subscription"
    token: str = ""
    aes_key: str = ""
    callback_url: str = ""


def parse_account_option(text: str) -> SandboxAccount:
    """``NAME:APPID:SECRET[:TYPE]`` → SandboxAccount (fields checked later by ``check_accounts``)."""
    parts = str(text).split(":")
    if len(parts) not in (3, 4) or not all(p.strip() for p in parts):
        raise AccountError(f"--account 无效：“{text}”，格式须为 名称:AppID:AppSecret[:类型]"
                           "（类型为 subscription 或 service，如 news:wx1234567890abcdef:mysecret1234:service）")
    name, appid, secret = (p.strip() for p in parts[:3])
    return SandboxAccount(name=name, appid=appid, secret=secret,
                          account_type=parts[3].strip() if len(parts) == 4 else "subscription")


def load_accounts_file(path: str | Path) -> tuple[SandboxAccount, ...]:
    """Read a YAML or JSON list of ``{name, appid, secret, type, token, aes_key, callback_url}``."""
    where = f"--accounts {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AccountError(f"{where}：无法读取文件（{exc.__class__.__name__}），须为 UTF-8 文本") from exc
    items, lines = _parse(text, where)
    if not isinstance(items, list) or not items:
        raise AccountError(f"{where}：文件须为非空的账号列表（每项含 name、appid、secret 等）")
    accounts = []
    for number, (item, line) in enumerate(zip(items, lines), start=1):
        place = f"{where} 第 {line} 行（第 {number} 个账号）" if line else f"{where} 第 {number} 个账号"
        if not isinstance(item, dict):
            raise AccountError(f"{place}：须为含 name、appid、secret 的对象")
        unknown = sorted(set(map(str, item)) - set(FILE_KEYS))
        if unknown:
            raise AccountError(f"{place}：不认识的字段 {'、'.join(unknown)}；可用字段：{'、'.join(FILE_KEYS)}")
        for key in FILE_KEYS:
            if key in item and not isinstance(item[key], str):
                raise AccountError(f"{place}：{key} 须为文字，收到 {item[key]!r}")
        missing = [k for k in ("name", "appid", "secret") if not str(item.get(k) or "").strip()]
        if missing:
            raise AccountError(f"{place}：缺少 {'、'.join(missing)}")
        account = SandboxAccount(
            name=item["name"].strip(), appid=item["appid"].strip(), secret=item["secret"].strip(),
            account_type=(item.get("type") or "subscription").strip(), token=(item.get("token") or "").strip(),
            aes_key=(item.get("aes_key") or "").strip(), callback_url=(item.get("callback_url") or "").strip())
        check_account(account, place)
        accounts.append(account)
    return tuple(accounts)


def _parse(text: str, where: str) -> tuple[Any, list[int | None]]:
    """The data and, per list item, its 1-based line (YAML gives lines; JSON is YAML too)."""
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"第 {mark.line + 1} 行" if mark is not None else ""
        raise AccountError(f"{where}：{line}不是合法的 YAML/JSON（{getattr(exc, 'problem', None) or exc}）") from None
    if isinstance(node, yaml.SequenceNode):
        return data, [item.start_mark.line + 1 for item in node.value]
    return data, []  # not a list: the caller reports it


def check_account(account: SandboxAccount, where: str) -> None:
    """Raise AccountError naming ``where`` when a field of ``account`` is invalid."""
    if not NAME_RE.match(account.name or ""):
        raise AccountError(f"{where}：名称“{account.name}”无效，须为 1–32 个英文字母、数字、_ 或 -"
                           "（名称会成为事件推送地址的最后一段）")
    if not APPID_RE.match(account.appid or ""):
        raise AccountError(f"{where}：AppID“{account.appid}”无效，须以 wx 开头，后跟 6–30 个字母或数字")
    if len(account.secret or "") < 4 or any(c.isspace() for c in account.secret):
        raise AccountError(f"{where}：账号 {account.name} 的 AppSecret 无效，至少 4 个字符，且不能含空白")
    if account.account_type not in _TYPES:
        raise AccountError(f"{where}：账号 {account.name} 的类型“{account.account_type}”无效，"
                           "只能是 subscription（订阅号/公众号）或 service（服务号）")
    if account.token and not TOKEN_RE.match(account.token):
        raise AccountError(f"{where}：账号 {account.name} 的 token 无效，须为 3–32 个英文字母或数字")
    if account.aes_key and not AES_KEY_RE.match(account.aes_key):
        raise AccountError(f"{where}：账号 {account.name} 的 aes_key 无效，EncodingAESKey 须恰好 43 个字母或数字")


def check_accounts(accounts: tuple[SandboxAccount, ...], allowed_hosts: tuple[str, ...],
                   callback_url_problem: Callable[[str, tuple[str, ...]], str | None]) -> None:
    """Each account valid, names and AppIDs unique, own callback URLs allowed by
    ``callback_url_problem`` (config.py's push rule)."""
    names: set[str] = set()
    appids: set[str] = set()
    for account in accounts:
        where = f"--account {account.name}:{account.appid}:…"
        check_account(account, where)
        if account.name.lower() in names:
            raise AccountError(f"{where}：名称 {account.name} 重复，每个账号须有不同的名称")
        if account.appid in appids:
            raise AccountError(f"{where}：AppID {account.appid} 重复，每个账号须有不同的 AppID")
        names.add(account.name.lower())
        appids.add(account.appid)
        if account.callback_url:
            problem = callback_url_problem(account.callback_url, allowed_hosts)
            if problem:
                raise AccountError(f"{where}：账号 {account.name} 的 callback_url“{account.callback_url}”无效，"
                                   f"{problem}")


def as_account(value: Any) -> SandboxAccount:
    """A SandboxAccount from itself, a dict in the file format, or an ``--account`` string."""
    if isinstance(value, SandboxAccount):
        return value
    if isinstance(value, str):
        return parse_account_option(value)
    if isinstance(value, dict):
        return SandboxAccount(name=value.get("name", ""), appid=value.get("appid", ""),
                              secret=value.get("secret", ""),
                              account_type=value.get("type") or value.get("account_type") or "subscription",
                              token=value.get("token", ""), aes_key=value.get("aes_key", ""),
                              callback_url=value.get("callback_url", ""))
    raise AccountError(f"accounts 无效：{value!r} 不是账号定义")
