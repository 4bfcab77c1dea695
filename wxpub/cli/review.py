"""``wxpub review list|show|sign|proofread|comment``: the 三审三校 chain from the command line, acting
as a named staff account (``--as``), through the same use cases as the web pages and the API."""

from __future__ import annotations

import json

import click
from sqlalchemy import select

from wxpub.cli.context import get_runtime
from wxpub.core.review_policy import APPROVE, PROOFREAD, REJECT
from wxpub.editorial import review
from wxpub.editorial.review_report import review_json
from wxpub.models import Message

AS_HELP = "以哪位工作人员的账号签署（须为已启用、角色可签该环节的账号，记入操作日志）"
DECISION_WORDS = {APPROVE: "通过", REJECT: "退回", None: "未签"}


def register(group: click.Group) -> None:
    """Add the ``review`` group."""
    group.add_command(review_group)


@click.group("review")
def review_group() -> None:
    """三审三校：查看审核进度、签署环节、记录校对、写审核意见。"""


def _print(data: dict) -> None:
    click.echo(f"消息 {data['message_id']}  v{data['version']}  版本哈希 {data['version_hash']}")
    click.echo(f"  审核流程：{data['policy']['described']}")
    for stage in data["stages"]:
        who = f"{stage['name']}（{stage['by']}）" if stage["by"] else ""
        tail = f"  {stage['at'][:16].replace('T', ' ')}  {stage['comment'] or ''}" if stage["at"] else ""
        click.echo(f"  {stage['stage']}：{DECISION_WORDS.get(stage['decision'], stage['decision'])} {who}{tail}")
    required = data.get("proofreads_required", 0)
    if required:
        done = "、".join(f"第{p['round']}轮 {p['name']}（{p['by']}）" for p in data["proofreads"]) or "无"
        click.echo(f"  校对：{len(data['proofreads'])}/{required}（{done}）")
    if data["stale"]:
        click.echo("  注意：生成后案例内容又有修改，这一版本已过时，请重新生成")
    if data["open_comments"]:
        click.echo(f"  未解决的审核意见：{data['open_comments']} 条")
    state = "已完成，可以发布" if data["complete"] else f"还缺：{'、'.join(data['missing']) or '—'}"
    click.echo(f"  状态：{state}")


@review_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def review_list(as_json: bool) -> None:
    """列出所有已排版消息的审核进度（按消息编号）。"""
    rt = get_runtime()
    with rt.db.session() as session:
        rows = [review_json(session, m, rt.settings.review_policy, rt.settings.tz)
                for m in session.scalars(select(Message).order_by(Message.id))
                if m.current_version_id is not None]
    if as_json:
        click.echo(json.dumps({"messages": rows}, ensure_ascii=False))
        return
    if not rows:
        click.echo("还没有排版好的消息")
    for data in rows:
        state = "已完成" if data["complete"] else ("已过时，需重新生成" if data["stale"]
                                                   else f"等待{data['next'] or '—'}")
        click.echo(f"[{data['message_id']}] v{data['version']} {data['version_hash'][:12]}  {state}")


@review_group.command("show")
@click.argument("message_id", type=int, metavar="消息编号")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（与 GET /api/v1/messages/<id>/reviews 相同）")
def review_show(message_id: int, as_json: bool) -> None:
    """显示一条消息当前版本的审核进度。

    消息编号：见 wxpub review list 或 wxpub release list --json 的 message_id。
    """
    rt = get_runtime()
    with rt.db.session() as session:
        data = review_json(session, review.get_message(session, message_id), rt.settings.review_policy,
                           rt.settings.tz)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        _print(data)


