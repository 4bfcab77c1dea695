"""``wxpub series …``: series and chapters, on the same services as the 系列与篇章 pages."""

from __future__ import annotations

import json
from pathlib import Path

import click

from wxpub.cli.actor import actor, as_option
from wxpub.cli.context import get_runtime
from wxpub.core.errors import NotFound
from wxpub.library import series as catalog
from wxpub.library import service as library


@click.group()
def series() -> None:
    """系列与篇章：新建、查看、开启/关闭导入、封面。"""


def _by_name(session, name: str):
    row = catalog.series_by_name(session, name)
    if row is None:
        known = "、".join(f"“{s.name}”" for s in catalog.list_series(session)) or "（还没有系列）"
        raise NotFound(f"没有系列“{name}”。现有系列：{known}")
    return row


@series.command("list", short_help="列出系列及其篇章。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（含系列编号、篇章编号与各状态案例数）")
def series_list(as_json: bool) -> None:
    """列出所有系列（开放导入的在前）及其篇章和案例数。"""
    rt = get_runtime()
    with rt.db.session() as session:
        rows = [catalog.series_dict(s, catalog.chapter_counts(session, s.id))
                for s in catalog.list_series(session)]
    if as_json:
        click.echo(json.dumps({"series": rows}, ensure_ascii=False))
        return
    if not rows:
        click.echo("还没有系列。用 wxpub series create 新建。")
    for row in rows:
        click.echo(f"[{row['id']}] {row['name']}{'' if row['is_open'] else '（已关闭导入）'}")
        for chapter in row["chapters"]:
            counts = chapter.get("counts") or {}
            click.echo(f"    [{chapter['id']}] {chapter['name']}  待定 {counts.get('pending', 0)}，"
                       f"入选 {counts.get('selected', 0)}，淘汰 {counts.get('rejected', 0)}")


@series.command("create", short_help="新建系列（含篇章顺序）。")
@click.argument("name", metavar="系列名")
@click.option("--chapters", metavar="篇章1,篇章2…", default="市场环境,政务环境,法治环境,人文环境",
              show_default=True, help="篇章名称，按顺序，用逗号或顿号分隔")
@click.option("--intro-file", type=click.Path(exists=True, dir_okay=False), metavar="文本文件",
              help="系列简介（UTF-8 文本，每行一段）；没有导语的篇章默认使用它")
@as_option()
def series_create(name: str, chapters: str, intro_file: str | None, as_user: str | None) -> None:
    """新建系列。系列名：如“2023年度滨海新区优化营商环境创新实践案例展示”。"""
    rt = get_runtime()
    intro = Path(intro_file).read_text(encoding="utf-8") if intro_file else ""
    with rt.db.session() as session:
        row = catalog.create_series(session, name, chapters=chapters, intro=intro,
                                    actor=actor(session, as_user), now=rt.clock.now())
        click.echo(f"已新建系列“{row.name}”（编号 {row.id}），篇章："
                   + ("、".join(c.name for c in row.chapters) or "（无）"))


@series.command("add-chapter", short_help="给系列新建一个篇章（排在最后）。")
@click.argument("series_name", metavar="系列名")
@click.argument("chapter", metavar="篇章名")
@as_option()
def series_add_chapter(series_name: str, chapter: str, as_user: str | None) -> None:
    """给系列新建篇章。导入到系列没有的篇章会被拒绝：新篇章要用这个命令（或在网页上）明确新建。"""
    rt = get_runtime()
    with rt.db.session() as session:
        row = _by_name(session, series_name)
        added = catalog.add_chapter(session, row.id, chapter, actor=actor(session, as_user),
                                    now=rt.clock.now())
        click.echo(f"系列“{row.name}”已新建篇章“{added.name}”（编号 {added.id}，第 {added.position} 篇）")


def _set_open(name: str, is_open: bool, as_user: str | None) -> None:
    rt = get_runtime()
    with rt.db.session() as session:
        row = _by_name(session, name)
        catalog.update_series(session, row.id, is_open=is_open, actor=actor(session, as_user),
                              now=rt.clock.now())
        click.echo(f"系列“{row.name}”{'已开放导入' if is_open else '已关闭导入（案例与历史都保留）'}。")


@series.command("close", short_help="关闭系列的导入（如年度结束）。")
@click.argument("name", metavar="系列名")
@as_option()
def series_close(name: str, as_user: str | None) -> None:
    """关闭系列：不再出现在导入的选择里，也不再自动作为“唯一开放的系列”。"""
    _set_open(name, False, as_user)


@series.command("open", short_help="重新开放系列的导入。")
@click.argument("name", metavar="系列名")
@as_option()
def series_open(name: str, as_user: str | None) -> None:
    """重新开放系列的导入。"""
    _set_open(name, True, as_user)


@series.command("cover", short_help="设置系列封面（JPG/PNG，不超过 10 MB）。")
@click.argument("series_name", metavar="系列名")
@click.argument("image", type=click.Path(exists=True, dir_okay=False), metavar="图片文件")
@as_option()
def series_cover(series_name: str, image: str, as_user: str | None) -> None:
    """设置系列封面（JPG/PNG，不超过 10 MB）；之后重新排版的文章使用此封面。

    系列名：见 wxpub series list；图片文件：JPG 或 PNG 图片的路径。
    """
    rt = get_runtime()
    path = Path(image)
    with rt.db.session() as session:
        row = library.set_series_cover(session, series_name, path.read_bytes(), path.name,
                                       actor=actor(session, as_user), now=rt.clock.now())
        click.echo(f"系列“{row.name}”的封面已设置（{row.cover_sha256[:12]}）。请重新排版（wxpub render）后再审批。")
