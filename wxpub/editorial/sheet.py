"""The 信息发布审核表 of one message version: every field as it is printed, built from the version,
its chain and its release; frozen (``ReviewSheet``) by the sign-off that completes the chain, and
never changed after that. Before then, ``build`` gives the sheet as it stands (marked 未完成).

``view`` turns the data into the printed form's rows: the web page (``wxpub.web.review_sheet``) and
the Word file (``wxpub.editorial.sheet_docx``) both print exactly those rows, so they never differ.
``draft_credits`` gives the reviewers' credits line a theme with ``credits: true`` appends to the
articles sent to WeChat (from the archived sheet, so it is the same on every retry).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict
from wxpub.core.release_states import mode_name
from wxpub.core.render.credits import credit_parts, credits_html, credits_text
from wxpub.core.render.themes import ThemeError, get_theme
from wxpub.core.review_policy import DECISION_NAMES, Policy
from wxpub.editorial import chain
from wxpub.editorial.history import cases_of
from wxpub.models import (Account, AuditEntry, AuditHead, Chapter, Message, MessageVersion, Release,
                          ReviewSheet, User)
from wxpub.staff.users import role_name

FORM = "信息发布审核表"
OFFICE = "滨海新区"
DEFAULT_SOURCE = "滨海新区营商环境办"
DRAFT_MARK = "审核未完成（草稿，不可作为存档）"
NO_PERSONAL_DATA = "未发现身份证号、手机号、银行卡号等个人信息"
SHOWN_FINDINGS = 5
PROOF_RULES = ("punct.", "proofread.", "lexicon.")


def _at(value: datetime | None, tz) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def _day(value: datetime | None, tz) -> str:
    if value is None:
        return ""
    local = value.astimezone(tz)
    return f"{local.year}年{local.month}月{local.day}日"


def release_of(session: Session, message: Message) -> Release | None:
    """The release the version is for: the next one still to go out, else the latest."""
    rows = list(session.scalars(select(Release).where(Release.message_id == message.id)
                                .order_by(Release.scheduled_at)))
    waiting = [r for r in rows if r.state not in ("published", "canceled", "manual")]
    return (waiting or rows[-1:] or [None])[0]


def _units(session: Session, version: MessageVersion) -> list[str]:
    units: list[str] = []
    for ref in cases_of(session, [version]).get(version.id, {}).values():
        unit = ((ref.content or {}).get("unit") or "").strip()
        if unit and unit not in units:
            units.append(unit)
    return units


def _drafted_by(session: Session, message: Message, version: MessageVersion) -> str:
    """Who composed the version (the actor of its ``message.version`` audit row), by name."""
    entries = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "message.version", AuditEntry.object_id == str(message.id))
        .order_by(AuditEntry.id.desc()))
    actor = next((e.actor for e in entries if (e.detail or {}).get("sha256") == version.sha256), "")
    user = session.scalar(select(User).where(User.username == actor)) if actor else None
    return (user.display_name or user.username) if user is not None else actor


def _finding(f: dict) -> dict:
    return {"place": f.get("location") or "", "text": f.get("text") or "",
            "message": f.get("message") or "", "blocking": f.get("severity") == "blocking"}


def _stage(stage, state, row, tz) -> dict:
    mark = state.latest.get(stage.name)
    return {"stage": stage.name, "duty": stage.duty, "roles": [role_name(r) for r in stage.roles],
            "decision": DECISION_NAMES.get(mark.decision, "") if mark else "",
            "comment": mark.comment if mark else "",
            "by": mark.username if mark else "", "name": mark.display_name if mark else "",
            "at": _at(mark.at, tz) if mark else "", "date": _day(mark.at, tz) if mark else "",
            "details": dict(row.details or {}) if row is not None else {}}


def build(session: Session, message: Message, version: MessageVersion, *, policy: Policy, tz) -> dict:
    """The sheet's fields (plain JSON) for ``version`` as things stand now."""
    chapter = session.get(Chapter, message.chapter_id)
    settings = chapter.settings or {}
    release = release_of(session, message)
    account = session.get(Account, release.account_id) if release else None
    rows = chain.signoffs(session, version.id)
    state = chain.state(session, version.id, policy)
    latest = {r.stage: r for r in rows}  # oldest first: the newest row of each stage wins
    stages = [_stage(s, state, latest.get(s.name), tz) for s in policy.stages]
    secrecy = next((s for s in stages if s["stage"] == policy.secrecy_stage), {})
    findings = list(version.findings or [])
    personal = [_finding(f) for f in findings if str(f.get("rule", "")).startswith("personal.")]
    proof = [_finding(f) for f in findings if str(f.get("rule", "")).startswith(PROOF_RULES)]
    head = session.get(AuditHead, 1)
    details = secrecy.get("details") or {}
    data = {
        "form": FORM, "office": OFFICE, "message_id": message.id,
        "release_id": release.id if release else None,
        "units": _units(session, version),
        "column": " · ".join(p for p in (chapter.series.name if chapter.series else "", chapter.name) if p),
        "drafted_by": _drafted_by(session, message, version),
        "submitted_at": _at(version.created_at, tz),
        "titles": [a.title for a in version.articles],
        "digests": [a.digest for a in version.articles],
        "source": {"kind": settings.get("source_kind") or "原创",
                   "origin": settings.get("source") or DEFAULT_SOURCE},
        "account": account.name if account else "",
        "planned_at": _at(release.scheduled_at, tz) if release else "",
        "mode": mode_name(release.mode) if release else "",
        "secrecy_stage": policy.secrecy_stage,
        "secret": bool(details["secret"]) if "secret" in details else None,
        "secrecy_opinion": details.get("secrecy_opinion", ""),
        "secrecy_by": secrecy.get("name", "") if details else "",
        "personal_data": NO_PERSONAL_DATA if not personal else
        f"发现 {len(personal)} 处个人信息：" + "；".join(
            f"{p['place']} {p['text']}".strip() for p in personal[:SHOWN_FINDINGS])
        + ("等" if len(personal) > SHOWN_FINDINGS else ""),
        "personal_items": personal[:SHOWN_FINDINGS],
        "proofreading": {"rounds": [{"round": m.round, "by": m.username, "name": m.display_name,
                                     "at": _at(m.at, tz), "comment": m.comment}
                                    for m in state.proofreads],
                         "required": policy.proofread_rounds, "done": len(state.proofreads),
                         "findings": len(proof), "items": proof[:SHOWN_FINDINGS]},
        "stages": stages,
        "complete": state.complete,
        "missing": state.missing(),
        "version": version.version,
        "version_hash": version.sha256,
        "policy": policy.describe(role_name),
        "audit_head": head.row_hash if head else "",
        "audit_seq": head.seq if head else 0,
    }
    # The credits line the version's theme appends (archived with the sheet: the draft uses it).
    theme = _theme_of(version)
    data["credits"] = credits_text(_parts(data, theme.credits_proofreading, pending=True)) \
        if theme is not None and theme.credits else ""
    return data


