"""``wxpub rating list|create|add-expert|invite|results|export|close``: 评选 from the command line,
through the same functions as the ``/ratings`` pages and ``/api/v1/rating-rounds`` (``wxpub.rating``).

``results --json`` prints what ``GET /api/v1/rating-rounds/<id>/results`` answers. Writes act as a
named staff account (``--as``): creating, inviting and closing need an editor or approver (admins
pass); without ``--as`` the audit log records the machine's system account, except for ``close``,
which needs a named account.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from wxpub.cli.actor import actor, as_option
from wxpub.cli.context import get_runtime
from wxpub.core.errors import ValidationError
from wxpub.infra.clock import format_local
from wxpub.rating import export as rating_export, results as rating_results, rounds

ROLES = ("editor", "approver")
AS_HELP = "以哪位工作人员的账号操作（须为已启用的编辑、终审或管理员账号，记入操作日志）"


def register(group: click.Group) -> None:
    """Add the ``rating`` group."""
    group.add_command(rating_group)


@click.group("rating")
def rating_group() -> None:
    """评选：专家对已发布的案例评分，办公室据结果表彰优秀案例（与网页“评选”相同）。"""


def _criterion(text: str) -> dict:
    parts = text.split(":") if ":" in text else text.split("：")
    if len(parts) != 3:
        raise ValidationError(f"--criterion：“{text}”应写成“名称:权重:满分”，如“创新性:30:10”")
    try:
        return {"name": parts[0].strip(), "weight": float(parts[1]), "max": float(parts[2])}
    except ValueError:
        raise ValidationError(f"--criterion：“{text}”中的权重和满分应为数字") from None


@rating_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（与 GET /api/v1/rating-rounds 相同）")
def rating_list(as_json: bool) -> None:
    """列出评选（新的在前）：编号、名称、系列、状态、截止时间（北京时间）、案例数、专家数。"""
    rt = get_runtime()
    tz = rt.settings.tz
    with rt.db.session() as session:
        rows = rounds.listing(session)
        data = [rating_results.round_dict(session, r, tz=tz) for r in rows]
        deadlines = [format_local(r.deadline, tz) for r in rows]
    if as_json:
        click.echo(json.dumps({"rounds": data}, ensure_ascii=False))
        return
    if not data:
        click.echo("还没有评选。新建：wxpub rating create --series 系列名称 --name 名称 --deadline 截止时间")
        return
    for r, deadline in zip(data, deadlines):
        click.echo(f"{r['id']}  {r['name']}（{r['series']}）  {r['state_name']}  截止 {deadline}  "
                   f"案例 {r['cases']} 个  专家 {r['experts']} 位")


@rating_group.command("create")
@click.option("--series", required=True, help="系列名称")
@click.option("--name", required=True, help="评选名称，如“2023年度优秀案例评选”")
@click.option("--deadline", required=True, help="截止时间：北京时间“YYYY-MM-DD HH:MM”，或带时区的 ISO 8601")
@click.option("--criterion", "criteria", multiple=True, metavar="名称:权重:满分",
              help="评分标准，可写多次；不写则为 创新性、实效性、可复制推广性、示范带动性")
@click.option("--case", "case_ids", multiple=True, type=int, metavar="案例编号",
              help="参评案例，可写多次；不写则为该系列已发布的案例")
@click.option("--show-others", is_flag=True, help="允许专家在评选结束前看到彼此的评分（默认不允许）")
@as_option(help=AS_HELP)
def rating_create(series, name, deadline, criteria, case_ids, show_others, as_user) -> None:
    """新建评选。"""
    rt = get_runtime()
    when = rounds.parse_deadline(deadline, tz=rt.settings.tz, field="--deadline")
    chosen = [_criterion(c) for c in criteria] or None
    with rt.db.session() as session:
        who = actor(session, as_user, roles=ROLES, purpose="新建评选")
        row = rounds.create_round(session, series=series, name=name, deadline=when, criteria=chosen,
                                  show_others=show_others, case_ids=list(case_ids) or None, actor=who,
                                  now=rt.clock.now())
        count = len(rounds.cases_of(session, row.id))
        click.echo(f"已新建评选 {row.id}：{row.name}，{count} 个案例，截止 {format_local(row.deadline, rt.settings.tz)}"
                   f"（北京时间）。邀请专家：wxpub rating invite {row.id} --name 姓名")


@rating_group.command("add-expert")
@click.argument("round_id", type=int, metavar="评选编号")
@click.option("--user", "username", required=True, help="评审专家账号的用户名")
@click.option("--unit", default="", help="专家所在单位（用于回避）")
@as_option(help=AS_HELP)
def rating_add_expert(round_id: int, username: str, unit: str, as_user) -> None:
    """把一个评审专家账号加入评选的专家名单。"""
    rt = get_runtime()
    with rt.db.session() as session:
        who = actor(session, as_user, roles=ROLES, purpose="增加评审专家")
        expert = rounds.add_expert(session, round_id, username=username, unit=unit, actor=who, now=rt.clock.now())
        click.echo(f"已把 {expert.name} 加入评选 {round_id} 的专家名单")


@rating_group.command("invite")
@click.argument("round_id", type=int, metavar="评选编号")
@click.option("--name", required=True, help="受邀专家的姓名")
@click.option("--unit", default="", help="专家所在单位（用于回避）")
@click.option("--days", type=int, default=14, show_default=True, help="链接有效天数")
@as_option(help=AS_HELP)
def rating_invite(round_id: int, name: str, unit: str, days: int, as_user) -> None:
    """邀请一位外部专家：打印评分链接（只显示这一次，请妥善转交）。"""
    rt = get_runtime()
    with rt.db.session() as session:
        who = actor(session, as_user, roles=ROLES, purpose="邀请评审专家")
        expert, token = rounds.invite_expert(session, round_id, name=name, unit=unit, days=days, actor=who,
                                             now=rt.clock.now())
        expires = format_local(expert.invite_expires_at, rt.settings.tz)
    base = (getattr(rt.settings, "public_url", "") or "").rstrip("/")
    click.echo(f"已邀请 {name}。评分链接（只显示这一次，{expires} 前有效）：")
    click.echo(f"{base}/rate/i/{token}")


@rating_group.command("results")
@click.argument("round_id", type=int, metavar="评选编号")
@click.option("--json", "as_json", is_flag=True,
              help="输出 JSON（与 GET /api/v1/rating-rounds/<id>/results 相同）")
def rating_results_command(round_id: int, as_json: bool) -> None:
    """评选结果：各案例的名次、最终得分、平均分、去掉最高最低分后的平均分、标准差、评分专家数。"""
    rt = get_runtime()
    with rt.db.session() as session:
        data = rating_results.results(session, round_id, tz=rt.settings.tz)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    state = data["round"]["state_name"]
    click.echo(f"评选 {round_id}：{data['round']['name']}（{state}）"
               + ("" if data["complete"] else "；还有专家没有提交评分表"))
    for c in data["cases"]:
        shown = "—" if c["final"] is None else f"{c['final']:.2f}"
        extra = f"  回避：{'、'.join(c['abstained'])}" if c["abstained"] else ""
        click.echo(f"第 {c['rank'] or '—'} 名  {shown}  {c['title']}（{c['n']} 位专家）{extra}"
                   + (f"  {c['note']}" if c["note"] else ""))
    for e in data["experts"]:
        if e["outlier"]:
            click.echo(f"注意：{e['name']} 的评分与其他专家差距较大（平均差 {e['difference']:.2f} 分）")


@rating_group.command("export")
@click.argument("round_id", type=int, metavar="评选编号")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="写入的 XLSX 文件")
def rating_export_command(round_id: int, output: Path) -> None:
    """把评分明细、评选结果和评分标准导出为 XLSX。"""
    rt = get_runtime()
    with rt.db.session() as session:
        data = rating_export.xlsx(session, round_id)
    output.write_bytes(data)
    click.echo(f"已导出到 {output}")


@rating_group.command("close")
@click.argument("round_id", type=int, metavar="评选编号")
@as_option(required=True, help=AS_HELP)
def rating_close(round_id: int, as_user: str) -> None:
    """结束评选：不能再评分，专家可以看到结果。"""
    rt = get_runtime()
    with rt.db.session() as session:
        who = actor(session, as_user, roles=ROLES, purpose="结束评选")
        row = rounds.close_round(session, round_id, actor=who, now=rt.clock.now())
        click.echo(f"评选 {row.id}（{row.name}）已结束（{who}）")
