"""``wxpub render`` and ``wxpub lint``: chapter articles as files, and the checks before approval."""

from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
from pathlib import Path

import click

from wxpub.core.errors import ValidationError
from wxpub.core.render import list_themes, preview_page
from wxpub.core.render.titles import TITLE_FIELDS, template_problem
from wxpub.editorial import compose
from wxpub.infra.config import Settings
from wxpub.cli.actor import actor, as_option
from wxpub.cli.context import get_runtime


def register(group: click.Group) -> None:
    """Add ``render`` and ``lint``."""
    group.add_command(render)
    group.add_command(lint)


def data_urls(rendered) -> dict[str, str]:
    """Images as data: URLs, so a preview file works offline and on its own."""
    return {sha: f"data:{img.content_type};base64,{base64.b64encode(img.data).decode()}"
            for sha, img in rendered.images.items()}


def write_atomic(path: Path, text: str) -> None:
    """Write a file so that a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    os.replace(tmp, path)


def options_from(theme, title_template, author, source, editors) -> compose.ComposeOptions:
    """Compose options from command-line flags."""
    return compose.ComposeOptions(theme=theme, title_template=title_template, author=author,
                                  source=source, editors=tuple(e for e in editors if e))


def _title_template(_ctx, _param, value: str) -> str:
    """Check ``--title-template`` before anything is read or written (``titles.template_problem``)."""
    problem = template_problem(value)
    if problem:
        raise ValidationError(f"--title-template：{problem}")
    return value


@click.command(short_help="把篇章排版为微信文章（HTML、手机预览页、manifest.json）。")
@click.option("--chapter", required=True, metavar="篇章名", help="篇章名称，如 人文环境")
@click.option("--series", metavar="系列名", help="系列名称（多个系列有同名篇章时必填）")
@click.option("--theme", default="政务红", show_default=True, metavar="主题",
              help="排版主题：" + "、".join(t for t in list_themes()))
@click.option("--title-template", default="{chapter}篇丨{series}", show_default=True, callback=_title_template,
              metavar="模板",
              help="文章标题模板，可用占位符：" + "、".join(f"{{{f}}}" for f in TITLE_FIELDS))
@click.option("--author", default="", metavar="作者", help="作者（不超过 16 字）")
@click.option("--source", default=compose.DEFAULT_SOURCE, show_default=True, metavar="来源", help="文末来源")
@click.option("--editor", "editors", multiple=True, metavar="姓名", help="文末编辑（可多次）")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="输出目录")
@as_option()
def render(chapter, series, theme, title_template, author, source, editors, out_dir, as_user):
    """把篇章排版为微信文章：写出 HTML、手机预览页和 manifest.json，并保存为新的内容版本。"""
    rt = get_runtime()
    out = Path(out_dir)
    with rt.db.session() as session:
        row = compose.find_chapter(session, chapter, series)
        composed = compose.compose_chapter(
            session, row, options=options_from(theme, title_template, author, source, editors),
            now=rt.clock.now(), actor=actor(session, as_user), lexicon=compose.office_lexicon(rt.settings),
            settings=rt.settings)
    manifest = {"articles": [], "messages": []}
    many = len(composed) > 1
    for item in composed:
        prefix = f"part{item.rendered.installment}-" if many else ""
        preview_name = f"{prefix}preview.html"
        write_atomic(out / preview_name, preview_page(item.rendered, item.findings,
                                                      image_urls=data_urls(item.rendered)))
        for article in item.rendered.articles:
            name = f"{prefix}article-{article.index + 1}.html"
            write_atomic(out / name, article.html)
            mine = [f for f in item.findings if f.location.article == article.index]
            manifest["articles"].append({
                "title": article.title, "author": article.author, "digest": article.digest,
                "file": name, "chars": article.chars, "bytes": article.bytes,
                "sha256": article.sha256, "installment": item.rendered.installment,
                "images": [r.sha256 for r in article.image_refs],
                "findings": [compose.finding_dict(f) for f in mine]})
        manifest["messages"].append({
            "installment": item.rendered.installment, "sha256": item.rendered.sha256,
            "version": item.version.version, "message_id": item.message.id,
            "new_version": item.created, "preview": preview_name,
            "findings": [compose.finding_dict(f) for f in item.findings
                         if f.location.article is None]})
    write_atomic(out / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    findings = [f for item in composed for f in item.findings]
    blocking = sum(1 for f in findings if f.severity == "blocking")
    for item in composed:
        state = "新版本" if item.created else "内容未变"
        click.echo(f"{item.rendered.chapter}篇 第{item.rendered.installment}期：{len(item.rendered.articles)} 篇文章，"
                   f"v{item.version.version}（{state}），哈希 {item.rendered.sha256[:12]}")
    first_preview = out / ("part1-preview.html" if many else "preview.html")
    click.echo(f"已写出 {len(manifest['articles'])} 篇文章到 {out}，手机预览：{first_preview}")
    if blocking:
        click.echo(f"注意：有 {blocking} 个阻断问题，修改前不能审批（详见 manifest.json 或 wxpub lint）。", err=True)


@click.command(short_help="检查文章：微信限制、敏感词、涉密标识、个人信息等（有阻断问题时退出码为 1）。")
@click.option("--chapter", metavar="篇章名", help="检查一个篇章（按当前案例库排版后检查，不保存）")
@click.option("--series", metavar="系列名", help="系列名称（多个系列有同名篇章时必填）")
@click.option("--theme", default="政务红", show_default=True, metavar="主题",
              help="检查篇章时使用的排版主题：" + "、".join(t for t in list_themes()))
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False), metavar="[HTML文件]...")
def lint(chapter, series, theme, as_json, files):
    """检查文章：微信限制、禁用标签、外链、敏感词、涉密标识、个人信息、严重表述错误。

    检查 --chapter 指定的篇章，或列出的 HTML 文件（如 wxpub render 写出的 article-1.html），
    也可以两者都给。有阻断问题时退出码为 1。
    """
    from wxpub.core.lint.files import lint_html_file
    from wxpub.core.render import render_installments

    if not chapter and not files:
        raise click.UsageError("请指定 --chapter 或要检查的 HTML 文件")
    lexicon = None
    results: list[tuple[str, list]] = []
    if chapter:
        rt = get_runtime()
        lexicon = compose.office_lexicon(rt.settings)
        with rt.db.session() as session:
            row = compose.find_chapter(session, chapter, series)
            content, _rows = compose.chapter_content(session, row)
            options = compose.render_options(session, row, compose.ComposeOptions(theme=theme))
        from wxpub.core.lint import lint_message
        for message in render_installments(content, **options):
            results.append((f"{message.chapter}篇 第{message.installment}期", lint_message(message, lexicon)))
    for name in files:
        lexicon = lexicon or compose.office_lexicon(Settings.from_env())
        results.append((name, lint_html_file(Path(name), lexicon)))
    blocking = sum(1 for _, found in results for f in found if f.severity == "blocking")
    if as_json:
        click.echo(json.dumps({"targets": [{"target": target, "findings": [compose.finding_dict(f) for f in found]}
                                           for target, found in results],
                               "blocking": blocking}, ensure_ascii=False))
    else:
        labels = {"blocking": "阻断", "warning": "提示"}
        for target, found in results:
            click.echo(f"== {target}：{len(found)} 个问题")
            for f in found:
                text = f"「{f.text}」" if f.text else ""
                click.echo(f"[{labels.get(f.severity, f.severity)}] {f.rule} {f.location.describe()} {text} {f.message}")
        click.echo(f"共 {sum(len(f) for _, f in results)} 个问题，其中阻断 {blocking} 个。")
    if blocking:
        sys.exit(1)
