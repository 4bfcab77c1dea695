"""Reading the audit trail: the filtered listing (newest first, a page at a time), what each row
means in Chinese (``ACTION_NAMES``, ``describe``), where its object can be seen (``object_href``),
the table that the page, the CSV/XLSX files and ``wxpub audit export`` share, and a quick check of
the chain for the page's header (the full walk is ``wxpub.infra.audit_chain.verify``).

Filters: ``actor`` (exact username or account), ``action`` (exact, e.g. ``review.approve``),
``object_type`` and ``object_id`` (exact), ``since`` / ``until`` (dates in the office's timezone,
both days included). Rows are ordered by their place in the chain (``seq``), newest first; a row
without a ``seq`` (not written through the system) comes first, as it needs looking at.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wxpub.core.errors import ValidationError
from wxpub.infra.audit_chain import Verdict, row_digest
from wxpub.infra.clock import SHANGHAI, local
from wxpub.models import AuditEntry, AuditHead, User
from wxpub.staff.users import ROLE_NAMES
from wxpub.stats.exports import Column, Table

ACTION_NAMES = {
    "import": "导入案例", "import.upload": "确认上传导入",
    "case.edit": "修改案例", "case.revert": "恢复案例旧版本", "case.fix_punctuation": "统一全角标点",
    "case.selected": "案例入选", "case.rejected": "案例淘汰", "case.pending": "案例恢复待定",
    "case.bulk_selected": "批量入选", "case.bulk_rejected": "批量淘汰", "case.bulk_pending": "批量恢复待定",
    "case.score": "评分", "case.scores": "批量评分", "case.move": "调整案例顺序",
    "chapter.arrange": "拖动排序案例", "chapter.reorder": "案例排序",
    "series.create": "新建系列", "series.update": "修改系列", "series.cover": "设置系列封面",
    "chapter.create": "新建篇章", "chapter.update": "修改篇章", "chapter.move": "调整篇章顺序",
    "chapter.settings": "保存排版设置", "message.version": "生成推送",
    "review.approve": "审核通过", "review.reject": "审核退回",
    "plan.apply": "应用发布计划", "release.cancel": "取消发布", "release.retry": "重试发布",
    "user.login": "登录", "user.login_failed": "登录失败", "user.logout": "退出登录",
    "login.lockout": "登录锁定", "user.change_password": "修改本人密码",
    "user.create": "新建账号", "user.disable": "停用账号", "user.enable": "启用账号",
    "user.reset_password": "重置密码", "user.set_role": "更改角色", "user.unlock": "解锁账号",
    "login.unlock_address": "解锁网络地址", "user.wechat_id": "修改微信号",
    "review.comment": "写审核意见", "review.resolve": "意见标为已解决", "review.reopen": "重新打开意见",
    "phone_preview.request": "发送手机预览",
    "release.hold": "暂停发布", "release.resume": "恢复发布", "release.reschedule": "调整发布时间",
    "release.manual": "记录人工发布", "plan.save": "保存发布计划",
    "alert.acknowledge": "确认告警", "alert.resolve": "告警标为已解决",
    "comment.reply": "回复读者留言", "comment.delete_reply": "删除留言回复", "comment.elect": "留言设为精选",
    "comment.unelect": "留言取消精选", "comment.delete": "删除读者留言", "comment.open": "打开文章留言",
    "comment.close": "关闭文章留言",
    "wechat.diagnose": "诊断微信请求", "series.comment_policy": "修改留言设置",
    "api_token.create": "新建 API 令牌", "api_token.revoke": "撤销 API 令牌",
    "wechat_account.add": "登记公众号", "wechat_account.rotate_secret": "更换公众号 AppSecret",
    "wechat_account.disable": "停用公众号", "wechat_account.enable": "启用公众号",
    "user.accounts": "限定可见公众号",
    "rating.create": "新建评选", "rating.expert_add": "增加评审专家", "rating.invite": "邀请评审专家",
    "rating.entry_save": "保存评分", "rating.submit": "提交评分表", "rating.correct": "更正评分表",
    "rating.close": "结束评选", "rating.commend": "表彰优秀案例", "rating.uncommend": "取消表彰",
    "rating.honours": "生成表彰篇章",
    "rating.signoff": "评选结果签字确认",
}
OBJECT_NAMES = {"case": "案例", "message": "推送", "release": "发布", "user": "账号", "chapter": "篇章",
                "series": "系列", "plan": "发布计划", "import_batch": "上传批次", "address": "网络地址",
                "alert": "告警", "comment": "读者留言", "comment_article": "留言文章",
                "rid": "微信请求（rid）", "wechat_account": "公众号",
                "rating_round": "评选"}
STATUS_NAMES = {"pending": "待定", "selected": "入选", "rejected": "淘汰"}
VIEW_ROLES = ("approver", "reviewer")  # who may read the log (admins may do everything)
PER_PAGE = 50
EXPORT_LIMIT = 20_000  # rows in one download from the page (an .xlsx of them takes seconds to build)
FULL_CHECK_UP_TO = 3000  # the page verifies the whole chain up to this many rows …
RECENT = 500             # … and above it the newest rows (plus the counts)


def action_name(action: str) -> str:
    """The action as staff call it (the code itself for an action not named yet)."""
    return ACTION_NAMES.get(action, action)


@dataclass(frozen=True)
class Filters:
    """What the listing is narrowed to (empty = everything)."""

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None

    def args(self) -> dict:
        """The filters as query arguments (for links and exports), empty ones left out."""
        values = {"actor": self.actor, "action": self.action, "object_type": self.object_type,
                  "object_id": self.object_id, "since": self.since.isoformat() if self.since else "",
                  "until": self.until.isoformat() if self.until else ""}
        return {k: v for k, v in values.items() if v}


def _day(value: str, label: str) -> date | None:
    # typed into a text field: full-width digits, "2026/3/2" and "2026-3-2" are understood too
    value = unicodedata.normalize("NFKC", value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat("-".join(p.zfill(2) for p in re.split(r"[-/.]", value)))
    except ValueError:
        raise ValidationError(f"{label}应为 年-月-日（如 2026-03-02），而不是“{value[:20]}”") from None


def parse_filters(args) -> Filters:
    """Filters from query arguments or CLI options (a mapping); ``ValidationError`` in Chinese."""
    def text(name: str, most: int = 100) -> str:
        value = str(args.get(name) or "").strip()
        if len(value) > most:
            raise ValidationError(f"筛选条件 {name} 太长（最多 {most} 个字符）")
        return value
    since, until = _day(args.get("since"), "开始日期"), _day(args.get("until"), "结束日期")
    if since and until and since > until:
        raise ValidationError(f"开始日期 {since} 晚于结束日期 {until}")
    return Filters(text("actor"), text("action", 50), text("object_type", 50), text("object_id"),
                   since, until)


def _start_of(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _where(query, filters: Filters, tz: ZoneInfo):
    for column, value in ((AuditEntry.actor, filters.actor), (AuditEntry.action, filters.action),
                          (AuditEntry.object_type, filters.object_type),
                          (AuditEntry.object_id, filters.object_id)):
        if value:
            query = query.where(column == value)
    if filters.since:
        query = query.where(AuditEntry.at >= _start_of(filters.since, tz))
    if filters.until:
        query = query.where(AuditEntry.at < _start_of(filters.until + timedelta(days=1), tz))
    return query


def _newest_first(query):
    return query.order_by(AuditEntry.seq.is_(None).desc(), AuditEntry.seq.desc(), AuditEntry.id.desc())


@dataclass
class Page:
    """One page of the filtered listing."""

    entries: list[AuditEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def count(session: Session, filters: Filters, *, tz: ZoneInfo = SHANGHAI) -> int:
    """How many rows the filters match."""
    return session.scalar(_where(select(func.count()).select_from(AuditEntry), filters, tz)) or 0


def page_of(session: Session, filters: Filters, *, page: int = 1, per_page: int = PER_PAGE,
            tz: ZoneInfo = SHANGHAI) -> Page:
    """Page ``page`` (from 1) of the rows the filters match, newest first."""
    rows = session.scalars(_newest_first(_where(select(AuditEntry), filters, tz))
                           .offset((page - 1) * per_page).limit(per_page)).all()
    return Page(list(rows), count(session, filters, tz=tz), page, per_page)


def all_matching(session: Session, filters: Filters, *, tz: ZoneInfo = SHANGHAI,
                 limit: int | None = EXPORT_LIMIT) -> list[AuditEntry]:
    """Every row the filters match, newest first (for an export); refused above ``limit`` (the
    command line exports any number: ``limit=None``)."""
    total = count(session, filters, tz=tz)
    if limit is not None and total > limit:
        raise ValidationError(f"筛选出 {total} 条记录，网页一次最多导出 {limit} 条：请缩小日期范围或加上其他筛选条件，"
                              "或在服务器上用 wxpub audit export 导出全部")
    return list(session.scalars(_newest_first(_where(select(AuditEntry), filters, tz))))


# --- what a row says -----------------------------------------------------------------------------

def when(value: datetime, tz: ZoneInfo = SHANGHAI) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in the office's timezone (an audit trail wants the seconds)."""
    return local(value, tz).strftime("%Y-%m-%d %H:%M:%S")


