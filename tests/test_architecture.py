"""The shape of the code, checked: one writer of a release's state, no import cycles, a pure core
that loads neither Flask, an ORM session nor APScheduler, and modules small enough to read."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from wxpub.core.release_states import TRANSITIONS, State, allowed

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "wxpub"
MAX_LINES = 400


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def _imports(name: str, path: Path) -> set[str]:
    """Every wxpub module ``path`` imports (module level and inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("wxpub")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if not base.startswith("wxpub"):
                continue
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return found


def test_only_the_transitions_module_writes_a_release_state():
    writers = set()
    for name, path in _modules():
        if name.startswith("wxpub.sandbox") or name.endswith(".testing"):
            continue  # the emulator keeps its own job states; test builders create finished rows
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for element in (target.elts if isinstance(target, ast.Tuple) else [target]):
                    if isinstance(element, ast.Attribute) and element.attr == "state":
                        writers.add(name)
            if isinstance(node, ast.Call) and any(k.arg == "state" for k in node.keywords):
                writers.add(name)  # Release(state=...) or update(...).values(state=...)
    # wxpub.rating.common.set_state writes a rating round's or sheet's own state (and refuses any
    # other row): the one other writer of a ``state`` attribute.
    assert writers == {"wxpub.releases.transitions", "wxpub.rating.common"}


def test_there_are_no_import_cycles():
    modules = dict(_modules())
    graph = {name: {m for m in _imports(name, path) if m in modules and m != name}
             for name, path in modules.items()}
    # a package importing its own submodules (re-exports) is not a cycle of meaning
    for name in graph:
        graph[name] = {m for m in graph[name] if not m.startswith(name + ".")}
    cycles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_core_loads_neither_flask_an_orm_session_nor_apscheduler():
    core = [name for name, _ in _modules() if name.startswith("wxpub.core")]
    code = ("import importlib, sys\n"
            f"for name in {core!r}: importlib.import_module(name)\n"
            "print('\\n'.join(sorted(sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=ROOT).stdout.split()
    assert [m for m in loaded if m.split(".")[0] in ("flask", "apscheduler", "sqlalchemy", "werkzeug")] == []


def test_modules_stay_small_enough_to_read():
    long = {name: n for name, path in _modules()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


@pytest.mark.parametrize("source", list(State))
def test_every_state_has_a_way_on_except_the_final_ones(source):
    onward = [target for (s, target) in TRANSITIONS if s == source]
    assert bool(onward) == (source not in (State.PUBLISHED, State.MANUAL))  # both reached readers
    assert not allowed(State.PUBLISHED, State.FAILED) and not allowed(source, source)
