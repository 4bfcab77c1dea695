"""The admin's use cases on official accounts: register, rotate the AppSecret, disable / enable,
and limit a staff member to some accounts. One transaction each, audited; secrets never in the
audit trail (only which fields changed)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wxpub.accounts import credentials, registry
from wxpub.core.errors import Conflict, NotFound, ValidationError
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import Account, AuditEntry, User, UserAccount

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
APPID_RE = re.compile(r"^wx[0-9A-Za-z]{16}$")          # the real platform's AppIDs
SANDBOX_APPID_RE = re.compile(r"^wx[0-9A-Za-z]{6,30}$")  # the sandbox accepts a wider shape
TOKEN_RE = re.compile(r"^[A-Za-z0-9]{3,32}$")
AES_KEY_RE = re.compile(r"^[A-Za-z0-9]{43}$")
TYPES = ("subscription", "service")


def _audit(session: Session, action: str, account: Account, *, actor: str, now: datetime,
           address: str | None = None, **detail) -> None:
    if address:
        detail["address"] = address
    session.add(AuditEntry(at=now, actor=actor[:100], action=action, object_type="wechat_account",
                           object_id=account.code, detail={"name": account.name, **detail}))


def _check_secret(secret: str, settings) -> str:
    value = (secret or "").strip()
    strict = settings.is_production
    if len(value) < (32 if strict else 4) or any(ch.isspace() for ch in value):
        raise ValidationError("AppSecret 格式不对：应为 32 位字母或数字（在公众号后台“设置与开发 → 基本配置”查看）"
                              if strict else "AppSecret 格式不对：至少 4 个字符，且不能含空白")
    return value


def _check_token_and_key(token: str, aes_key: str) -> None:
    if token and not TOKEN_RE.match(token):
        raise ValidationError("Token 格式不对：应为 3–32 位英文字母或数字（与公众号后台“服务器配置”一致）")
    if aes_key and not AES_KEY_RE.match(aes_key):
        raise ValidationError("EncodingAESKey 格式不对：应恰好 43 位英文字母或数字")


def add(session: Session, settings, *, name: str, code: str, appid: str, account_type: str,
        appsecret: str, token: str = "", encoding_aes_key: str = "", actor: str, now: datetime,
        address: str | None = None) -> Account:
    """Register an account; its secrets are stored encrypted and never shown again."""
    def work():
        label, short, app = (name or "").strip(), (code or "").strip(), (appid or "").strip()
        if not 1 <= len(label) <= 100:
            raise ValidationError("请填写公众号名称（1–100 个字），如“新政服”")
        if not CODE_RE.match(short):
            raise ValidationError(f"代号“{short}”无效：应为 1–32 个英文字母、数字、_ 或 -（会成为事件推送地址的最后一段）")
        if not (APPID_RE if settings.is_production else SANDBOX_APPID_RE).match(app):
            raise ValidationError(f"AppID“{app}”格式不对：应为 wx 开头的 18 位 AppID")
        if account_type not in TYPES:
            raise ValidationError(f"类型只能是 subscription（订阅号）或 service（服务号），而不是 {account_type!r}")
        secret = _check_secret(appsecret, settings)
        tok, aes = (token or "").strip(), (encoding_aes_key or "").strip()
        _check_token_and_key(tok, aes)
        for column, value, what in ((Account.name, label, "名称"), (Account.code, short, "代号"),
                                    (Account.appid, app, "AppID")):
            if session.scalar(select(Account.id).where(column == value)) is not None:
                raise Conflict(f"已有公众号使用{what}“{value}”")
        sealed = credentials.box(settings)
        account = Account(name=label, code=short, appid=app, account_type=account_type,
                          credentials_source="db", secret_encrypted=sealed.encrypt(secret),
                          token_encrypted=sealed.encrypt(tok) if tok else None,
                          aes_key_encrypted=sealed.encrypt(aes) if aes else None,
                          created_at=now, updated_at=now, secret_rotated_at=now)
        session.add(account)
        session.flush()
        _audit(session, "wechat_account.add", account, actor=actor, now=now, address=address,
               appid=app, account_type=account_type, token=bool(tok), encoding_aes_key=bool(aes))
        return account
    return commit_or_roll_back(session, work)


def rotate_secret(session: Session, settings, key: str, *, appsecret: str, token: str | None = None,
                  encoding_aes_key: str | None = None, actor: str, now: datetime,
                  address: str | None = None) -> Account:
    """Replace the AppSecret (and, when given, the Token / EncodingAESKey). The next WeChat call
    fetches a new access token with it; an environment account keeps its secrets here from now on."""
    def work():
        account = registry.find(session, key)
        secret = _check_secret(appsecret, settings)
        tok = None if token is None else token.strip()
        aes = None if encoding_aes_key is None else encoding_aes_key.strip()
        _check_token_and_key(tok or "", aes or "")
        sealed = credentials.box(settings)
        if account.credentials_source == "env":
            # The Token and key the environment held move here too, unless new ones were given.
            current = credentials.of(account, settings)
            tok = current.token if not tok else tok
            aes = current.encoding_aes_key if not aes else aes
        account.secret_encrypted = sealed.encrypt(secret)
        if tok:
            account.token_encrypted = sealed.encrypt(tok)
        if aes:
            account.aes_key_encrypted = sealed.encrypt(aes)
        changed = ["appsecret"] + (["token"] if tok else []) + (["encoding_aes_key"] if aes else [])
        moved = account.credentials_source == "env"
        account.credentials_source = "db"
        account.secret_rotated_at = account.updated_at = now
        _audit(session, "wechat_account.rotate_secret", account, actor=actor, now=now,
               address=address, changed=changed, from_env=moved)
        return account
    return commit_or_roll_back(session, work)


def disable(session: Session, key: str, *, actor: str, now: datetime,
            address: str | None = None) -> Account:
    """Stop publishing on an account: its releases are held instead of sent, it is not pulled."""
    def work():
        account = registry.find(session, key)
        if account.disabled_at is not None:
            raise Conflict(f"公众号“{account.name}”已经停用了")
        account.disabled_at, account.disabled_by, account.updated_at = now, actor[:100], now
        _audit(session, "wechat_account.disable", account, actor=actor, now=now, address=address)
        return account
    return commit_or_roll_back(session, work)


def enable(session: Session, key: str, *, actor: str, now: datetime,
           address: str | None = None) -> Account:
    """Publish on a disabled account again."""
    def work():
        account = registry.find(session, key)
        if account.disabled_at is None:
            raise Conflict(f"公众号“{account.name}”没有停用")
        account.disabled_at = account.disabled_by = None
        account.updated_at = now
        _audit(session, "wechat_account.enable", account, actor=actor, now=now, address=address)
        return account
    return commit_or_roll_back(session, work)


def limited_to(session: Session, user_id: int) -> list[Account]:
    """The accounts a staff member is limited to (empty: every account)."""
    return list(session.scalars(select(Account).join(UserAccount, UserAccount.account_id == Account.id)
                                .where(UserAccount.user_id == user_id).order_by(Account.id)))


def set_user_accounts(session: Session, username: str, keys: list[str], *, actor: str,
                      now: datetime, address: str | None = None) -> list[Account]:
    """Limit ``username`` to the accounts ``keys`` (codes, names or AppIDs); an empty list lifts
    the limit (the user sees every account)."""
    def work():
        user = session.scalar(select(User).where(User.username == (username or "").strip()))
        if user is None:
            raise NotFound(f"没有用户名为“{username}”的账号")
        chosen, seen = [], set()
        for key in keys:
            account = registry.find(session, key)
            if account.id not in seen:
                chosen.append(account)
                seen.add(account.id)
        session.execute(delete(UserAccount).where(UserAccount.user_id == user.id))
        session.add_all(UserAccount(user_id=user.id, account_id=a.id) for a in chosen)
        session.add(AuditEntry(at=now, actor=actor[:100], action="user.accounts", object_type="user",
                               object_id=user.username, detail={
                                   "accounts": [a.code for a in chosen],
                                   **({"address": address} if address else {})}))
        return chosen
    return commit_or_roll_back(session, work)