def digest(data: dict) -> str:
    """The canonical SHA-256 of a sheet's data."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def freeze(session: Session, message: Message, version: MessageVersion, *, policy: Policy,
           now: datetime, tz) -> ReviewSheet:
    """Archive the complete sheet of ``version`` (once; flushes, the sign-off commits). The
    操作日志链头 is the audit chain's head as the completing sign-off found it."""
    existing = frozen(session, version.id)
    if existing is not None:
        return existing
    data = build(session, message, version, policy=policy, tz=tz)
    data["frozen_at"] = _at(now, tz)
    release = release_of(session, message)
    row = ReviewSheet(message_version_id=version.id, release_id=release.id if release else None,
                      data=data, sha256=digest(data), created_at=now)
    session.add(row)
    session.flush()
    return row


def frozen(session: Session, version_id: int) -> ReviewSheet | None:
    """The archived sheet of a version, if its chain completed."""
    return session.scalar(select(ReviewSheet).where(ReviewSheet.message_version_id == version_id))


# --- the printed form ------------------------------------------------------------------------

def _source(data: dict) -> str:
    source = data.get("source") or {}
    kind, origin = source.get("kind") or "原创", source.get("origin") or ""
    return f"{kind}（{origin}）" if origin else kind


def _secret(data: dict) -> str:
    secret = data.get("secret")
    if secret is None:
        return f"待{data.get('secrecy_stage') or '保密'}审查"
    return "是（涉密，不得发布）" if secret else "否"


def _numbered(items: list[str], empty: str = "—") -> list[str]:
    items = [i for i in items if i]
    if len(items) <= 1:
        return items or [empty]
    return [f"{n}. {text}" for n, text in enumerate(items, 1)]


def _proofreading(data: dict) -> list[str]:
    proof = data.get("proofreading") or {}
    rounds, required = proof.get("rounds") or [], proof.get("required", 0)
    lines = [f"已校对 {len(rounds)} 轮（本单位要求 {required} 轮）" if required or rounds
             else "本单位流程不要求校对轮次"]
    lines += [f"第 {r.get('round')} 轮：{r.get('name') or r.get('by')}　{r.get('at')}"
              + (f"　{r['comment']}" if r.get("comment") else "") for r in rounds]
    count, items = proof.get("findings", 0), proof.get("items") or []
    if not count:
        lines.append("自动校对检查：未发现错别字、标点等问题")
    else:
        lines.append(f"自动校对检查提示 {count} 条" + ("（前 " + str(len(items)) + " 条）" if count > len(items)
                                                    else "") + "：")
        lines += [f"{i['place']}：{i['message']}" for i in items]
    return lines


