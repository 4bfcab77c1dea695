"""``wxpub alert list|show|acknowledge|resolve``: the alert inbox from the command line, through the
same functions as ``/alerts`` and ``/api/v1/alerts`` (``wxpub.notify.inbox``).

``list --json`` prints what ``GET /api/v1/alerts`` answers; writes act as a named staff account
(``--as``) whose role may handle alerts there too: editor, approver or admin (``inbox.ACT_ROLES``).
An unknown alert, one already acknowledged or resolved, or an account that may not act is refused
with a Chinese message on standard error and exit status 2, like every other ``WxpubError``.
"""

from __future__ import annotations

import json

import click

from wxpub.cli.actor import actor, as_option
from wxpub.cli.context import get_runtime
from wxpub.cli.helpformat import columns
from wxpub.infra.clock import format_local
from wxpub.notify import inbox

AS_HELP = "以哪位工作人员的账号处理（须为已启用的编辑、终审或管理员账号，记入操作日志）"
as_required = as_option(required=True, help=AS_HELP)
STATES = ("open", "acknowledged", "resolved", "all")
EMPTY = {"open": "没有未处理的告警。", "acknowledged": "没有已确认、待解决的告警。",
         "resolved": "没有已解决的告警。", None: "还没有告警。"}
MESSAGE_COLUMNS = 40  # the message column of the table, in terminal columns (CJK counts two)


def register(group: click.Group) -> None:
    """Add the ``alert`` group."""
    group.add_command(alert_group)


@click.group("alert")
def alert_group() -> None:
    """告警：查看、确认（我来处理）、标为已解决（与网页“告警”相同）。"""


def pad(text: str, width: int) -> str:
    """Left-align ``text`` in ``width`` terminal columns (CJK takes two), one space at least."""
    return text + " " * max(1, width - columns(text))