def _sign(message_id: int, stage: str, decision: str, comment: str, as_user: str,
          version_hash: str | None, secret: bool | None = None, opinion: str = "") -> None:
    rt = get_runtime()
    with rt.db.session() as session:
        message = review.get_message(session, message_id)
        if version_hash is None and message.current_version is not None:
            version_hash = message.current_version.sha256
        signed = review.sign(session, message_id, version_hash=version_hash or "", stage=stage,
                             decision=decision, comment=comment, by=as_user, now=rt.clock.now(),
                             policy=rt.settings.review_policy, tz=rt.settings.tz, secret=secret,
                             secrecy_opinion=opinion)
        row = signed.signoff
        what = f"{PROOFREAD}第 {row.round} 轮" if row.stage == PROOFREAD else row.stage
        click.echo(f"消息 {message_id} v{message.current_version.version}（{row.sha256[:12]}）的“{what}”"
                   f"已由 {row.display_name}（{row.username}）{DECISION_WORDS[decision]}")
        if signed.completed:
            ids = "、".join(str(r.id) for r in signed.approved) or "无"
            click.echo(f"审核已完成；已审批的发布：{ids}")


@review_group.command("sign")
@click.argument("message_id", type=int, metavar="消息编号")
@click.option("--stage", required=True, metavar="环节", help="要签署的环节，如 初审、复审、终审")
@click.option("--reject", is_flag=True, help="退回（须用 --comment 写明理由）；不写则为通过")
@click.option("--comment", default="", metavar="意见", help="审核意见（退回时必填）")
@click.option("--hash", "version_hash", default=None, metavar="版本哈希",
              help="所审核版本的哈希（见 wxpub review show）；不写时为当前版本，内容已变时会被拒绝")
@click.option("--secret/--not-secret", default=None, help="保密审查：是否涉密（仅保密审查环节，默认不涉密）")
@click.option("--secrecy-opinion", default="", metavar="意见", help="保密审查意见（仅保密审查环节）")
@click.option("--as", "as_user", required=True, metavar="用户名", help=AS_HELP)
def review_sign(message_id, stage, reject, comment, version_hash, secret, secrecy_opinion, as_user) -> None:
    """以某位工作人员的账号签署一个审核环节（通过或退回）。

    消息编号：见 wxpub review list。各环节须按顺序签署，一人不能签同一版本的两个环节。
    """
    _sign(message_id, stage.strip(), REJECT if reject else APPROVE, comment, as_user, version_hash,
          secret, secrecy_opinion)


@review_group.command("proofread")
@click.argument("message_id", type=int, metavar="消息编号")
@click.option("--comment", default="", metavar="说明", help="本轮校对的说明，如“改正 2 处标点”")
@click.option("--hash", "version_hash", default=None, metavar="版本哈希", help="所校对版本的哈希")
@click.option("--as", "as_user", required=True, metavar="用户名", help=AS_HELP)
def review_proofread(message_id, comment, version_hash, as_user) -> None:
    """记录一轮校对（每人每个版本只能记一轮）。

    消息编号：见 wxpub review list。
    """
    _sign(message_id, PROOFREAD, APPROVE, comment, as_user, version_hash)


@review_group.command("comment")
@click.argument("message_id", type=int, metavar="消息编号")
@click.option("--text", required=True, metavar="意见", help="审核意见的内容")
@click.option("--article", type=int, default=None, metavar="篇", help="第几篇（从 1 起）")
@click.option("--case", type=int, default=None, metavar="案例", help="案例序号（从 1 起）")
@click.option("--paragraph", type=int, default=None, metavar="段", help="第几段（从 1 起）")
@click.option("--as", "as_user", required=True, metavar="用户名", help=AS_HELP)
def review_comment(message_id, text, article, case, paragraph, as_user) -> None:
    """对当前版本的某一段写审核意见。

    消息编号：见 wxpub review list。
    """
    from wxpub.editorial import comments

    rt = get_runtime()
    with rt.db.session() as session:
        message = review.get_message(session, message_id)
        version = message.current_version
        row = comments.add(session, message_id, version_hash=version.sha256 if version else "",
                           body=text, by=as_user, now=rt.clock.now(),
                           article=article - 1 if article else None, case=case, paragraph=paragraph)
        click.echo(f"已记下审核意见 {row.id}")