def people(session: Session) -> dict[str, str]:
    """username → display name of every account."""
    return dict(session.execute(select(User.username, User.display_name)).all())


def person(actor: str, names: dict[str, str]) -> str:
    """An actor as staff know them: ``张主任（zhongshen）`` for an account, else as recorded."""
    shown = names.get(actor)
    return f"{shown}（{actor}）" if shown and shown != actor else actor


def actors(session: Session, names: dict[str, str], *, most: int = 300) -> list[tuple[str, str]]:
    """``(actor, label)`` of everyone in the log, staff accounts first (for the 人员 choice)."""
    found = session.scalars(select(AuditEntry.actor).distinct().limit(most)).all()
    return sorted(((a, person(a, names)) for a in found), key=lambda p: (p[0] not in names, p[0]))


def _ids(values, most: int = 8) -> str:
    values = list(values or [])
    shown = "、".join(str(v) for v in values[:most])
    return shown + (f" 等 {len(values)} 个" if len(values) > most else "")


KEY_NAMES = {"version": "版本", "from": "原", "to": "恢复为", "stage": "环节", "decision": "结论",
             "comment": "意见", "role": "角色", "display_name": "显示名称", "sessions_ended": "结束的登录",
             "created": "新增", "updated": "更新", "unchanged": "未变", "moved": "改期", "canceled": "取消",
             "status": "状态", "score": "评分", "username": "用户名", "failures": "失败次数", "name": "名称",
             "series": "系列", "file": "文件", "reason": "原因", "chapters": "篇章", "is_open": "开放导入",
             "intro": "导语", "theme": "主题", "sha256": "哈希", "secret": "涉密", "before": "原",
             "after": "新", "title_template": "标题模板", "author": "作者", "source": "来源", "editors": "编辑",
             "cover": "封面", "title": "标题"}


