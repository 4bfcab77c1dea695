"""The proofreading lexicon the office maintains (YAML), with errors that name the line.

File shape (see ``wxpub/core/data/lexicon.yaml``, the seed)::

    version: 1
    wording_errors:            # serious wording errors: always blocking
      - {wrong: 中华人民共合国, right: 中华人民共和国, note: 国名错误}
    terms:                     # words to flag; `allow` lists longer phrases that are fine
      - {word: 秘密, category: 涉密, severity: warning, allow: [商业秘密]}
    patterns:                  # regular expressions (for marks like "秘密★")
      - {pattern: '(绝密|机密|秘密)\\s*★', category: 涉密, severity: blocking}
"""

from __future__ import annotations

from wxpub.core.errors import ValidationError

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

SEED_PATH = Path(__file__).resolve().parent.parent / "data" / "lexicon.yaml"
SEVERITIES = ("blocking", "warning")


class LexiconError(ValidationError, ValueError):
    """A lexicon file that cannot be used; the message (Chinese) names the file and line."""


@dataclass(frozen=True)
class Entry:
    """One thing to look for: a compiled regex plus how to report it."""

    kind: str                 # wording | term | pattern
    regex: re.Pattern
    severity: str
    category: str
    note: str = ""
    right: str = ""
    allow: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class Lexicon:
    """A loaded lexicon: its entries and where it came from."""

    entries: tuple[Entry, ...]
    source: str = ""

    @functools.cached_property
    def prefilter(self) -> re.Pattern | None:
        """One regex matching wherever any entry could match: most paragraphs match none, and
        one search is much cheaper than one per entry. None when the patterns cannot be joined
        (e.g. back-references), and every entry is then tried."""
        if not self.entries:
            return None
        try:
            return re.compile("|".join(f"(?:{e.regex.pattern})" for e in self.entries))
        except re.error:
            return None


class _Reader:
    """Walks the YAML node tree so every error can name its line."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, node, message: str):
        line = node.start_mark.line + 1 if node is not None else 1
        raise LexiconError(f"词库文件 {self.name} 第 {line} 行：{message}")

    def mapping(self, node, what: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{what}应为“键: 值”的映射")
        out = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                self.fail(key, "键必须是文字")
            out[key.value] = value
        return out

    def sequence(self, node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, f"{what}应为列表（每项以“- ”开头）")
        return list(node.value)

    def text(self, fields: dict, key: str, parent, required: bool = True) -> str:
        node = fields.get(key)
        if node is None:
            if required:
                self.fail(parent, f"缺少 {key}")
            return ""
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            self.fail(node, f"{key} 应为非空文字")
        return str(node.value).strip()

    def severity(self, fields: dict, parent, default: str) -> str:
        value = self.text(fields, "severity", parent, required=False) or default
        if value not in SEVERITIES:
            self.fail(fields.get("severity"), f"severity 只能是 blocking 或 warning，而不是“{value}”")
        return value

    def check_keys(self, fields: dict, allowed: set[str], parent) -> None:
        for key, node in fields.items():
            if key not in allowed:
                self.fail(node, f"未知字段“{key}”（可用：{'、'.join(sorted(allowed))}）")


def _words_regex(word: str) -> re.Pattern:
    return re.compile(re.escape(word))


def parse_lexicon(text: str, name: str = "<lexicon>") -> Lexicon:
    """Parse lexicon YAML ``text``; ``name`` is used in error messages."""
    reader = _Reader(name)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise LexiconError(f"词库文件 {name} 第 {line} 行：YAML 格式错误"
                           f"（{getattr(exc, 'problem', '') or exc}）") from exc
    if root is None:
        raise LexiconError(f"词库文件 {name} 是空文件")
    top = reader.mapping(root, "文件顶层")
    reader.check_keys(top, {"version", "wording_errors", "terms", "patterns"}, root)
    entries: list[Entry] = []
    for item in reader.sequence(top["wording_errors"], "wording_errors") if "wording_errors" in top else []:
        f = reader.mapping(item, "每条 wording_errors")
        reader.check_keys(f, {"wrong", "right", "note"}, item)
        wrong = reader.text(f, "wrong", item)
        entries.append(Entry("wording", _words_regex(wrong), "blocking", "表述错误",
                             reader.text(f, "note", item, False), reader.text(f, "right", item),
                             line=item.start_mark.line + 1))
    for item in reader.sequence(top["terms"], "terms") if "terms" in top else []:
        f = reader.mapping(item, "每条 terms")
        reader.check_keys(f, {"word", "category", "severity", "note", "allow"}, item)
        allow: tuple[str, ...] = ()
        if "allow" in f:
            allow = tuple(str(n.value) for n in reader.sequence(f["allow"], "allow")
                          if isinstance(n, yaml.ScalarNode))
        entries.append(Entry("term", _words_regex(reader.text(f, "word", item)),
                             reader.severity(f, item, "warning"),
                             reader.text(f, "category", item, False) or "敏感词",
                             reader.text(f, "note", item, False), allow=allow,
                             line=item.start_mark.line + 1))
    for item in reader.sequence(top["patterns"], "patterns") if "patterns" in top else []:
        f = reader.mapping(item, "每条 patterns")
        reader.check_keys(f, {"pattern", "category", "severity", "note"}, item)
        source = reader.text(f, "pattern", item)
        try:
            regex = re.compile(source)
        except re.error as exc:
            reader.fail(f["pattern"], f"正则表达式有误（{exc}）")
        entries.append(Entry("pattern", regex, reader.severity(f, item, "blocking"),
                             reader.text(f, "category", item, False) or "涉密",
                             reader.text(f, "note", item, False), line=item.start_mark.line + 1))
    return Lexicon(tuple(entries), name)


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """Read a lexicon file (the seed ``wxpub/core/data/lexicon.yaml`` when ``path`` is None)."""
    if path is None:
        return _seed()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LexiconError(f"无法读取词库文件 {path}：{exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise LexiconError(f"词库文件 {path} 不是 UTF-8 编码") from exc
    return parse_lexicon(text, str(path))


@functools.lru_cache(maxsize=1)
def _seed() -> Lexicon:
    return parse_lexicon(SEED_PATH.read_text(encoding="utf-8"), str(SEED_PATH))