def view(data: dict, archive: ReviewSheet | None = None) -> dict:
    """The form's rows from the sheet's data: ``info`` (each row one or two (label, lines)
    pairs), ``stages`` (one signature block each), ``record`` ((label, lines, monospace))."""
    info = [
        [("报送单位", ["、".join(data.get("units") or []) or "—"])],
        [("拟稿人", [data.get("drafted_by") or "—"]), ("报送时间", [data.get("submitted_at") or "—"])],
        [("发布栏目", [data.get("column") or "—"])],
        [("标题", _numbered(data.get("titles") or []))],
        [("内容摘要", _numbered(data.get("digests") or []))],
        [("信息来源", [_source(data)]), ("发布账号", [data.get("account") or "—"])],
        [("拟发布时间", [data.get("planned_at") or "—"]), ("发布方式", [data.get("mode") or "—"])],
        *([[("文末署名", [data["credits"]])]] if data.get("credits") else []),
        [("是否涉密", [_secret(data)]),
         ("保密审查人", [data.get("secrecy_by") or f"（{data.get('secrecy_stage', '')}签署时填写）"])],
        [("保密审查意见", [data.get("secrecy_opinion") or "—"])],
        [("个人信息检查", [data.get("personal_data") or "—"])],
        [("校对情况", _proofreading(data))],
    ]
    stages = [{"label": f"{s['stage']}意见", "stage": s["stage"], "duty": s.get("duty", ""),
               "roles": "、".join(s.get("roles") or []),
               "comment": (s.get("comment") or "").splitlines() or ["—"],
               "decision": s.get("decision") or "", "name": s.get("name") or "",
               "date": s.get("date") or s.get("at", "")[:10], "at": s.get("at", ""),
               "pending": not s.get("decision")} for s in data.get("stages") or []]
    record = [("审核流程", [data.get("policy") or ""], False),
              ("版本", [f"v{data.get('version')}（消息 {data.get('message_id', '')}）",
                        f"内容哈希 SHA-256：{data.get('version_hash', '')}"], True),
              ("操作日志链头", [f"第 {data.get('audit_seq', 0)} 条，哈希：{data.get('audit_head') or '（空）'}"],
               True)]
    if archive is not None:
        record.append(("存档", [f"存档编号 {archive.id}　存档时间 {data.get('frozen_at', '')}",
                              f"存档哈希 SHA-256：{archive.sha256}"], True))
    else:
        missing = "、".join(data.get("missing") or [])
        record.append(("存档", [DRAFT_MARK + (f"：还缺 {missing}" if missing else "")], False))
    return {"form": data.get("form") or FORM, "office": data.get("office") or OFFICE,
            "draft": archive is None, "draft_mark": DRAFT_MARK, "info": info, "stages": stages,
            "record": record, "archive_id": archive.id if archive is not None else None,
            "archive_sha256": archive.sha256 if archive is not None else "",
            "frozen_at": data.get("frozen_at", ""), "version": data.get("version"),
            "titles": data.get("titles") or []}


# --- the credits line at the end of the published article -----------------------------------

def _theme_of(version: MessageVersion):
    try:
        return get_theme(version.message.theme)
    except ThemeError:
        return None  # a theme no longer installed: its articles carry no credits


def _parts(data: dict, proofreading: bool, pending: bool = False) -> list:
    stages = [(s["stage"], s.get("name") or (f"（待{s['stage']}）" if pending else ""))
              for s in data.get("stages") or []]
    readers = [r.get("name") or r.get("by") for r in (data.get("proofreading") or {}).get("rounds") or []] \
        if proofreading else []
    return credit_parts(stages, readers)


def _archived_credits(row: ReviewSheet, theme) -> str:
    """The credits text of an archived sheet (a sheet archived before the line was recorded:
    from its signers, under the theme's rule)."""
    if "credits" in row.data:
        return row.data["credits"] or ""
    return credits_text(_parts(row.data, theme.credits_proofreading)) if theme and theme.credits else ""


def credits_line(session: Session, version: MessageVersion, policy: Policy) -> str | None:
    """The credits text appended to the version's articles ("编辑：王编辑　审核：李科长　终审：张主任"),
    None when there is none. Once the chain is complete, the one archived with the 审核表; before
    that, from the chain as it stands, with "（待复审）" where a stage is still unsigned (for the
    composer's and the review page's preview)."""
    row = frozen(session, version.id)
    theme = _theme_of(version)
    if row is not None:
        return _archived_credits(row, theme) or None
    if theme is None or not theme.credits:
        return None
    return build(session, version.message, version, policy=policy, tz=timezone.utc)["credits"] or None


def credits_preview_html(session: Session, version: MessageVersion, policy: Policy) -> str | None:
    """``credits_line`` as the WeChat-safe paragraph that will end each article (for a preview)."""
    text = credits_line(session, version, policy)
    return credits_html(text, _css(version)) if text else None


def _css(version: MessageVersion) -> str:
    theme = _theme_of(version) or get_theme()
    return theme.css


def draft_credits(session: Session, version: MessageVersion) -> str:
    """The credits paragraph the draft of ``version`` ends with ("" when it has none): the line
    archived with its 审核表, so every retry sends the same HTML. ``Conflict`` when the theme wants
    credits and the chain has not completed (the draft is not built then)."""
    row = frozen(session, version.id)
    theme = _theme_of(version)
    if row is None:
        if theme is not None and theme.credits:
            raise Conflict(f"v{version.version} 的审核未完成（没有存档的审核表），无法生成文末署名",
                           code="review_incomplete")
        return ""
    text = _archived_credits(row, theme)
    return credits_html(text, _css(version)) if text else ""
