"""Content as files: Markdown cases with YAML front matter (layout in ``articles/README.md``).

Two entry points, both pure (the caller reads the files):

* ``import_markdown(data, filename, assets=...)``: one case file (or a ``chapter.md``);
* ``import_tree(files)``: a whole series directory given as ``{relative posix path: bytes}``
  (``series.yaml``, ``<order>-<chapter>/chapter.md``, ``<order>-<chapter>/<NN>-<slug>.md``, images).

Body: paragraphs separated by blank lines; a paragraph opening with ``**…**`` gives a bold lead; an
image on its own line (``![图注](images/x.png)``) is placed after the preceding paragraph. An image must
be a .png/.jpg/.jpeg/.gif file beside the case whose bytes really are PNG, JPEG or GIF (the stored type
is the one the bytes prove). Lists, code
blocks and raw HTML are not Markdown here (an indented paragraph is just a paragraph, "1-11月" is not
a list); headings inside the body are refused, since the title lives in the front matter.
"""

from __future__ import annotations

import posixpath
from typing import Mapping

import yaml
from markdown_it import MarkdownIt

from wxpub.core.content import ChapterInfo, ImportResult

from wxpub.core.importers import errors
from wxpub.core.importers.assemble import RawCase, RawImage, build_case, resolve_chapter
from wxpub.core.importers.body import Para
from wxpub.core.importers.decoding import clean_line, decode_text
from wxpub.core.importers.errors import SourceError
from wxpub.core.importers.headings import normalize_chapter
from wxpub.core.importers.page import chapter_order
from wxpub.core.importers.safety import check_size

CASE_KEYS = {"series", "chapter", "number", "title", "unit", "contact", "status", "sample", "source"}
CHAPTER_KEYS = {"series", "chapter", "order", "sample"}
STATUSES = {"draft", "ready", "published"}
SAMPLE_MARK = "（示例）"
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif")

_MD = MarkdownIt("commonmark").disable(
    ["list", "code", "fence", "html_block", "html_inline", "blockquote", "hr", "table"],
    ignoreInvalid=True)


