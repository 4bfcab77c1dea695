"""Chinese for click's own words: usage lines, section headings, the ``--help`` text, error messages.

Click 8 passes every string a user can see through ``gettext`` (each of its modules does
``from gettext import gettext as _`` and ``from gettext import ngettext``). ``install()`` points
those module-level names of click at ``CATALOGUE``, a ``gettext.NullTranslations`` whose msgids are
click's own English strings, spelt exactly as in click 8.5 (a msgid click does not use is harmless;
a string missing here stays English). Nothing else changes: no ``gettext.install``, no change to
Python's global translation domain, so the web app and every other library keep their own texts. It
runs when ``wxpub.cli`` is imported, i.e. only in the command process (and in tests of it).

The layout of help pages (full-width colons, columns measured for Chinese, ``[选项]`` in usage
lines) is ``wxpub.cli.helpformat``'s.

A few texts click spells without ``gettext`` are left as they are: ``[y/N]`` of a confirmation
prompt (no wxpub command asks one) and the programming errors raised while commands are declared.
"""

from __future__ import annotations

import gettext
import importlib
import re

import click

MESSAGES = {
    # click.formatting / click.core: help pages
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "位置参数",
    "Show this message and exit.": "显示此帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "required": "必填",
    "(dynamic)": "（动态）",
    "deprecated": "已弃用",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}":
        "弃用警告：命令“{name}”已弃用。{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}":
        "弃用警告：{param_type}“{name}”已弃用。{extra_message}",
    # click.exceptions
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行“{command} {option}”查看帮助。",
    "No such command {name!r}.": "没有命令“{name}”。",
    "No such option {name!r}.": "没有选项“{name}”。",
    "Missing command.": "缺少命令。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing {param_type}": "缺少{param_type}",
    "Invalid value for {param_hint}: {message}": "{param_hint}的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Could not open file {filename!r}: {message}": "无法打开文件“{filename}”：{message}",
    "unknown error": "未知错误",
    "Aborted!": "已中止。",
    "Value must be an iterable.": "这里需要一组值。",
    # click.parser
    "Option {name!r} does not take a value.": "选项“{name}”不接受值。",
    "Argument {name!r} takes {nargs} values.": "参数“{name}”需要 {nargs} 个值。",
    "Invalid start character for option ({option})": "选项的开头字符无效（{option}）",
    # click.types
    "{value!r} is not a valid {number_type}.": "“{value}”不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在允许的范围 {range} 内。",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "“{value}”不是有效的是/否值。可用的值：{states}",
    "{value!r} is not a valid UUID.": "“{value}”不是有效的 UUID。",
    "Choose from:\n\t{choices}": "可选值：\n\t{choices}",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name}“{filename}”不存在。",
    "{name} {filename!r} is a file.": "{name}“{filename}”是文件，这里需要目录。",
    "{name} {filename!r} is a directory.": "{name}“{filename}”是目录，这里需要文件。",
    "{name} {filename!r} is not readable.": "{name}“{filename}”没有读取权限。",
    "{name} {filename!r} is not writable.": "{name}“{filename}”没有写入权限。",
    "{name} {filename!r} is not executable.": "{name}“{filename}”不可执行。",
    # click.termui / click.decorators / click.utils / click._termui_impl / click.shell_completion
    "Repeat for confirmation": "再次输入以确认",
    "Error: The two entered values do not match.": "错误：两次输入不一致。",
    "Error: invalid input": "错误：输入无效",
    "Press any key to continue...": "按任意键继续……",
    "Do you want to continue?": "确定要继续吗？",
    "Confirm the action without prompting.": "不再询问，直接执行。",
    "Unknown color {colour!r}": "未知颜色“{colour}”",
    "Unknown standard stream '{name}'": "未知的标准流“{name}”",
    "{editor}: Editing failed": "{editor}：编辑失败",
    "{editor}: Editing failed: {e}": "{editor}：编辑失败：{e}",
    "d": "天",
    "Shell completion is not supported for Bash versions older than 4.4.":
        "Bash 4.4 以前的版本不支持命令补全。",
    "Couldn't detect Bash version, shell completion is not supported.":
        "无法确定 Bash 版本，不支持命令补全。",
}

