"""``wxpub import`` and ``wxpub case …``: fill the case library and curate it (择优)."""

from __future__ import annotations

import json
import sys
import unicodedata

import click

from wxpub.library import service as library

from wxpub.library import sources
from wxpub.library.reports import report_json
from wxpub.core.errors import NotFound, ValidationError
from wxpub.cli.actor import actor, as_option
from wxpub.cli.context import get_runtime



def register(group: click.Group) -> None:
    """Add ``import`` and the ``case`` group."""
    group.add_command(import_command)
    group.add_command(case)
    from wxpub.cli.series import series
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
@click.argument("paths", nargs=-1, required=True, metavar="文件或目录...")
@click.option("--series", metavar="系列名", help="系列名称（来源中没有时使用）")
@click.option("--chapter", metavar="篇章名", help="篇章名称（来源中没有时使用）")
@click.option("--json", "as_json", is_flag=True, help="标准输出只输出一个 JSON 对象")
@click.option("--dry-run", is_flag=True, help="只显示将会发生的变化，不写入数据库")
@click.option("--keep-going", is_flag=True, help="跳过有问题的文件，导入其余文件")
@as_option()
def import_command(paths, series, chapter, as_json, dry_run, keep_going, as_user):
    """导入案例：网页（.txt/.html）、Word（.docx）、Excel（.xlsx）、Markdown（articles/）。

    文件或目录：一个或多个要导入的文件，或包含这些文件的目录（含 series.yaml 的目录按整个系列导入）。
    不支持的类型（如 .pdf、.doc、.xls）会被拒绝，整批不导入。
    """
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
        # Where the cases go: a series and chapter staff created (or that a series folder defines).
        refused = library.check_targets(session, results)
        if refused:
            if not keep_going:
                for _, message in refused:
                    click.echo(f"错误：{message}", err=True)
                click.echo(f"{len({i for i, _ in refused})} 个文件的系列或篇章有问题，本批次未导入任何内容。",
                           err=True)
                sys.exit(2)
            skipped = {i for i, _ in refused}
            errors += [TargetError(results[i], message) for i, message in refused]
            results = [r for i, r in enumerate(results) if i not in skipped]
        report = library.apply_import(session, results, now=rt.clock.now(), actor=actor(session, as_user),
                                      dry_run=dry_run, tz=rt.settings.tz)
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


class TargetError:
    """A file skipped because its series or chapter does not exist (``--keep-going``)."""

    code = "target"
    location = ""

    def __init__(self, result, message: str):
        self.file = next((c.source.file for c in result.cases), "")
        self.message = message

    def __str__(self) -> str:
        return self.message


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
@click.option("--series", metavar="系列名", help="只列出这个系列的案例")
@click.option("--chapter", metavar="篇章名", help="只列出这个篇章的案例")
@click.option("--status", type=click.Choice(library.CASE_STATUSES),
              help="只列出这种状态的案例：pending 待定、selected 入选、rejected 淘汰")
@click.option("--json", "as_json", is_flag=True,
              help="输出 JSON（每个案例含编号 id、篇章编号 chapter_id、系列编号 series_id）")
def case_list(series, chapter, status, as_json):
    """列出案例：编号、篇章、序号、状态、排位、标题、评分。"""
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


def _status_command(name: str, status: str, done: str, help_text: str):
    @case.command(name, help=f"{help_text}\n\n案例编号：一个或多个，见 wxpub case list。",
                  short_help=help_text)
    @click.argument("case_ids", nargs=-1, type=int, required=True, metavar="案例编号...")
    @as_option()
    def command(case_ids, as_user):
        rt = get_runtime()
        with rt.db.session() as session:
            who = actor(session, as_user)
            for case_id in case_ids:
                row = library.set_status(session, case_id, status, actor=who, now=rt.clock.now())
                click.echo(f"案例 {row.id}《{row.title}》：{done}")
    return command


_status_command("select", "selected", "入选", "入选：案例进入篇章文章（有入选案例时只发布入选的）。")
_status_command("reject", "rejected", "淘汰", "淘汰：案例不进入篇章文章。")
_status_command("reset", "pending", "恢复为待定", "恢复为待定（撤销入选或淘汰）。")


@case.command("order", short_help="按给定顺序排列一个篇章中的案例。")
@click.argument("chapter", metavar="篇章名")
@click.argument("case_ids", nargs=-1, type=int, required=True, metavar="案例编号...")
@click.option("--series", metavar="系列名", help="系列名称（多个系列有同名篇章时必填）")
@as_option()
def case_order(chapter, case_ids, series, as_user):
    """按给定顺序排列篇章中的案例（未列出的排在后面）。

    例如：wxpub case order 市场环境 12 7 9

    篇章名：如 市场环境（也可写篇章编号）；案例编号：见 wxpub case list。
    """
    rt = get_runtime()
    with rt.db.session() as session:
        row = find_chapter(session, chapter, series)
        rows = library.reorder(session, row.id, list(case_ids), actor=actor(session, as_user),
                               now=rt.clock.now())
        for row in rows:
            click.echo(f"第{row.position}位：[{row.id}] {row.title}")


def find_chapter(session, name: str, series: str | None):
    """The chapter called ``name`` (``compose.find_chapter``); for scripts, an all-digits ``name``
    that is no chapter's name is taken as a chapter id."""
    from wxpub.editorial import compose
    from wxpub.models import Chapter

    try:
        return compose.find_chapter(session, name, series)
    except NotFound as error:
        digits = name.strip()
        if not (digits.isascii() and digits.isdigit()):
            raise
        row = session.get(Chapter, int(digits))
        if row is None or (series and row.series.name != series):
            raise NotFound(f"{error.message}，也没有编号为 {digits} 的篇章") from None
        return row


@case.command("score", short_help="给案例评分（0–100）。")
@click.argument("case_id", type=int, metavar="案例编号")
@click.argument("score", type=float, metavar="评分")
@as_option()
def case_score(case_id, score, as_user):
    """给案例评分（0–100）。

    案例编号：见 wxpub case list；评分：0 到 100 之间的数，可带小数，如 91.5。
    """
    rt = get_runtime()
    with rt.db.session() as session:
        row = library.set_score(session, case_id, score, actor=actor(session, as_user), now=rt.clock.now())
        click.echo(f"案例 {row.id}《{row.title}》评分：{row.score:g}")
