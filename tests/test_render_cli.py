"""`wxpub render` / `wxpub lint` through their CLI contract, and the stored versions behind them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from wxpub.models import Message, MessageVersion

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PAGE = ROOT / "tests" / "fixtures" / "import" / "binhai-2023-renwen-page-part1.txt"


@pytest.fixture
def wxpub(cli):
    """The `wxpub` command, in-process, on the test database."""
    return cli


def hostile_page(tmp_path: Path) -> Path:
    text = SAMPLE_PAGE.read_text(encoding="utf-8").replace(
        "滨海新区区委人才办创新“双招双引”模式",
        "滨海新区区委人才办<script>alert(1)</script><img src=x onerror=alert(2)>"
        "<style>p{color:red}</style>创新“双招双引”模式，详见https://www.example.com/report")
    path = tmp_path / "hostile.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_render_writes_manifest_and_html_that_are_safe_and_deterministic(wxpub, tmp_path, sample_series):
    assert wxpub("import", str(hostile_page(tmp_path))).exit_code == 0
    first = wxpub("render", "--chapter", "人文环境", "--out", str(tmp_path / "a"))
    assert first.exit_code == 0, first.output
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    article = manifest["articles"][0]
    assert set(article) >= {"title", "author", "digest", "file", "chars", "bytes", "sha256", "findings"}
    assert article["title"] == "人文环境篇丨2023年度滨海新区优化营商环境创新实践案例展示"
    html = (tmp_path / "a" / article["file"]).read_text(encoding="utf-8")
    assert article["chars"] == len(html) and article["bytes"] == len(html.encode("utf-8"))
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all(["script", "style", "iframe", "form"])
    for element in soup.find_all(True):
        assert not {"class", "id"} & set(element.attrs), element
        assert not [a for a in element.attrs if a.lower().startswith("on")], element
    assert not [a for a in soup.find_all("a") if a.get("href", "").startswith("http")
                and "mp.weixin.qq.com" not in a["href"]]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # imported markup shown as text
    assert "参考链接" in html and "https://www.example.com/report" in html  # link as footnote
    assert "<strong" in html and "一是全领域覆盖发布招才榜" in html

    second = wxpub("render", "--chapter", "人文环境", "--out", str(tmp_path / "b"))
    assert "内容未变" in second.output
    assert (tmp_path / "a" / article["file"]).read_bytes() == (tmp_path / "b" / article["file"]).read_bytes()


def test_an_edit_makes_a_new_version(wxpub, runtime, tmp_path, sample_series):
    page = tmp_path / "page.txt"
    page.write_text(SAMPLE_PAGE.read_text(encoding="utf-8"), encoding="utf-8")
    wxpub("import", str(page))
    wxpub("render", "--chapter", "人文环境", "--out", str(tmp_path / "v1"))
    page.write_text(page.read_text(encoding="utf-8").replace("93名", "94名"), encoding="utf-8")
    wxpub("import", str(page))
    result = wxpub("render", "--chapter", "人文环境", "--out", str(tmp_path / "v2"))
    assert "v2（新版本）" in result.output
    with runtime.db.session() as s:
        message = s.scalar(select(Message))
        versions = s.scalars(select(MessageVersion).where(MessageVersion.message_id == message.id)).all()
        assert [v.version for v in versions] == [1, 2]
        assert versions[0].sha256 != versions[1].sha256


def test_lint_flags_planted_errors_and_passes_a_clean_chapter(wxpub, tmp_path, sample_series):
    wxpub("import", str(SAMPLE_PAGE))
    clean = wxpub("lint", "--chapter", "人文环境", "--json")
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.stdout)["blocking"] == 0

    planted = SAMPLE_PAGE.read_text(encoding="utf-8").replace(
        "形成了“高端引领、千帆竞发”的浩大声势。",
        "形成了“高端引领、千帆竞发”的浩大声势。中华人民共合国攻府绝密文件，联系13812345678，"
        "身份证11010519491231002X。")
    page = tmp_path / "planted.txt"
    page.write_text(planted, encoding="utf-8")
    wxpub("import", str(page))
    dirty = wxpub("lint", "--chapter", "人文环境", "--json")
    assert dirty.exit_code == 1
    findings = json.loads(dirty.stdout)["targets"][0]["findings"]
    rules = {f["rule"] for f in findings if f["severity"] == "blocking"}
    assert any("id_card" in r for r in rules) and any("mobile" in r for r in rules)
    texts = " ".join(f["text"] for f in findings)
    assert "13812345678" not in texts and "11010519491231002X" not in texts  # masked
    assert "中华人民共合国" in texts and "攻府" in texts and "绝密" in texts


def test_unknown_chapter_and_theme_are_clear_errors(wxpub, tmp_path, sample_series):
    wxpub("import", str(SAMPLE_PAGE))
    missing = wxpub("render", "--chapter", "外星环境", "--out", str(tmp_path / "x"))
    assert missing.exit_code == 2 and "外星环境" in missing.stderr
    theme = wxpub("render", "--chapter", "人文环境", "--theme", "荧光绿", "--out", str(tmp_path / "y"))
    assert theme.exit_code == 2 and "荧光绿" in theme.stderr
    assert not (tmp_path / "y" / "manifest.json").exists()


def test_a_series_cover_is_used_for_the_articles(wxpub, tmp_path, sample_series):
    import io

    from PIL import Image
    wxpub("import", str(SAMPLE_PAGE))
    buffer = io.BytesIO()
    Image.new("RGB", (900, 383), (20, 90, 160)).save(buffer, "JPEG", quality=80)
    cover = tmp_path / "cover.jpg"
    cover.write_bytes(buffer.getvalue())
    series = "2023年度滨海新区优化营商环境创新实践案例展示"
    assert wxpub("series", "cover", series, str(cover)).exit_code == 0
    wxpub("render", "--chapter", "人文环境", "--out", str(tmp_path / "out"))
    preview = (tmp_path / "out" / "preview.html").read_text(encoding="utf-8")
    import base64
    assert base64.b64encode(buffer.getvalue()).decode()[:200] in preview
    bad = tmp_path / "cover.gif"
    Image.new("RGB", (10, 10)).save(bad, "GIF")
    refused = wxpub("series", "cover", series, str(bad))
    assert refused.exit_code == 2 and "JPG 或 PNG" in refused.stderr
