"""Read import sources from disk and hand their bytes to the (pure) importers.

A folder holding a ``series.yaml`` is a content-as-files series (``articles/README.md``) and is imported
as a whole; a single Markdown case inside such a folder is imported with its series, chapter and the
images beside it. Everything else is imported file by file. Sizes are checked before reading, so an
oversized file is refused without loading it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wxpub.core.content import ImportResult
from wxpub.core.errors import ValidationError
from wxpub.core.importers import MAX_FILE_BYTES, SourceError, import_bytes, import_tree

SUPPORTED = (".md", ".markdown", ".docx", ".xlsx", ".txt", ".html", ".htm")
SKIPPED_NAMES = {"readme.md"}


@dataclass
class Unit:
    """One thing to import: a single file, a whole series folder, or one case of a series folder."""

    label: str
    path: Path
    series_root: Path | None = None


def discover(paths) -> list[Unit]:
    """Expand the command-line paths into import units, in a stable order."""
    units: list[Unit] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise ValidationError(f"找不到文件或目录：{raw}")
        if path.is_file():
            root = _series_root(path)
            units.append(Unit(str(path), path, root if path.suffix.lower() in (".md", ".markdown") else None))
            continue
        roots = sorted(p.parent for p in path.rglob("series.yaml") if not _hidden(p))
        units.extend(Unit(str(root), root, root) for root in roots)
        for file in sorted(path.rglob("*")):
            if (file.is_file() and file.suffix.lower() in SUPPORTED and not _hidden(file)
                    and file.name.lower() not in SKIPPED_NAMES
                    and not any(root in file.parents for root in roots)):
                units.append(Unit(str(file), file))
    return units


def load(unit: Unit, *, series: str | None = None, chapter: str | None = None) -> ImportResult:
    """Import one unit; every problem is a ``SourceError`` naming the file (relative to the cwd)."""
    if unit.series_root is not None and unit.path.is_dir():
        return _tree(unit.series_root, _files_below(unit.series_root), series)
    if unit.series_root is not None:
        root = unit.series_root
        folder = unit.path.parent
        files = {p: d for p, d in _files_below(root).items()
                 if p == "series.yaml" or p == _rel(folder / "chapter.md", root)
                 or p == _rel(unit.path, root)
                 or (not p.endswith(".md") and p.startswith(_rel(folder, root) + "/"))}
        return _tree(root, files, series)
    return import_bytes(_read(unit.path), str(unit.path), series=series, chapter=chapter)


def _tree(root: Path, files: dict[str, bytes], series: str | None) -> ImportResult:
    try:
        return import_tree(files, series=series)
    except SourceError as error:
        raise SourceError(str(root / error.file), error.location, error.message, error.code) from None


def _files_below(root: Path) -> dict[str, bytes]:
    return {_rel(p, root): _read(p) for p in sorted(root.rglob("*"))
            if p.is_file() and not _hidden(p.relative_to(root))}


def _read(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SourceError(str(path), "", f"文件太大（{size / 1048576:.1f} MB），上限为 "
                          f"{MAX_FILE_BYTES // 1048576} MB。", "too_large")
    return path.read_bytes()


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _series_root(path: Path) -> Path | None:
    for parent in path.parents:
        if (parent / "series.yaml").is_file():
            return parent
    return None


def _hidden(path: Path) -> bool:
    return any(part.startswith(".") and part not in (".", "..") for part in path.parts)