def _generic(detail: dict) -> str:
    parts = []
    for key, value in detail.items():
        if key == "address" or value in (None, "", [], {}):
            continue
        if isinstance(value, bool):
            value = "是" if value else "否"
        elif isinstance(value, (list, tuple)):
            value = _ids(value)
        elif isinstance(value, dict):
            value = f"{len(value)} 项"
        text = str(value)
        parts.append(f"{KEY_NAMES.get(key, key)}：{text[:60]}{'…' if len(text) > 60 else ''}")
    return "；".join(parts)


def describe(action: str, detail: dict | None) -> str:
    """A short Chinese summary of a row's detail (what was changed, to what)."""
    d = detail or {}
    if action == "review.comment":
        kind = "回复" if d.get("reply") else "意见"
        return f"{kind}（v{d.get('version', '?')}，{d.get('where', '')}）：{d.get('body', '')}"
    if action in ("review.resolve", "review.reopen"):
        return f"v{d.get('version', '?')}，{d.get('where', '')}"
    if action == "phone_preview.request":
        return f"v{d.get('version', '?')} 发给 {d.get('to', '')}"
    if action in ("review.approve", "review.reject"):
        what = f"{d.get('stage', '')}第 {d['round']} 轮" if d.get("round") else d.get("stage", "")
        comment = f"：{d['comment']}" if d.get("comment") else ""
        return f"{what}（v{d.get('version', '?')}）{comment}"
    if action == "user.set_role":
        return f"{ROLE_NAMES.get(d.get('before'), d.get('before'))} → {ROLE_NAMES.get(d.get('after'), d.get('after'))}"
    if action in ("api_token.create", "api_token.revoke"):
        scope = {"read": "只读", "write": "读写"}.get(d.get("scope"), d.get("scope", ""))
        return f"令牌 {d.get('prefix', '')}…（{d.get('name', '')}，{scope}）"
    if action == "user.create":
        return f"角色：{ROLE_NAMES.get(d.get('role'), d.get('role'))}；显示名称：{d.get('display_name', '')}"
    if action in ("case.edit", "case.fix_punctuation") and "version" in d:
        return f"v{d.get('from', '?')} → v{d['version']}"
    if action == "case.revert":
        return f"恢复为 v{d.get('to', '?')}（新版本 v{d.get('version', '?')}）"
    if action == "import":
        kind = {"created": "新增", "updated": "更新为"}.get(d.get("outcome"), "")
        title = f"“{d['title']}”" if d.get("title") else ""
        source = f"（文件 {d['file'].replace(chr(92), '/').rsplit('/', 1)[-1]}）" if d.get("file") else ""
        return f"{kind} v{d.get('version', '?')}{title}{source}"
    if action == "import.upload":
        skipped = f"；未导入：{_ids(d.get('skipped'))}" if d.get("skipped") else ""
        return (f"新增 {d.get('created', 0)}，更新 {d.get('updated', 0)}，未变 {d.get('unchanged', 0)}；"
                f"文件：{_ids([f.get('name') for f in d.get('files', [])])}{skipped}")
    if action == "message.version":
        return f"第 {d.get('version', '?')} 版"
    if action.startswith("case.bulk_"):
        return f"{len(d.get('case_ids', []))} 个案例：{_ids(d.get('case_ids'))}"
    if action in ("case.selected", "case.rejected", "case.pending"):
        return f"原状态：{STATUS_NAMES.get(d.get('from'), d.get('from') or '—')}"
    if action == "case.scores":
        return "；".join(f"案例 {k}：{v if v is not None else '无'}" for k, v in list(d.items())[:8])
    if "order" in d:
        return f"新顺序：{_ids(d['order'])}"
    if action.startswith("release.") and d.get("from"):
        return f"原状态：{d['from']}"
    if action == "plan.apply":
        return f"新增 {d.get('created', 0)} 个发布，改期 {d.get('moved', 0)} 个，取消 {d.get('canceled', 0)} 个"
    if action in ("user.login_failed", "login.lockout"):
        parts = [f"用户名：{d['username']}" if d.get("username") else "", d.get("reason", ""),
                 f"失败 {d['failures']} 次" if d.get("failures") else ""]
        return "；".join(p for p in parts if p)
    return _generic(d)


