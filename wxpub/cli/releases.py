"""``wxpub plan show|apply FILE`` and ``wxpub release list|approve|cancel|retry``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from sqlalchemy import select

from wxpub.core import plans

from wxpub.releases import actions, approvals, plans as release_plans, queries
from wxpub.core.release_states import mode_name, state_name
from wxpub.infra.clock import format_local
from wxpub.models import Release, User
from wxpub.cli.actor import actor, as_option
from wxpub.cli.context import get_runtime


def register(group: click.Group) -> None:
    """Add the ``plan`` and ``release`` groups."""
    group.add_command(plan)
    group.add_command(release)


@click.group()
def plan() -> None:
    """发布计划（schedules/ 下的 YAML 文件）。"""


@plan.command("show")
@click.argument("file", type=click.Path(dir_okay=False), metavar="计划文件")
def plan_show(file: str) -> None:
    """显示计划排出的发布日历和检查结果（有错误时退出码为 1）。

    已发布或正在发布的篇章标为“已发布，跳过”/“发布中，跳过”，不算错误。

    计划文件：schedules/ 下的 YAML 文件，如 schedules/2026-spring.yaml。
    """
    rt = get_runtime()
    with rt.db.session() as session:
        loaded = release_plans.load(session, Path(file), now=rt.clock.now())
    click.echo(plans.format_calendar(loaded.plan, loaded.releases, loaded.issues,
                                     loaded.plan.timezone))
    if loaded.errors:
        sys.exit(1)


@plan.command("apply")
@click.argument("file", type=click.Path(dir_okay=False), metavar="计划文件")
@as_option()
def plan_apply(file: str, as_user: str | None) -> None:
    """把计划落实为发布记录（可重复执行；已发布、发布中的篇章跳过，不会变动）。

    计划文件：schedules/ 下的 YAML 文件；计划有错误时什么都不改，退出码为 2。
    """
    rt = get_runtime()
    with rt.db.session() as session:
        who = actor(session, as_user)
        loaded = release_plans.load(session, Path(file), now=rt.clock.now())
        if loaded.errors:
            click.echo(plans.format_calendar(loaded.plan, loaded.releases, loaded.issues,
                                             loaded.plan.timezone), err=True)
            click.echo("计划有错误，未应用。", err=True)
            sys.exit(2)
        report = release_plans.apply_plan(session, loaded, settings=rt.settings, now=rt.clock.now(),
                                          actor=who)
        click.echo(f"计划已应用：新建 {len(report.created)}，改期 {len(report.moved)}，"
                   f"未变 {len(report.unchanged)}，取消 {len(report.canceled)}，"
                   f"跳过 {len(report.skipped)}（已发布、发布中或已手动改期）。")
        labels = {r.key: r.label for r in loaded.releases}
        for r in report.skipped:
            why = "已手动改期" if r.time_set_by and r.state not in release_plans.DONE else state_name(r.state)
            click.echo(f"{labels.get(r.plan_key, r.plan_key)}：{why}，跳过（不作改动）")
        for issue in loaded.issues:
            click.echo(f"提示：{issue.message}", err=True)
        _print_table(session, rt.settings.tz, [r.id for r in report.created + report.moved + report.unchanged
                                                + report.skipped])


@plan.command("list")
def plan_list() -> None:
    """列出保存的计划（每个系列一份当前计划，即最近一次应用的文本）。"""
    from wxpub.releases import plan_store
    rt = get_runtime()
    with rt.db.session() as session:
        rows = plan_store.stored_plans(session)
        if not rows:
            click.echo("还没有保存的计划（plan apply 或网页“排期”应用后保存）。")
        for row in rows:
            click.echo(f"[{row.id}] {row.series_name}  {plan_store.account_name(session, row)}  "
                       f"{format_local(row.updated_at, rt.settings.tz)} {row.updated_by}  sha256 {row.sha256[:12]}")


@plan.command("export")
@click.argument("series", metavar="系列名")
@click.option("--out", type=click.Path(dir_okay=False), help="写入文件（默认输出到屏幕）")
@click.option("--account", default=None, metavar="公众号",
              help="同一系列发往几个公众号时，导出哪个公众号的计划（名称或代号）")
def plan_export(series: str, out: str | None, account: str | None) -> None:
    """输出某系列保存的计划原文（与当初应用的文件逐字节相同）。"""
    from wxpub.releases import plan_store
    rt = get_runtime()
    with rt.db.session() as session:
        row = plan_store.for_plan(session, series, account)
        if row is None:
            raise click.ClickException(f"系列“{series}”还没有保存的计划（见 wxpub plan list）")
        if out:
            Path(out).write_bytes(row.yaml_text.encode("utf-8"))
            click.echo(f"已写入 {out}")
        else:
            click.echo(row.yaml_text, nl=False)


def _print_table(session, tz, ids=None) -> None:
    rows = queries.listing(session, tz=tz)
    if ids is not None:
        rows = [r for r in rows if r["id"] in ids]
    for r in rows:
        when = format_local(_parse(r["scheduled_at"]), tz)
        click.echo(f"[{r['id']}] {when}  {r['chapter']}  {mode_name(r['mode'])}  "
                   f"{state_name(r['state'])}"
                   + (f"  {r['article_urls'][0]}" if r["article_urls"] else "")
                   + (f"  （{r['error_message']}）" if r["error_message"] else ""))


def _parse(value: str):
    from datetime import datetime
    return datetime.fromisoformat(value)


@click.group()
def release() -> None:
    """发布记录：查看、审批、取消、重试。"""


@release.command("list")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def release_list(as_json: bool) -> None:
    """列出所有发布（时间为北京时间）。"""
    rt = get_runtime()
    with rt.db.session() as session:
        if as_json:
            click.echo(json.dumps({"releases": queries.listing(session, tz=rt.settings.tz)},
                                  ensure_ascii=False))
        else:
            _print_table(session, rt.settings.tz)


@release.command("approve", short_help="审批发布的当前内容版本。")
@click.argument("release_ids", nargs=-1, type=int, metavar="[发布编号]...")
@click.option("--all", "approve_all", is_flag=True, help="审批所有待审批的发布")
@as_option("--by", required=True,
           help="以哪位审批人的账号签署最后一个审核环节（默认“终审”）：须为已启用、角色可签该环节的账号（--by 与 --as 相同）")
def release_approve(release_ids, approve_all: bool, as_user: str) -> None:
    """以审批人的账号签署发布当前内容版本的最后一个审核环节（只对这一版本有效，内容一改即作废）。

    本单位只设一个审核环节时，这就是审批；设了初审、复审或校对时，缺少哪些环节会逐一说明。

    发布编号：一个或多个，见 wxpub release list；或用 --all 审批所有待审批的发布。
    """
    rt = get_runtime()
    with rt.db.session() as session:
        if approve_all:
            release_ids = list(session.scalars(select(Release.id).where(Release.state == "planned")
                                               .order_by(Release.scheduled_at)))
        if not release_ids:
            raise click.UsageError("请指定发布编号，或使用 --all")
        done = approvals.approve(session, list(release_ids), by=as_user, now=rt.clock.now(),
                                 policy=rt.settings.review_policy, tz=rt.settings.tz)
        approver = session.scalar(select(User).where(User.username == as_user.strip()))
        who = approver.username if approver.display_name == approver.username \
            else f"{approver.display_name}（{approver.username}）"
        for r in done:
            click.echo(f"发布 {r.id} 已由 {who} 审批，状态：{state_name(r.state)}")


@release.command("cancel")
@click.argument("release_id", type=int, metavar="发布编号")
@as_option("--by")
def release_cancel(release_id: int, as_user: str | None) -> None:
    """取消尚未提交微信的发布。

    发布编号：见 wxpub release list。
    """
    rt = get_runtime()
    with rt.db.session() as session:
        r = actions.cancel(session, release_id, by=actor(session, as_user), now=rt.clock.now())
        click.echo(f"发布 {r.id} 已取消")


@release.command("retry")
@click.argument("release_id", type=int, metavar="发布编号")
@as_option("--by")
def release_retry(release_id: int, as_user: str | None) -> None:
    """立即重新发布“已暂停”或“失败”的发布。

    发布编号：见 wxpub release list。
    """
    rt = get_runtime()
    with rt.db.session() as session:
        r = actions.retry(session, release_id, by=actor(session, as_user), now=rt.clock.now())
        click.echo(f"发布 {r.id} 将立即重新发布（调度进程会在几秒内处理）")


@release.command("hold")
@click.argument("release_id", type=int, metavar="发布编号")
@click.option("--reason", default="", metavar="原因", help="暂停原因（记入时间线和操作日志）")
@as_option()
def release_hold(release_id: int, reason: str, as_user: str | None) -> None:
    """暂停尚未提交微信的发布：到时不会发出，直到恢复、改期或重试。

    发布编号：见 wxpub release list。
    """
    rt = get_runtime()
    with rt.db.session() as session:
        r = actions.hold(session, release_id, by=actor(session, as_user), now=rt.clock.now(), reason=reason)
        click.echo(f"发布 {r.id} 已暂停")


@release.command("resume")
@click.argument("release_id", type=int, metavar="发布编号")
@as_option()
def release_resume(release_id: int, as_user: str | None) -> None:
    """恢复“已暂停”的发布，按原计划时间发布（审批已失效的回到待审批）。

    发布编号：见 wxpub release list。
    """
    rt = get_runtime()
    with rt.db.session() as session:
        r = actions.resume(session, release_id, by=actor(session, as_user), now=rt.clock.now())
        click.echo(f"发布 {r.id} 已恢复，状态：{state_name(r.state)}，"
                   f"计划时间 {format_local(r.scheduled_at, rt.settings.tz)}")


@release.command("reschedule")
@click.argument("release_id", type=int, metavar="发布编号")
@click.option("--at", "at_text", required=True, metavar="时间",
              help="新的发布时间：北京时间“YYYY-MM-DD HH:MM”，或带时区的 ISO 8601")
@as_option()
def release_reschedule(release_id: int, at_text: str, as_user: str | None) -> None:
    """把发布改到新的时间（检查不早于现在、群发次数）；已暂停、失败、已取消的重新排入计划。

    发布编号：见 wxpub release list。
    """
    rt = get_runtime()
    at = actions.parse_at(at_text, field="--at", tz=rt.settings.tz)
    with rt.db.session() as session:
        r = actions.reschedule(session, release_id, at=at, by=actor(session, as_user), now=rt.clock.now(),
                               settings=rt.settings)
        click.echo(f"发布 {r.id} 已改到 {format_local(r.scheduled_at, rt.settings.tz)}，"
                   f"状态：{state_name(r.state)}")
    for note in actions.day_notes(at, rt.settings.tz):
        click.echo(f"提示：{note}", err=True)


@release.command("show", short_help="显示一次发布的详情。")
@click.argument("release_id", type=int, metavar="发布编号")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def release_show(release_id: int, as_json: bool) -> None:
    """显示一次发布的详情：审批、每一步的记录、微信对草稿的改动（回读比对）。

    发布编号：见 wxpub release list。
    """
    from wxpub.models import PublishAttempt, Signoff

    rt = get_runtime()
    tz = rt.settings.tz
    with rt.db.session() as session:
        r = queries.get(session, release_id)
        row = next(x for x in queries.listing(session, tz=tz) if x["id"] == release_id)
        # the sign-offs of the version the release carries (sent, approved, else its message's current one)
        approvals = session.scalars(select(Signoff).where(Signoff.sha256 == (row["version_hash"] or ""),
                                                          Signoff.message_id == (r.message_id or 0))
                                    .order_by(Signoff.at, Signoff.id)).all()
        attempts = session.scalars(select(PublishAttempt).where(PublishAttempt.release_id == r.id)
                                   .order_by(PublishAttempt.id)).all()
        data = {**row, "media_id": r.media_id, "publish_id": r.publish_id, "msg_id": r.msg_id,
                "msg_data_id": r.msg_data_id, "fallback_path": r.fallback_path,
                "approvals": [{"by": a.display_name or a.username, "username": a.username,
                               "stage": f"{a.stage}第{a.round}轮" if a.round else a.stage,
                               "decision": a.decision, "comment": a.comment, "sha256": a.sha256,
                               "at": a.at.astimezone(tz).isoformat(),
                               "voided": a.void_reason} for a in approvals],
                "attempts": [{"step": a.step, "outcome": a.outcome, "errcode": a.errcode,
                              "at": a.started_at.astimezone(tz).isoformat(), "detail": a.detail}
                             for a in attempts]}
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, default=str))
        return
    click.echo(f"发布 {data['id']}：{data['chapter']}，{mode_name(data['mode'])}，"
               f"{format_local(_parse(data['scheduled_at']), tz)}，{state_name(data['state'])}")
    for a in data["approvals"]:
        who = f"{a['by']}（{a['username']}）" if a["username"] and a["username"] != a["by"] else a["by"]
        verb = "审批" if a["decision"] == "approve" else "退回"
        click.echo(f"  {verb}：{who}（{a['stage']}）{a['at'][:16]} 版本哈希 {a['sha256'][:12]}"
                   + (f"  已作废：{a['voided']}" if a["voided"] else ""))
    for a in data["attempts"]:
        extra = ""
        if a["step"] == "readback":
            changes = a["detail"].get("changes") or []
            extra = "  微信未改动草稿" if not changes else f"  微信改动了草稿：{json.dumps(changes, ensure_ascii=False)[:300]}"
        elif a["errcode"] is not None or a["outcome"] not in ("ok",):
            extra = f"  {a['detail'].get('error') or a['detail'].get('message') or ''}"
        click.echo(f"  {a['at'][11:19]} {a['step']:<14} {a['outcome']:<11}{extra}")
    if data["article_urls"]:
        click.echo("  文章链接：" + "  ".join(data["article_urls"]))
    if data["fallback_path"]:
        click.echo(f"  手工发布材料：{data['fallback_path']}")


@release.command("manual", short_help="记录手工发布的文章链接（发布变为“人工发布”）。")
@click.argument("release_id", type=int, metavar="发布编号")
@click.argument("urls", nargs=-1, required=True, metavar="文章链接...")
@as_option()
def release_manual(release_id: int, urls: tuple[str, ...], as_user: str | None) -> None:
    """记录在公众号后台手工发布（如按手工发布材料）的文章链接：发布变为“人工发布”，
    调度进程不会再发送它，统计数据按链接中的 mid 关联到这次发布。

    发布编号：见 wxpub release list（只有已审批待发、已暂停或失败的发布可以记录）。

    文章链接：按文章顺序给出 1–8 个，如 https://mp.weixin.qq.com/s?__biz=…&mid=…&idx=1&sn=…
    （统计可关联）或 https://mp.weixin.qq.com/s/…（短链接，统计无法自动关联）。链接含 & 时请加引号。
    """
    from wxpub.releases import manual

    rt = get_runtime()
    with rt.db.session() as session:
        r = manual.record_manual(session, release_id, urls=list(urls), by=actor(session, as_user),
                                 now=rt.clock.now())
        click.echo(f"发布 {r.id} 已记录为{state_name(r.state)}，"
                   f"时间 {format_local(r.published_at, rt.settings.tz)}，文章链接 {len(r.article_urls)} 篇：")
        for url in r.article_urls:
            click.echo(f"  {url}")
        if r.msg_data_id:
            click.echo(f"统计数据将按 mid={r.msg_data_id} 关联到这次发布。")
        else:
            click.echo("提示：短链接不含 mid，统计数据无法自动关联；如需关联，请改用文章页面上的完整链接"
                       "（含 __biz、mid、idx、sn）。", err=True)
