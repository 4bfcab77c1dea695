"""Reading YAML as a node tree so every value keeps its line number.

PyYAML's plain ``safe_load`` loses positions, silently keeps the last of two equal keys and turns
``9:00`` into the integer 540 (YAML 1.1 base-60). Walking the composed nodes avoids all three.
"""

from __future__ import annotations

import difflib

import yaml

from wxpub.core.plans.model import PlanError

NULL_TAG = "tag:yaml.org,2002:null"


def compose(text: str, filename: str) -> yaml.Node | None:
    """Parse ``text`` into a node tree; syntax errors become ``PlanError`` with the line."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        detail = exc.problem or exc.context or "无法解析"
        raise PlanError(filename, [(line, f"YAML 格式错误：{detail}")]) from exc
    except yaml.YAMLError as exc:
        raise PlanError(filename, [(None, f"YAML 格式错误：{exc}")]) from exc


def line_of(node: yaml.Node) -> int:
    """1-based line where ``node`` starts."""
    return node.start_mark.line + 1


def is_null(node: yaml.Node) -> bool:
    """Whether the node is an empty value (``key:`` with nothing, ``~`` or ``null``)."""
    return isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG


def scalar(node: yaml.Node) -> str | None:
    """The raw text of a scalar node (as written, before YAML typing), or None for non-scalars."""
    if isinstance(node, yaml.ScalarNode) and not is_null(node):
        return node.value.strip()
    return None


def mapping(node: yaml.Node, allowed: tuple[str, ...], problems: list, where: str = ""
            ) -> dict[str, yaml.Node]:
    """Key → value node of a mapping; reports duplicate and unknown keys into ``problems``.

    Unknown keys are errors, not ignored: a misspelt ``workday_only`` must not silently do nothing.
    """
    result: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = scalar(key_node)
        if key is None:
            problems.append((line_of(key_node), f"{where}键必须是文字"))
            continue
        if key in result:
            problems.append((line_of(key_node), f"{where}键“{key}”重复出现"))
            continue
        if key not in allowed:
            hint = difflib.get_close_matches(key, allowed, n=1)
            tip = f"，是否想写“{hint[0]}”？" if hint else f"；可用的键：{'、'.join(allowed)}"
            problems.append((line_of(key_node), f"{where}未知的键“{key}”{tip}"))
            continue
        result[key] = value_node
    return result


def boolean(node: yaml.Node) -> bool | None:
    """``true``/``false`` (YAML 1.1 spellings included), or None when it is not a boolean."""
    text = scalar(node)
    if text is None:
        return None
    lowered = text.lower()
    if lowered in ("true", "yes", "on", "是"):
        return True
    if lowered in ("false", "no", "off", "否"):
        return False
    return None