def object_label(object_type: str, object_id: str) -> str:
    """``案例 12``, ``账号 zhangsan``; a list of cases in one row has no single id."""
    name = OBJECT_NAMES.get(object_type, object_type)
    return f"{name} {object_id}".strip() if name or object_id else ""


def object_href(object_type: str, object_id: str, *, see_users: bool) -> str | None:
    """The page where the object can be seen, or None (no page, or one the viewer may not open)."""
    if not object_id or not object_id.isdigit() and object_type not in ("user",):
        return None
    paths = {"case": f"/library/cases/{object_id}", "message": f"/review/messages/{object_id}",
             "chapter": f"/library?chapter={object_id}", "series": f"/series/{object_id}",
             "rating_round": f"/ratings/{object_id}"}
    if object_type == "user":
        return f"/admin/users/{object_id}" if see_users else None
    if object_type == "release":
        return f"/releases/{object_id}"
    if object_type == "alert":
        return f"/alerts#alert-{object_id}"
    if object_type == "comment":
        return f"/comments/{object_id}"
    if object_type == "comment_article":
        return f"/comments?article={object_id}"
    return paths.get(object_type)


def entry_json(row: AuditEntry, tz: ZoneInfo = SHANGHAI) -> dict:
    """A row as the API and ``wxpub audit list --json`` give it (``at`` in the office's timezone)."""
    return {"seq": row.seq, "at": local(row.at, tz).isoformat(), "actor": row.actor,
            "action": row.action, "object_type": row.object_type, "object_id": row.object_id,
            "detail": row.detail or {}, "before_sha256": row.before_sha256 or "",
            "after_sha256": row.after_sha256 or "", "address": row.address or "",
            "row_hash": row.row_hash or ""}


