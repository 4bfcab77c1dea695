"""Help pages that read well in Chinese: full-width colons after headings, columns and line breaks
measured in terminal columns (a Chinese character takes two), no line starting with ，。、 and the
like, and Chinese placeholders in usage lines (``[选项]``, ``命令 [参数]...``, ``--port 整数``).

``localize(command)`` applies this to a command and every command below it; ``wxpub.cli.main``
calls it on the ``wxpub`` group once all sub-commands are registered. Click's words themselves are
translated by ``wxpub.cli.i18n``.
"""

from __future__ import annotations

import re
import unicodedata

import click

_WIDE = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK = re.compile(f"[{_WIDE}]")
#: punctuation that must not end a line (it goes to the next line with what follows it)
NO_LINE_END = "（《「『“‘[("
#: punctuation that must not begin a line (it stays on the line before, even if that overflows)
NO_LINE_START = set("，。、；：？！）》」』”’%…—·,.;:?!)]")
# a line may break between two Chinese characters or at a space; an opening bracket sticks to what follows
_TOKENS = re.compile(rf"\s+|[{re.escape(NO_LINE_END)}]+(?:[{_WIDE}]|[^\s{_WIDE}]+)?|[{_WIDE}]|[^\s{_WIDE}]+")


def columns(text: str) -> int:
    """Terminal columns ``text`` takes (East Asian wide and full-width characters count two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in click.unstyle(text))


def fill(text: str, width: int, indent: str = "") -> list[str]:
    """One paragraph as lines of at most ``width`` columns. Closing punctuation never starts a line:
    it takes the character or word before it along to the next one (a single word longer than a
    line may still run over)."""
    lines: list[list[str]] = []
    line: list[str] = []  # the tokens of the line being filled, each with the space before it
    space = False
    for token in _TOKENS.findall(text):
        if token.isspace():
            space = bool(line)
            continue
        piece, space = (" " if space else "") + token, False
        if not line or columns(indent + "".join(line + [piece])) <= width:
            line.append(piece)
            continue
        keep = len(line)  # the tokens that stay on the full line
        if token[0] in NO_LINE_START:
            while keep and line[keep - 1].lstrip()[:1] in NO_LINE_START:
                keep -= 1
            keep -= 1
            if keep < 1:
                line.append(piece)  # the line is that one word: let it run over
                continue
        lines.append(line[:keep])
        line = line[keep:] + [piece]
        line[0] = line[0].lstrip()
    if line:
        lines.append(line)
    return [indent + "".join(tokens) for tokens in lines]


def _join(lines: list[str]) -> str:
    """Lines of one paragraph as one text: Chinese is joined without a space, other words with one."""
    text = ""
    for line in lines:
        line = line.strip()
        if text and not (_CJK.match(line[:1]) or _CJK.match(text[-1:])):
            text += " "
        text += line
    return text


def wrap(text: str, width: int, indent: str = "") -> str:
    """Like ``click.formatting.wrap_text(..., preserve_paragraphs=True)``, measured in columns:
    blank lines separate paragraphs, a paragraph's own indentation is kept, and one that starts with
    a ``\\b`` line is written as it is."""
    paragraphs, block = [], []
    for line in text.expandtabs().splitlines() + [""]:
        if line.strip():
            block.append(line)
        elif block:
            paragraphs.append(block)
            block = []
    out = []
    for block in paragraphs:
        if block[0].strip() == "\b":
            out.append("\n".join(indent + line for line in block[1:]))
            continue
        own = indent + " " * (len(block[0]) - len(block[0].lstrip()))
        out.append("\n".join(fill(_join(block), width, own)))
    return "\n\n".join(out)


class ChineseHelpFormatter(click.HelpFormatter):
    """Click's help formatter with the Chinese-aware measuring described in the module docstring."""

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_text(self, text: str) -> None:
        self.write(wrap(text, self.width, " " * self.current_indent) + "\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(first, second or "") for first, second in rows]
        first_col = min(max((columns(first) for first, _ in rows), default=0), col_max) + col_spacing
        text_width = max(self.width - first_col - 2, 10)
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if columns(first) <= first_col - col_spacing:
                self.write(" " * (first_col - columns(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap(second, text_width).splitlines() or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write((" " * (first_col + self.current_indent) + line).rstrip() + "\n")


class ChineseContext(click.Context):
    """The context of every wxpub command: it formats help with ``ChineseHelpFormatter``."""

    formatter_class = ChineseHelpFormatter


TYPE_METAVARS = {click.STRING: "文本", click.INT: "整数", click.FLOAT: "数字", click.BOOL: "是/否"}


def _metavar(param: click.Option) -> str | None:
    """A Chinese placeholder for an option's value, from its type (``None``: click's own, e.g. a
    Choice's ``[a|b]``)."""
    kind = param.type
    if isinstance(kind, click.Path):
        return "目录" if not kind.file_okay else "文件" if not kind.dir_okay else "路径"
    if isinstance(kind, click.IntRange):
        return "整数"
    if isinstance(kind, click.FloatRange):
        return "数字"
    return TYPE_METAVARS.get(kind)


def localize(command: click.Command) -> None:
    """Chinese help pages for ``command`` and everything below it."""
    command.context_class = ChineseContext
    if command.options_metavar == "[OPTIONS]":
        command.options_metavar = "[选项]"
    for param in command.params:
        if isinstance(param, click.Option) and param.metavar is None and not param.is_flag:
            param.metavar = _metavar(param)
    if isinstance(command, click.Group):
        if command.subcommand_metavar == "COMMAND [ARGS]...":
            command.subcommand_metavar = "命令 [参数]..."
        for sub in command.commands.values():
            localize(sub)