def shorten(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` terminal columns with "…" when longer."""
    text = " ".join(text.split())
    if columns(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        used += columns(ch)
        if used > width - 1:
            break
        out.append(ch)
    return "".join(out) + "…"


def _who(names: dict[str, str], username: str) -> str:
    """"王编辑（bianji）", or only the username when the account has no other display name."""
    shown = names.get(username, username)
    return username if shown == f"{username}（{username}）" else shown


def _releases(ids) -> str:
    return "、".join(str(i) for i in ids) if ids else "—"


@alert_group.command("list")
@click.option("--state", type=click.Choice(STATES), default="all", show_default=True,
              help="只列出一种告警：open 未处理、acknowledged 已确认（有人在处理）、resolved 已解决；all 全部")
@click.option("--json", "as_json", is_flag=True,
              help="输出 JSON（与 GET /api/v1/alerts 相同：alerts 列表和各状态的 counts）")
def alert_list(state: str, as_json: bool) -> None:
    """列出告警：未处理的在前（严重的先于提醒，新的在前），然后是已确认的，最后是已解决的。

    表中时间为北京时间；内容过长时截断，完整内容见 wxpub alert show 编号。
    """
    rt = get_runtime()
    tz = rt.settings.tz
    show = None if state == "all" else state
    with rt.db.session() as session:
        rows = inbox.listing(session, show)
        counts = inbox.counts(session)
        data = [inbox.alert_dict(a, tz) for a in rows]
    if as_json:
        click.echo(json.dumps({"alerts": data, "counts": counts}, ensure_ascii=False))
        return
    summary = "，".join(f"{inbox.SHOW_NAMES[s]} {counts[s]}" for s in inbox.SHOWS)
    if not rows:
        click.echo(f"{EMPTY[show]}（{summary}）")
        return
    click.echo(f"{pad('编号', 6)}{pad('级别', 5)}{pad('状态', 7)}{pad('次数', 5)}"
               f"{pad('首次出现', 17)}{pad('最近一次', 17)}{pad('内容', MESSAGE_COLUMNS + 1)}涉及的发布")
    for a in rows:
        shown = inbox.show_of(a)
        click.echo(f"{pad(str(a.id), 6)}{pad(inbox.SEVERITY_NAMES.get(a.severity, a.severity), 5)}"
                   f"{pad(inbox.SHOW_NAMES[shown], 7)}{pad(str(a.count), 5)}"
                   f"{pad(format_local(a.first_at, tz), 17)}{pad(format_local(a.last_at, tz), 17)}"
                   f"{pad(shorten(a.message, MESSAGE_COLUMNS), MESSAGE_COLUMNS + 1)}{_releases(a.release_ids)}")
    click.echo(f"共 {len(rows)} 条（{summary}）；时间为北京时间。完整内容：wxpub alert show 编号")
    if len(rows) >= inbox.PER_PAGE:
        click.echo(f"只显示最新的 {inbox.PER_PAGE} 条；可用 --state 筛选查看其余的。")


@alert_group.command("show")
@click.argument("alert_id", type=int, metavar="告警编号")
@click.option("--json", "as_json", is_flag=True,
              help="输出 JSON（与 API 中的告警相同，另加 releases：涉及的发布及其篇章、计划时间）")
def alert_show(alert_id: int, as_json: bool) -> None:
    """显示一条告警的全部内容：原因、级别、状态、次数、时间、涉及的发布、谁确认或解决了它。

    告警编号：见 wxpub alert list。
    """
    rt = get_runtime()
    tz = rt.settings.tz
    with rt.db.session() as session:
        alert = inbox.get(session, alert_id)
        data = inbox.alert_dict(alert, tz)
        releases = inbox.affected(session, [alert])
        names = inbox.people(session, [alert])
    data["releases"] = [{"id": rid, "chapter": releases[rid].chapter if rid in releases else None,
                         "scheduled_at": releases[rid].scheduled_at.astimezone(tz).isoformat()
                         if rid in releases and releases[rid].scheduled_at else None}
                        for rid in data["release_ids"]]
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(f"告警 {alert.id}：{data['severity_name']}，{data['state_name']}")
    click.echo(f"  原因：{alert.cause}")
    click.echo(f"  内容：{alert.message}")
    click.echo(f"  首次出现：{format_local(alert.first_at, tz)}（北京时间）")
    click.echo(f"  最近一次：{format_local(alert.last_at, tz)}（北京时间）")
    click.echo(f"  次数：{alert.count} 次")
    click.echo("  推送：" + ("已送达推送渠道" if alert.sent else "尚未送达（未配置推送渠道，或仍在等待发送）"))
    for r in data["releases"]:
        when = f"（计划 {format_local(releases[r['id']].scheduled_at, tz)}）" if r["scheduled_at"] else ""
        if r["chapter"] is None:
            click.echo(f"  涉及的发布 {r['id']}（已找不到这次发布）")
        else:
            click.echo(f"  涉及的发布 {r['id']}：{r['chapter']}{when}  详情：wxpub release show {r['id']}")
    if alert.acknowledged_at is not None:
        who = _who(names, alert.acknowledged_by)
        click.echo(f"  确认：{who}，{format_local(alert.acknowledged_at, tz)}")
    if alert.resolved_at is not None:
        who = _who(names, alert.resolved_by or "系统")
        click.echo(f"  解决：{who}，{format_local(alert.resolved_at, tz)}")


@alert_group.command("acknowledge")
@click.argument("alert_id", type=int, metavar="告警编号")
@as_required
def alert_acknowledge(alert_id: int, as_user: str) -> None:
    """确认一条告警（表示有人在处理）：它仍算未解决，同一问题再次出现只累计次数、不再推送。

    告警编号：见 wxpub alert list（已确认过或已解决的告警不能再确认）。
    """
    rt = get_runtime()
    with rt.db.session() as session:
        who = actor(session, as_user, roles=inbox.ACT_ROLES, purpose="处理告警")
        alert = inbox.acknowledge(session, alert_id, by=who, now=rt.clock.now())
        click.echo(f"已确认告警 {alert.id}（{who}）：它仍在“已确认”中，直到有人标为已解决；"
                   "同一问题再次出现只累计次数")


@alert_group.command("resolve")
@click.argument("alert_id", type=int, metavar="告警编号")
@as_required
def alert_resolve(alert_id: int, as_user: str) -> None:
    """把告警标为已解决（问题已处理好）：同一问题再次出现时会重新告警并推送。

    告警编号：见 wxpub alert list（已解决的告警不能再解决）。
    """
    rt = get_runtime()
    with rt.db.session() as session:
        who = actor(session, as_user, roles=inbox.ACT_ROLES, purpose="处理告警")
        alert = inbox.resolve_alert(session, alert_id, by=who, now=rt.clock.now())
        click.echo(f"告警 {alert.id} 已由 {who} 标为已解决；同一问题再次出现时会重新告警")
