"""Read import sources from disk and hand their bytes to the (pure) importers.

A folder holding a ``series.yaml`` is a content-as-files series (``articles/README.md``) and is imported
as a whole; a single Markdown case inside such a folder is imported with its series, chapter and the
images beside it. Everything else is imported file by file. Sizes are checked before reading, so an
oversized file is refused without loading it. A file named on its own must be of a type that can
be imported (``SUPPORTED``): a .pdf, .doc, .pptx, .zip, .jpg … is refused before anything is read,
with a message naming it and the supported types (``unsupported``; ``check_supported`` for a caller
holding one uploaded file).

A file found inside a folder (a series folder, or a folder named on the command line) must really be
inside it: a symbolic link that leads out of the folder (to /etc/…, another department's files, …) is
refused with an error naming it, so that importing a folder can never read what lies outside it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path, PurePath

from wxpub.core.content import ImportResult
from wxpub.core.errors import ValidationError
from wxpub.core.importers import MAX_FILE_BYTES, SourceError, errors, import_bytes, import_tree

SUPPORTED = (".docx", ".xlsx", ".md", ".markdown", ".txt", ".html", ".htm")
SUPPORTED_SHOWN = ".docx .xlsx .md .txt .html"  # what staff are told (.markdown and .htm are read too)
#: old or other office formats: the program that can save them as one we read
SAVE_AS = {".doc": ("Word", ".docx"), ".xls": ("Excel", ".xlsx"), ".wps": ("WPS 文字", ".docx"),
           ".et": ("WPS 表格", ".xlsx"), ".rtf": ("Word", ".docx"), ".csv": ("Excel", ".xlsx")}
SKIPPED_NAMES = {"readme.md"}


@dataclass
class Unit:
    """One thing to import: a single file, a whole series folder, or one case of a series folder."""

    label: str
    path: Path
    series_root: Path | None = None
    folder: Path | None = None  # the folder it was found in, which it must not lead out of


def unsupported(filename: str) -> str | None:
    """Why a file of this name cannot be imported, in Chinese (``None`` when its type is supported)."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in SUPPORTED:
        return None
    what = f" {suffix} 文件" if suffix else "没有扩展名的文件"
    reason = f"不支持导入{what}（支持的类型：{SUPPORTED_SHOWN}）。"
    if suffix in SAVE_AS:
        program, target = SAVE_AS[suffix]
        reason += f"请在 {program} 中打开，“另存为” {target} 格式后再导入。"
    return reason


def check_supported(filename: str) -> None:
    """A ``SourceError`` (code ``unsupported``) naming ``filename`` when its type cannot be imported."""
    reason = unsupported(filename)
    if reason:
        raise SourceError(filename, "", reason, errors.UNSUPPORTED)


def discover(paths) -> list[Unit]:
    """Expand the command-line paths into import units, in a stable order.

    A missing path, or a file named on its own whose type is not supported, is a ``ValidationError``
    (naming every such file) before anything is read, so nothing of the batch is imported."""
    units: list[Unit] = []
    refused = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise ValidationError(f"找不到文件或目录：{raw}")
        reason = unsupported(path.name) if path.is_file() else None
        if reason:
            refused.append(f"{raw}：{reason}")
            continue
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
                units.append(Unit(str(file), file, folder=path))
    if refused:
        batch = "本批次未导入任何内容。" if len(paths) > 1 else ""
        raise ValidationError("\n".join(refused) + ("\n" if len(refused) > 1 else "") + batch)
    return units


def load(unit: Unit, *, series: str | None = None, chapter: str | None = None) -> ImportResult:
    """Import one unit; every problem is a ``SourceError`` naming the file (relative to the cwd)."""
    if unit.folder is not None:
        _check_inside(unit.path, unit.folder)
    if unit.series_root is not None and unit.path.is_dir():
        return _tree(unit.series_root, _files_below(unit.series_root), series)
    if unit.series_root is not None:
        root = unit.series_root
        folder = unit.path.parent
        wanted = {"series.yaml", _rel(folder / "chapter.md", root), _rel(unit.path, root)}
        files = _files_below(root, lambda p: p in wanted or (
            not p.endswith(".md") and p.startswith(_rel(folder, root) + "/")))
        return _tree(root, files, series)
    return import_bytes(_read(unit.path), str(unit.path), series=series, chapter=chapter)


def _tree(root: Path, files: dict[str, bytes], series: str | None) -> ImportResult:
    try:
        result = import_tree(files, series=series)
    except SourceError as error:
        raise SourceError(str(root / error.file), error.location, error.message, error.code) from None
    return replace(result, warnings=tuple(replace(w, file=str(root / w.file)) for w in result.warnings))


def _files_below(root: Path, keep=lambda relative: True) -> dict[str, bytes]:
    entries = [p for p in sorted(root.rglob("*")) if not _hidden(p.relative_to(root))]
    files = [p for p in entries if p.is_file() and keep(_rel(p, root))]
    # A linked folder is not walked into; one that leads outside is named rather than just missing.
    linked_folders = [p for p in entries if p.is_symlink() and p.is_dir() and keep(_rel(p, root) + "/")]
    for path in files + linked_folders:
        _check_inside(path, root)
    return {_rel(p, root): _read(p) for p in files}


def _check_inside(path: Path, folder: Path) -> None:
    """Refuse ``path`` when it (through a symbolic link anywhere on its way) leads out of ``folder``."""
    real, home = path.resolve(), folder.resolve()
    if real == home or home in real.parents:
        return
    raise SourceError(str(path), "", f"这是一个指向“{folder}”目录之外的符号链接（快捷方式），已拒绝读取。"
                      "请把真正的文件复制到这个目录里再导入。", errors.OUTSIDE_FOLDER)


def _read(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SourceError(str(path), "", f"文件太大（{size / 1048576:.1f} MB），上限为 "
                          f"{MAX_FILE_BYTES // 1048576} MB。", errors.TOO_LARGE)
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