#: ngettext entries, by click's singular msgid: (its plural msgid, Chinese for one, Chinese for many)
PLURALS = {
    "Got unexpected extra argument ({args})":
        ("Got unexpected extra arguments ({args})", "多余的参数（{args}）", "多余的参数（{args}）"),
    "Did you mean {possibility}?":
        ("(Did you mean one of: {possibilities}?)", "是不是要输入 {possibility}？",
         "（是不是要输入以下之一：{possibilities}？）"),
    "Option {name!r} requires an argument.":
        ("Option {name!r} requires {nargs} arguments.", "选项“{name}”需要一个值。",
         "选项“{name}”需要 {nargs} 个值。"),
    "Takes {nargs} values but 1 was given.":
        ("Takes {nargs} values but {len} were given.", "需要 {nargs} 个值，但只给了 1 个。",
         "需要 {nargs} 个值，但给了 {len} 个。"),
    "{value!r} is not {choice}.":
        ("{value!r} is not one of {choices}.", "“{value}”不是 {choice}。",
         "“{value}”不是可选值之一：{choices}。"),
    "{value!r} does not match the format {format}.":
        ("{value!r} does not match the formats {formats}.", "“{value}”不符合格式 {format}。",
         "“{value}”不符合以下任一格式：{formats}。"),
    "{len_type} values are required, but {len_value} was given.":
        ("{len_type} values are required, but {len_value} were given.",
         "需要 {len_type} 个值，但给了 {len_value} 个。", "需要 {len_type} 个值，但给了 {len_value} 个。"),
}

#: English words click puts into a message through a placeholder (``number_type=self.name`` …)
FIELD_WORDS = {
    "number_type": {"integer": "整数", "float": "数字", "integer range": "整数", "float range": "数字"},
    "param_type": {"option": "选项", "argument": "参数", "parameter": "参数"},
}

_QUOTED = re.compile(r"'([^'\s][^'\n]*?)'")
_FULL_STOP = re.compile(r"(?<=[\u4e00-\u9fff”）])\.(?= |\n|$)")
_SPACES = re.compile(r"(?<=[\u4e00-\u9fff。，：])[ ]+(?=[“（\u4e00-\u9fff])")


def chinese_punctuation(text: str) -> str:
    """Click adds ``'--name'`` hints, a closing ``.`` and ``, `` between choices itself; in Chinese text
    they become “--name”, 。 and 、 (a dot inside a file name such as 报告.docx is left alone)."""
    text = _QUOTED.sub(r"“\1”", text).replace("”, “", "”、“")
    return _SPACES.sub("", _FULL_STOP.sub("。", text))


class _Template(str):
    """A translated message whose ``format`` also translates click's English placeholder values."""

    def format(self, *args, **kwargs) -> str:
        for field, words in FIELD_WORDS.items():
            if isinstance(kwargs.get(field), str):
                kwargs[field] = words.get(kwargs[field], kwargs[field])
        text = super().format(*args, **kwargs)
        return chinese_punctuation(text) if self == "错误：{message}" else text


class ChineseCatalogue(gettext.NullTranslations):
    """Click's msgids → Chinese; anything unknown comes back unchanged (English)."""

    def gettext(self, message: str) -> str:
        found = MESSAGES.get(message)
        return message if found is None else _Template(found)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        entry = PLURALS.get(msgid1)
        if entry is None or entry[0] != msgid2:
            return msgid1 if n == 1 else msgid2
        return _Template(entry[1] if n == 1 else entry[2])


CATALOGUE = ChineseCatalogue()

#: click's modules that bind ``_`` / ``ngettext`` at module level (click 8.5; a module another click
#: version does not have is skipped, as is the Windows-only ``_winconsole``)
CLICK_MODULES = ("click.core", "click.decorators", "click.exceptions", "click.formatting",
                 "click.parser", "click._optparse", "click.shell_completion", "click.termui",
                 "click.types", "click.utils", "click._termui_impl")
_originals: dict[tuple[str, str], object] = {}


def install() -> None:
    """Make click speak Chinese in this process (idempotent; ``uninstall()`` undoes it)."""
    replacements = {"_": (gettext.gettext, CATALOGUE.gettext),
                    "ngettext": (gettext.ngettext, CATALOGUE.ngettext)}
    for module_name in CLICK_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # a module this click version does not have (or Windows-only)
            continue
        for name, (original, ours) in replacements.items():
            if getattr(module, name, None) is original:
                _originals[(module_name, name)] = original
                setattr(module, name, ours)


def uninstall() -> None:
    """Give click its English back."""
    for (module_name, name), original in _originals.items():
        setattr(importlib.import_module(module_name), name, original)
    _originals.clear()
