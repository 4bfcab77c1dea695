"""Themes as data: ``wxpub/core/themes/*.yaml`` (colours, cover colours, extra CSS) over ``base.css``.

A theme file holds ``name`` (Chinese, the lookup key), ``vars`` (the ``$name`` placeholders of
base.css), optional ``cover`` colours and optional ``css`` appended after base.css. ``credits: true``
ends every published article with the reviewers' names (``wxpub.core.render.credits``; default
false), ``credits_proofreading: true`` adds the 校对 people to that line.
"""

from __future__ import annotations

from wxpub.core.errors import ValidationError

import functools
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import yaml

THEMES_DIR = Path(__file__).resolve().parent.parent / "themes"
DEFAULT_THEME = "政务红"


class ThemeError(ValidationError, ValueError):
    """An unknown theme name or a malformed theme file (message in Chinese)."""


@dataclass(frozen=True)
class Theme:
    """A loaded theme: its name, the complete CSS to inline, and the cover colours."""

    name: str
    css: str
    description: str = ""
    cover: dict[str, str] = field(default_factory=dict)
    source: str = ""
    credits: bool = False
    credits_proofreading: bool = False


def _load_file(path: Path) -> Theme:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        raise ThemeError(f"主题文件 {path.name} {where}格式错误：{exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise ThemeError(f"主题文件 {path.name} 缺少 name（主题名称）")
    variables = data.get("vars") or {}
    base = (THEMES_DIR / "base.css").read_text(encoding="utf-8")
    try:
        css = Template(base).substitute({k: str(v) for k, v in variables.items()})
    except KeyError as exc:
        raise ThemeError(f"主题文件 {path.name} 的 vars 缺少变量 {exc.args[0]}") from exc
    extra = data.get("css") or ""
    return Theme(name=data["name"], css=css + "\n" + extra, description=data.get("description", ""),
                 cover={k: str(v) for k, v in (data.get("cover") or {}).items()},
                 source=str(path), credits=data.get("credits") is True,
                 credits_proofreading=data.get("credits_proofreading") is True)


@functools.lru_cache(maxsize=None)
def _all_themes() -> dict[str, Theme]:
    themes: dict[str, Theme] = {}
    for path in sorted(THEMES_DIR.glob("*.yaml")):
        theme = _load_file(path)
        themes[theme.name] = theme
    return themes


def list_themes() -> list[str]:
    """Names of the installed themes, sorted."""
    return sorted(_all_themes())


def get_theme(name: str | Theme = DEFAULT_THEME) -> Theme:
    """The theme called ``name`` (a ``Theme`` passes through); unknown names raise ThemeError."""
    if isinstance(name, Theme):
        return name
    themes = _all_themes()
    if name not in themes:
        raise ThemeError(f"未知主题“{name}”，可用主题：{'、'.join(sorted(themes))}")
    return themes[name]
