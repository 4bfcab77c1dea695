"""A release's manual fallback pack (``wxpub.publishing.fallback``) as one zip, built in memory for
download: every file of ``<instance>/fallback/release-<id>/`` under a folder named after the release,
file names in UTF-8 (``步骤.txt`` opens as 步骤.txt on Windows and macOS).

Only a folder inside the configured fallback directory is ever read: a ``fallback_path`` pointing
anywhere else (an edited row, an old instance path), a symbolic link and anything that is not a
regular file are left out — the answer is then "no pack" (``NotFound``), never another file.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from wxpub.core.errors import NotFound
from wxpub.models import Release

MAX_PACK_BYTES = 200 * 1024 * 1024  # far above a message's images; a guard against a runaway folder


def fallback_root(settings) -> Path:
    """The folder every fallback pack lives in."""
    return (Path(settings.instance_path) / "fallback").resolve()


def pack_folder(settings, release: Release) -> Path:
    """The release's pack folder, checked to lie inside the fallback directory, or ``NotFound``."""
    missing = NotFound(f"发布 {release.id} 没有手工发布材料（只有发布失败时才会生成）", code="no_pack")
    if not release.fallback_path:
        raise missing
    root = fallback_root(settings)
    raw = Path(release.fallback_path)
    if raw.is_symlink():
        raise missing
    folder = raw.resolve()
    if folder == root or root not in folder.parents or not folder.is_dir():
        raise missing
    return folder


def files(folder: Path) -> list[Path]:
    """The regular files of the pack in a stable order (no links, nothing outside ``folder``)."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        if folder not in path.resolve().parents:  # reached through a linked folder
            continue
        found.append(path)
    return found


def zip_pack(settings, release: Release) -> tuple[bytes, str]:
    """``(zip bytes, file name)`` of the release's fallback pack; ``NotFound`` when it has none."""
    folder = pack_folder(settings, release)
    top = f"发布{release.id}-手工发布材料"
    buffer = io.BytesIO()
    total = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files(folder):
            total += path.stat().st_size
            if total > MAX_PACK_BYTES:
                raise NotFound(f"发布 {release.id} 的手工发布材料过大，请在服务器上直接取用：{folder}",
                               code="pack_too_large")
            # zipfile marks non-ASCII names as UTF-8 (flag bit 11), which unzip tools honour.
            archive.write(path, f"{top}/{path.relative_to(folder).as_posix()}")
    return buffer.getvalue(), f"{top}.zip"