COLUMNS = [Column("seq", "序号", "int"), Column("at", "时间（北京时间）"), Column("actor", "人员"),
           Column("action_name", "操作"), Column("object", "对象"), Column("summary", "内容"),
           Column("before_sha256", "操作前哈希"), Column("after_sha256", "操作后哈希"),
           Column("address", "地址"), Column("row_hash", "本条哈希")]


def shown(row: AuditEntry, names: dict[str, str], tz: ZoneInfo = SHANGHAI) -> dict:
    """A row as people read it (the page, the CSV/XLSX files): the ``COLUMNS`` keys and the raw ones."""
    return {**entry_json(row, tz), "at": when(row.at, tz), "actor_id": row.actor,
            "actor": person(row.actor, names), "action_name": action_name(row.action),
            "object": object_label(row.object_type, row.object_id),
            "summary": describe(row.action, row.detail), "id": row.id}


def table(rows: list[AuditEntry], names: dict[str, str], *, tz: ZoneInfo = SHANGHAI,
          note: str = "") -> Table:
    """The rows as an ``exports.Table`` (what the CSV/XLSX downloads contain)."""
    return Table("audit", "操作日志", COLUMNS, [shown(r, names, tz) for r in rows], note=note)


# --- the chain's state for the page ------------------------------------------------------------

@dataclass
class ChainCheck(Verdict):
    """What the page's check found: ``total`` rows, ``checked`` of them walked (all when ``full``)."""

    total: int = 0
    checked: int = 0
    full: bool = True


def quick_check(session: Session, *, recent: int = RECENT, full_up_to: int = FULL_CHECK_UP_TO) -> ChainCheck:
    """The chain's state, cheaply: the counts (a deleted or inserted row anywhere changes them),
    the head against the newest row, and the hashes and links of the newest ``recent`` rows — or
    of every row while there are at most ``full_up_to``. An edited old row in a big table is found
    only by ``wxpub audit verify`` (the page says which check it ran)."""
    head = session.get(AuditHead, 1)
    check = ChainCheck(head_seq=head.seq if head else 0, head_hash=head.row_hash if head else "")
    check.total = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    unsealed = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.seq.is_(None))) or 0
    if unsealed:
        check.problems.append(f"有 {unsealed} 条记录没有链序号：不是通过系统写入的，或已被改动")
    sealed = check.total - unsealed
    if sealed != check.head_seq:
        check.problems.append(f"链头记为共 {check.head_seq} 条，表中有 {sealed} 条：有记录被删除或插入")
    check.full = sealed <= full_up_to
    rows = list(reversed(session.scalars(select(AuditEntry).where(AuditEntry.seq.is_not(None))
                                         .order_by(AuditEntry.seq.desc())
                                         .limit(sealed if check.full else recent)).all()))
    if check.full and rows and (rows[0].seq != 1 or rows[0].prev_hash):
        missing = "第 1 条" if rows[0].seq == 2 else f"第 1–{rows[0].seq - 1} 条"
        check.problems.append(f"{missing}记录缺失（已被删除）" if rows[0].seq > 1
                              else "第 1 条记录的链接不符：前面插入过记录")
    for before, row in zip([None, *rows], rows):
        if before is not None and row.seq != before.seq + 1:
            check.problems.append(f"第 {before.seq + 1}–{row.seq - 1} 条记录缺失（已被删除）"
                                  if row.seq > before.seq + 2 else f"第 {before.seq + 1} 条记录缺失（已被删除）")
        elif before is not None and (row.prev_hash or "") != (before.row_hash or ""):
            check.problems.append(f"第 {row.seq} 条记录与上一条的链接不符：前面的记录被删除、插入或改动过")
        if row_digest(row) != row.row_hash:
            check.problems.append(f"第 {row.seq} 条记录（{row.actor}，{action_name(row.action)}）的内容与其哈希不符："
                                  "记录被改动过")
    check.checked = len(rows)
    last = rows[-1] if rows else None
    if (last.seq if last else 0) != check.head_seq or (last.row_hash if last else "") != check.head_hash:
        check.problems.append(f"链头记为第 {check.head_seq} 条，而最后一条是第 {last.seq if last else 0} 条："
                              "末尾的记录被删除或改动过")
    return check
