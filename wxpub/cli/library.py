"""``wxpub import`` and ``wxpub case …``: fill the case library and curate it (择优)."""

from __future__ import annotations

import json
import sys
import unicodedata

import click

from wxpub.library import service as library

from wxpub.library import sources
from wxpub.core.errors import ValidationError
from wxpub.cli.actor import actor, as_option
from wxpub.cli.context import get_runtime



def register(group: click.Group) -> None:
    """Add ``import`` and the ``case`` group."""
    group.add_command(import_command)
    group.add_command(case)
    group.add_command(series)


def parse_units(units, *, series, chapter, show_progress):
    """Run the importers over every unit; return (results, errors) without touching the database."""
    from wxpub.core.importers import SourceError

    results, errors = [], []
    with click.progressbar(units, label="读取文件", file=sys.stderr, hidden=not show_progress,
                           item_show_func=lambda u: u.label if u else "") as bar:
        for unit in bar:
            try:
                results.append(sources.load(unit, series=series, chapter=chapter))
            except SourceError as error:
                errors.append(error)
    return results, errors


@click.command("import", short_help="导入案例：网页、Word、Excel、Markdown。")
@click.argument("paths", nargs=-1, required=True)
@click.option("--series", help="系列名称（来源中没有时使用）")
@click.option("--chapter", help="篇章名称（来源中没有时使用）")
@click.option("--json", "as_json", is_flag=True, help="标准输出只输出一个 JSON 对象")
@click.option("--dry-run", is_flag=True, help="只显示将会发生的变化，不写入数据库")
@click.option("--keep-going", is_flag=True, help="跳过有问题的文件，导入其余文件")
@as_option()
def import_command(paths, series, chapter, as_json, dry_run, keep_going, as_user):
    """导入案例：网页（.txt/.html）、Word（.docx）、Excel（.xlsx）、Markdown（articles/）。"""
    rt = get_runtime()
    units = sources.discover(paths)
    if not units:
        raise ValidationError("没有找到可导入的文件（支持 " + "、".join(sources.SUPPORTED) + "）")
    results, errors = parse_units(units, series=series, chapter=chapter,
                                  show_progress=len(units) > 3 and not as_json)
    warnings = [w for result in results for w in result.warnings]
    if errors and not keep_going:
        for warning in warnings:
            click.echo(f"警告：{warning}", err=True)
        for error in errors:
            click.echo(f"错误：{error}", err=True)
        click.echo(f"{len(errors)} 个文件有问题，本批次未导入任何内容（可加 --keep-going 只导入没问题的文件）。",
                   err=True)
        sys.exit(2)
    with rt.db.session() as session:
        report = library.apply_import(session, results, now=rt.clock.now(), actor=actor(session, as_user),
                                      dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(report_json(report, errors, warnings), ensure_ascii=False))
    else:
        print_table(report)
        for warning in warnings:
            click.echo(f"警告：{warning}", err=True)
        for error in errors:
            click.echo(f"已跳过：{error}", err=True)
    if errors:
        sys.exit(3)


def report_json(report: library.ImportReport, errors, warnings=()) -> dict:
    """The ``--json`` contract: ``{"cases": [...], "created", "updated", "unchanged"}`` (+ extras:
    ``errors`` of skipped files, ``warnings`` about what was left out of imported ones)."""
    return {
        "cases": [{
            "number": o.case.number, "title": o.case.title, "chapter": o.case.chapter,
            "series": o.case.series, "unit": o.case.unit,
            "points": [p.text for p in o.case.points], "paragraphs": o.case.paragraphs,
            "lead_phrases": [p.lead for p in o.case.points], "contact": o.case.contact,
            "images": [i.name for i in o.case.images], "action": o.action, "id": o.case_id,
            "version": o.version, "content_hash": o.case.content_hash,
            "source": {"file": o.case.source.file, "position": o.case.source.position},
        } for o in report.outcomes],
        "created": report.count("created"), "updated": report.count("updated"),
        "unchanged": report.count("unchanged"), "dry_run": report.dry_run,
        "errors": [{"file": e.file, "location": e.location, "message": e.message, "code": e.code}
                   for e in errors],
        "warnings": [{"file": w.file, "location": w.location, "message": w.message} for w in warnings],
    }


