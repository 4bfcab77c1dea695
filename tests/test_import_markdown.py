"""Markdown cases with front matter, and the sample series in articles/."""

from __future__ import annotations

from pathlib import Path

import pytest

from wxpub.core.content import STANDARD_CHAPTERS
from wxpub.core.importers import SourceError, import_bytes, import_tree

ROOT = Path(__file__).resolve().parent.parent
SERIES = ROOT / "articles" / "binhai-2023"
PAGE = Path(__file__).parent / "fixtures" / "import" / "binhai-2023-renwen-page-part1.txt"
PNG = (SERIES / "1-shichang" / "images" / "01-flow.png").read_bytes()


def tree_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def series():
    return import_tree(tree_files(SERIES))


def test_sample_series_has_four_chapters_in_order(series):
    assert series.series_title == "2023年度滨海新区优化营商环境创新实践案例展示"
    assert [(c.order, c.name) for c in series.chapters] == list(enumerate(STANDARD_CHAPTERS, 1))
    assert all(c.intro for c in series.chapters)
    counts = {name: sum(c.chapter == name for c in series.cases) for name in STANDARD_CHAPTERS}
    assert counts["人文环境"] == 5 and all(2 <= counts[n] <= 3 for n in STANDARD_CHAPTERS[:3])


def test_synthetic_cases_are_visibly_marked_and_in_house_style(series):
    for case in series.cases:
        if case.chapter == "人文环境":
            continue
        assert "（示例）" in case.title and "（示例）" in case.unit
        assert len(case.lead) >= 1 and len(case.closing) >= 1
        assert [p.lead[:2] for p in case.points] == ["一是", "二是", "三是"]


def test_renwen_chapter_is_the_published_page_unchanged(series):
    page = import_bytes(PAGE.read_bytes(), PAGE.name)
    ours = [c for c in series.cases if c.chapter == "人文环境"]
    assert [c.content_hash for c in ours] == [c.content_hash for c in page.cases]
    assert series.chapters[3].intro == page.chapters[0].intro


def test_image_beside_a_case_is_loaded_after_its_paragraph(series):
    (case,) = [c for c in series.cases if c.images]
    (image,) = case.images
    assert image.name == "01-flow.png" and image.content_type == "image/png" and image.data == PNG
    assert image.after == 1 and image.caption.startswith("“一企一证”办理流程示意")
    assert case.source.file == "1-shichang/01-yiqi-yizheng.md"


def case_md(front: str, body: str = "导语。\n\n一是做法，内容。\n\n结尾。") -> bytes:
    return f"---\n{front}\n---\n\n{body}\n".encode()


def test_single_file_with_assets_bold_lead_and_wrapped_lines():
    body = ("导语第一行\n导语第二行。\n\n**一是强化引领**，内容。\n\n![图](images/a.png)\n\n"
            "    二是缩进段落，内容。\n\n1-11月，结尾。")
    data = case_md("title: 标题 副题\nnumber: 2\nchapter: 人文环境篇\nunit: 某局\n"
                   "contact: {name: 张三, phone: '022-1'}", body)
    (case,) = import_bytes(data, "02-x.md", assets={"images/a.png": PNG}).cases
    assert (case.title, case.number, case.chapter, case.unit) == ("标题 副题", 2, "人文环境", "某局")
    assert case.contact == {"name": "张三", "phone": "022-1"}
    assert case.lead == ("导语第一行导语第二行。",)
    assert [p.lead for p in case.points] == ["一是强化引领", "二是缩进段落，"]
    assert case.closing == ("1-11月，结尾。",)
    assert case.images[0].after == 1


@pytest.mark.parametrize("front,body,message", [
    ("number: 1", None, "缺少 title"),
    ("title: 标题\ntitel: 错字", None, "不认识的字段：titel"),
    ("title: 标题\nnumber: 一", None, "number 应为正整数"),
    ("title: 标题\nstatus: done", None, "status 应为"),
    ("title: 标题\nsample: true", None, "（示例）"),
    ("title: 标题", "# 小标题\n\n正文。", "不能有“#”标题"),
    ("title: 标题", "正文。\n\n![图](http://example.com/a.png)", "网络地址"),
    ("title: 标题", "正文。\n\n![图](../../etc/passwd.png)", "超出了文章目录"),
    ("title: 标题", "正文。\n\n![图](missing.png)", "找不到图片"),
    ("title: 标题", "正文。\n\n![图](a.bmp)", "格式不支持"),
    ("title: [未闭合", None, "文件头格式错误"),
])
def test_markdown_errors(front, body, message):
    data = case_md(front) if body is None else case_md(front, body)
    with pytest.raises(SourceError) as caught:
        import_bytes(data, "x.md")
    assert message in caught.value.message and caught.value.file == "x.md"


def test_missing_front_matter_is_an_error():
    with pytest.raises(SourceError) as caught:
        import_bytes("正文。".encode(), "x.md")
    assert caught.value.location == "第1行" and "文件头" in caught.value.message


def test_image_with_wrong_content_is_refused():
    with pytest.raises(SourceError) as caught:
        import_bytes(case_md("title: 标题", "正文。\n\n![图](a.png)"), "x.md", assets={"a.png": b"GIF89a"})
    assert caught.value.code == "corrupt"


def test_case_folder_without_chapter_md_is_an_error():
    with pytest.raises(SourceError) as caught:
        import_tree({"1-x/01-a.md": case_md("title: 标题")})
    assert caught.value.file == "1-x/01-a.md" and "chapter.md" in caught.value.message


def test_tree_is_deterministic():
    files = tree_files(SERIES)
    first, second = import_tree(files), import_tree(dict(reversed(list(files.items()))))
    assert [c.content_hash for c in first.cases] == [c.content_hash for c in second.cases]