def split_front_matter(text: str, filename: str) -> tuple[dict, str, int]:
    """``(front matter, body, line number of the body's first line)``; no front matter is an error."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise SourceError(filename, "第1行", "缺少文件头：文件应以“---”开头，写明 title 等信息。",
                          errors.STRUCTURE)
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise SourceError(filename, "第1行", "文件头没有结束：缺少第二个“---”行。", errors.STRUCTURE)
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 2}行" if mark is not None else "文件头"
        raise SourceError(filename, where, f"文件头格式错误：{getattr(exc, 'problem', exc)}。",
                          errors.STRUCTURE) from None
    if not isinstance(meta, dict):
        raise SourceError(filename, "文件头", "文件头应为“键: 值”的形式。", errors.STRUCTURE)
    return meta, "\n".join(lines[end + 1:]), end + 2


def _check_keys(meta: dict, allowed: set[str], filename: str) -> None:
    unknown = sorted(str(k) for k in meta if k not in allowed)
    if unknown:
        raise SourceError(filename, "文件头", f"不认识的字段：{'、'.join(unknown)}。可用字段："
                          f"{'、'.join(sorted(allowed))}。", errors.STRUCTURE)


def _paragraphs(body: str, first_line: int, filename: str, assets: Mapping[str, bytes],
                base: str) -> tuple[list[Para], list[RawImage], list[int]]:
    paras: list[Para] = []
    images: list[RawImage] = []
    lines: list[int] = []
    for token in _MD.parse(body):
        line = first_line + (token.map[0] if token.map else 0)
        if token.type == "heading_open":
            raise SourceError(filename, f"第{line}行", "正文中不能有“#”标题：案例标题写在文件头的 title 中。",
                              errors.STRUCTURE)
        if token.type != "inline":
            continue
        text, bold, found = [], [], []
        in_bold = bold_done = False
        for child in token.children or []:
            if child.type == "image":
                found.append(child)
            elif child.type == "strong_open":
                in_bold = True
            elif child.type == "strong_close":
                in_bold = False
            elif child.type in ("text", "code_inline"):
                if not bold_done:
                    if in_bold:
                        bold.append(child.content)
                    elif child.content.strip():
                        bold_done = True
                text.append(child.content)
            # softbreak/hardbreak: Chinese lines wrap without a space, so they add nothing
        joined, bold_text = clean_line("".join(text)), clean_line("".join(bold))
        # CommonMark does not close "**强化引领。**内容" (a closing ** after punctuation and before a
        # letter is not right-flanking), a common shape in Chinese: take such a bold lead ourselves.
        closing = joined.find("**", 2) if joined.startswith("**") else -1
        if closing > 2:
            bold_text, joined = joined[2:closing], joined[2:closing] + joined[closing + 2:]
        if joined:
            paras.append(Para(joined, bold_text))
            lines.append(line)
        # An image goes after the paragraph it sits in, or after the one before its own line.
        images.extend(_image(child, filename, f"第{line}行", assets, base, len(paras) - 1)
                      for child in found)
    return paras, images, lines


def _image(token, filename: str, location: str, assets: Mapping[str, bytes], base: str,
           after: int) -> RawImage:
    src = token.attrs.get("src", "")
    if "://" in src or src.startswith("//"):
        raise SourceError(filename, location, f"图片“{src}”是网络地址：请把图片文件放在文章旁边，用相对路径引用。",
                          errors.STRUCTURE)
    path = posixpath.normpath(posixpath.join(base, src))
    if path.startswith("../") or path == ".." or posixpath.isabs(src):
        raise SourceError(filename, location, f"图片路径“{src}”超出了文章目录。", errors.STRUCTURE)
    if posixpath.splitext(path)[1].lower() not in IMAGE_EXTENSIONS:
        raise SourceError(filename, location, f"图片“{src}”的格式不支持：请用 PNG、JPEG 或 GIF。",
                          errors.UNSUPPORTED)
    data = assets.get(path)
    if data is None:
        raise SourceError(filename, location, f"找不到图片文件“{src}”。", errors.STRUCTURE)
    # The bytes decide what the image is (``assemble.build_case`` checks them with Pillow).
    return RawImage(after, path, data, clean_line(token.content), location=location,
                    hint="请把它转换为 PNG 或 JPEG 后再导入。")


def _parse_case(meta: dict, body: str, body_line: int, filename: str, *, series: str, chapter: str,
                assets: Mapping[str, bytes], base: str):
    _check_keys(meta, CASE_KEYS, filename)
    title = clean_line(str(meta.get("title") or ""))
    unit = clean_line(str(meta.get("unit") or ""))
    if not title:
        raise SourceError(filename, "文件头", "缺少 title（案例标题）。", errors.STRUCTURE)
    number = meta.get("number")
    if number is not None and (isinstance(number, bool) or not isinstance(number, int) or number < 1):
        raise SourceError(filename, "文件头", f"number 应为正整数，现为“{number}”。", errors.STRUCTURE)
    status = meta.get("status", "draft")
    if status not in STATUSES:
        raise SourceError(filename, "文件头", f"status 应为 {'/'.join(sorted(STATUSES))} 之一，现为“{status}”。",
                          errors.STRUCTURE)
    if meta.get("sample") is True and SAMPLE_MARK not in title + unit:
        raise SourceError(filename, "文件头", f"示例案例（sample: true）须在标题或单位中注明“{SAMPLE_MARK}”。",
                          errors.STRUCTURE)
    contact = meta.get("contact") or {}
    if not isinstance(contact, dict):
        raise SourceError(filename, "文件头", "contact 应为“键: 值”的形式（name/phone/mobile/email）。",
                          errors.STRUCTURE)
    paras, images, _ = _paragraphs(body, body_line, filename, assets, base)
    raw = RawCase(title=title, position="第1行", number=number, paras=paras, images=images, unit=unit,
                  contact={str(k): clean_line(str(v)) for k, v in contact.items() if v is not None})
    return build_case(raw, series=series, chapter=chapter, filename=filename)


def import_markdown(data: bytes, filename: str, *, series: str | None = None, chapter: str | None = None,
                    assets: Mapping[str, bytes] | None = None) -> ImportResult:
    """Import one Markdown case (or a ``chapter.md``); ``assets`` maps paths relative to it to bytes."""
    check_size(data, filename)
    meta, body, body_line = split_front_matter(decode_text(data, filename), filename)
    if posixpath.basename(filename) == "chapter.md":
        info = _parse_chapter(meta, body, body_line, filename, series or "")
        return ImportResult(chapters=(info,), series_title=info.series)
    case_series = series or clean_line(str(meta.get("series") or ""))
    case_chapter = resolve_chapter(str(meta.get("chapter") or ""), chapter, filename, "文件头")
    case = _parse_case(meta, body, body_line, filename, series=case_series, chapter=case_chapter,
                       assets=assets or {}, base="")
    return ImportResult(cases=(case,), series_title=case_series)


def _parse_chapter(meta: dict, body: str, body_line: int, filename: str, series: str) -> ChapterInfo:
    _check_keys(meta, CHAPTER_KEYS, filename)
    name = normalize_chapter(str(meta.get("chapter") or ""))
    if not name:
        raise SourceError(filename, "文件头", "chapter.md 缺少 chapter（篇章名）。", errors.STRUCTURE)
    order = meta.get("order")
    if order is not None and (isinstance(order, bool) or not isinstance(order, int)):
        raise SourceError(filename, "文件头", f"order 应为整数，现为“{order}”。", errors.STRUCTURE)
    paras, images, lines = _paragraphs(body, body_line, filename, {}, "")
    return ChapterInfo(series=series or clean_line(str(meta.get("series") or "")), name=name,
                       intro=tuple(p.text for p in paras), order=order or chapter_order(name))


def import_tree(files: Mapping[str, bytes], *, series: str | None = None) -> ImportResult:
    """Import a series directory given as ``{relative posix path: bytes}`` (see ``articles/README.md``).

    ``series.yaml`` gives the series title; each folder with a ``chapter.md`` is a chapter, and every
    other ``.md`` in that folder (``README.md`` aside) is one of its cases. Cases come out ordered by
    chapter order, then number, then file name.
    """
    series_title = series or ""
    if "series.yaml" in files:
        try:
            spec = yaml.safe_load(decode_text(files["series.yaml"], "series.yaml")) or {}
        except yaml.YAMLError as exc:
            raise SourceError("series.yaml", "", f"格式错误：{exc}", errors.STRUCTURE) from None
        if not isinstance(spec, dict) or not spec.get("title"):
            raise SourceError("series.yaml", "", "缺少 title（系列标题）。", errors.STRUCTURE)
        series_title = series or clean_line(str(spec["title"]))
    chapters: dict[str, ChapterInfo] = {}
    for path in sorted(p for p in files if posixpath.basename(p) == "chapter.md"):
        text = decode_text(files[path], path)
        meta, body, line = split_front_matter(text, path)
        chapters[posixpath.dirname(path)] = _parse_chapter(meta, body, line, path, series_title)
    cases = []
    for path in sorted(files):
        name = posixpath.basename(path)
        if not name.endswith(".md") or name in ("chapter.md", "README.md"):
            continue
        folder = posixpath.dirname(path)
        if folder not in chapters:
            raise SourceError(path, "", "所在目录没有 chapter.md，无法确定篇章。", errors.STRUCTURE)
        check_size(files[path], path)
        meta, body, line = split_front_matter(decode_text(files[path], path), path)
        chapter = resolve_chapter(str(meta.get("chapter") or ""), chapters[folder].name, path, "文件头")
        assets = {posixpath.relpath(p, folder) if folder else p: data for p, data in files.items()
                  if not folder or p.startswith(folder + "/")}
        cases.append(_parse_case(meta, body, line, path, series=series_title, chapter=chapter,
                                 assets=assets, base=""))
    order = {info.name: info.order or 99 for info in chapters.values()}
    cases.sort(key=lambda c: (order.get(c.chapter, 99), c.number or 0, c.source.file))
    ordered = tuple(sorted(chapters.values(), key=lambda c: (c.order or 99, c.name)))
    return ImportResult(cases=tuple(cases), chapters=ordered, series_title=series_title,
                        defines_series=True)
