"""The standalone preview page."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re

from PIL import Image as PILImage

from wxpub.core.content import Image
from wxpub.core.lint import lint_message
from wxpub.core.render import preview_page, render_chapter
from wxpub.core.render.samples import sample_chapter


def png() -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (8, 8), (0, 90, 200)).save(buf, format="PNG")
    return buf.getvalue()


def test_preview_shows_every_article_as_sent_in_a_phone_frame():
    msg = render_chapter(sample_chapter(), author="新政服")
    page = preview_page(msg)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "width:375px" in page
    for article in msg.articles:
        assert article.html in page  # byte-for-byte what will be sent (no images here)
        assert article.title in page and article.digest in page and article.sha256 in page
    assert msg.sha256 in page
    assert "未发现问题" in page


def test_preview_is_self_contained():
    page = preview_page(render_chapter(sample_chapter(2)))
    assert not re.search(r"<(link|script)\b", page)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@import" not in page


def test_preview_lists_findings_beside_the_article():
    base = sample_chapter(2)
    bad = dataclasses.replace(base.cases[1], lead=("联系电话13812345678。",))
    msg = render_chapter(dataclasses.replace(base, cases=(base.cases[0], bad)))
    page = preview_page(msg)
    assert "含手机号码" in page and "138****5678" in page
    assert "13812345678" not in page.replace(msg.articles[0].html, "")
    assert "阻断" in page
    assert len(lint_message(msg)) >= 1


def test_preview_images_from_mapping_or_placeholder():
    base = sample_chapter(1)
    data = png()
    sha = hashlib.sha256(data).hexdigest()
    case = dataclasses.replace(base.cases[0], images=(Image("a.png", data, "image/png"),))
    msg = render_chapter(dataclasses.replace(base, cases=(case,)))
    shown = preview_page(msg, image_urls={sha: "data:image/png;base64,QUJD"})
    assert 'src="data:image/png;base64,QUJD"' in shown and "wxpub-image:" not in shown
    missing = preview_page(msg)
    assert "data:image/svg+xml;base64," in missing and "wxpub-image:" not in missing