def print_table(report: library.ImportReport) -> None:
    """A plain summary table for people."""
    labels = {"created": "新建", "updated": "更新", "unchanged": "未变"}
    click.echo(f"{pad('篇章', 10)}{pad('序号', 6)}{pad('结果', 6)}标题")
    for o in report.outcomes:
        number = f"{o.case.number:02d}" if o.case.number is not None else "—"
        click.echo(f"{pad(o.case.chapter or '（未分篇章）', 10)}{pad(number, 6)}"
                   f"{pad(labels[o.action], 6)}{o.case.title}")
    prefix = "（试运行，未写入）" if report.dry_run else ""
    click.echo(f"{prefix}共 {len(report.outcomes)} 个案例：新建 {report.count('created')}，"
               f"更新 {report.count('updated')}，未变 {report.count('unchanged')}。")


def pad(text: str, width: int) -> str:
    """Left-align ``text`` in ``width`` terminal columns (CJK characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - used)


@click.group()
def case() -> None:
    """案例择优：查看、入选、淘汰、排序、评分。"""


@case.command("list")
@click.option("--series")
@click.option("--chapter")
@click.option("--status", type=click.Choice(library.CASE_STATUSES))
@click.option("--json", "as_json", is_flag=True)
def case_list(series, chapter, status, as_json):
    """列出案例。"""
    rt = get_runtime()
    with rt.db.session() as session:
        rows = [library.case_summary(r) for r in
                library.list_cases(session, series=series, chapter=chapter, status=status)]
    if as_json:
        click.echo(json.dumps({"cases": rows}, ensure_ascii=False))
        return
    names = {"pending": "待定", "selected": "入选", "rejected": "淘汰"}
    for r in rows:
        score = "" if r["score"] is None else f"  评分 {r['score']:g}"
        click.echo(f"[{r['id']}] {r['chapter']} {r['number'] or '—':>2} {names[r['status']]} "
                   f"第{r['position']}位 {r['title']}{score}")


def _status_command(name: str, status: str, help_text: str):
    @case.command(name, help=help_text)
    @click.argument("case_ids", nargs=-1, type=int, required=True)
    @as_option()
    def command(case_ids, as_user):
        rt = get_runtime()
        with rt.db.session() as session:
            who = actor(session, as_user)
            for case_id in case_ids:
                row = library.set_status(session, case_id, status, actor=who, now=rt.clock.now())
                click.echo(f"案例 {row.id}《{row.title}》：{help_text.rstrip('。')}")
    return command


_status_command("select", "selected", "入选。")
_status_command("reject", "rejected", "淘汰。")
_status_command("reset", "pending", "恢复为待定。")


@case.command("order")
@click.argument("chapter_id", type=int)
@click.argument("case_ids", nargs=-1, type=int, required=True)
@as_option()
def case_order(chapter_id, case_ids, as_user):
    """按给定顺序排列篇章中的案例（未列出的排在后面）。"""
    rt = get_runtime()
    with rt.db.session() as session:
        rows = library.reorder(session, chapter_id, list(case_ids), actor=actor(session, as_user),
                               now=rt.clock.now())
        for row in rows:
            click.echo(f"第{row.position}位：[{row.id}] {row.title}")


@case.command("score")
@click.argument("case_id", type=int)
@click.argument("score", type=float)
@as_option()
def case_score(case_id, score, as_user):
    """给案例评分（0–100）。"""
    rt = get_runtime()
    with rt.db.session() as session:
        row = library.set_score(session, case_id, score, actor=actor(session, as_user), now=rt.clock.now())
        click.echo(f"案例 {row.id}《{row.title}》评分：{row.score:g}")


@click.group()
def series() -> None:
    """系列：封面等设置。"""


@series.command("cover")
@click.argument("series_name")
@click.argument("image", type=click.Path(exists=True, dir_okay=False))
@as_option()
def series_cover(series_name: str, image: str, as_user: str | None) -> None:
    """设置系列封面（JPG/PNG，不超过 10 MB）；之后重新排版的文章使用此封面。"""
    from pathlib import Path

    rt = get_runtime()
    path = Path(image)
    with rt.db.session() as session:
        row = library.set_series_cover(session, series_name, path.read_bytes(), path.name,
                                       actor=actor(session, as_user), now=rt.clock.now())
        click.echo(f"系列“{row.name}”的封面已设置（{row.cover_sha256[:12]}）。请重新排版（wxpub render）后再审批。")
