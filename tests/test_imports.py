"""Imports flow one way and ``pinglass --help`` stays light.

(a) Importing :mod:`pinglass.cli` (which imports every command module) loads none of cv2, numpy,
PIL, httpx or tenacity; a failure names the pinglass module that pulled the dependency in.
(b) An ``ast`` walk over ``src/pinglass`` checks the import direction. Imports under
``if TYPE_CHECKING:`` are annotations only and are skipped.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import pinglass

SRC = Path(pinglass.__file__).parent
HEAVY = ("cv2", "numpy", "PIL", "httpx", "tenacity")

# Runs in a fresh interpreter. A meta-path hook notes, for each heavy package, the innermost
# pinglass module on the stack when it was first imported, then lets the normal import proceed.
_PROBE = """
import json, sys
HEAVY = set(json.loads(sys.argv[1]))
blame = {}

class Spy:
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in HEAVY and top not in blame:
            frame = sys._getframe(1)
            while frame is not None:
                mod = frame.f_globals.get("__name__", "")
                if mod.startswith("pinglass"):
                    blame[top] = mod
                    break
                frame = frame.f_back
            else:
                blame[top] = "<outside pinglass>"
        return None

sys.meta_path.insert(0, Spy())
import pinglass.cli
loaded = sorted(m for m in HEAVY if m in sys.modules)
print(json.dumps({"loaded": loaded, "blame": {m: blame.get(m, "?") for m in loaded}}))
"""


def _probe(modules: tuple[str, ...]) -> dict[str, dict[str, str] | list[str]]:
    proc = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", _PROBE, json.dumps(modules)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result: dict[str, dict[str, str] | list[str]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow
def test_cli_import_loads_no_heavy_dependency() -> None:
    result = _probe(HEAVY)
    blame = result["blame"]
    assert isinstance(blame, dict)
    offenders = [f"{dep} (imported by {blame[dep]})" for dep in result["loaded"]]
    assert not offenders, "importing pinglass.cli loads heavy modules: " + ", ".join(offenders)


@pytest.mark.slow
def test_probe_names_the_importing_module() -> None:
    # rich is light and allowed; the CLI modules import it, so the probe must see and blame them.
    result = _probe(("rich",))
    assert result["loaded"] == ["rich"]
    blame = result["blame"]
    assert isinstance(blame, dict)
    assert blame["rich"].startswith("pinglass.cli")


# --- (b) import direction ------------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        package = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    # ``from A import b`` is recorded as ``A.b`` (a submodule or a name of A): a rule about A
    # still sees it, and an exception for a submodule (``providers.base``) can allow it.
    return [base if alias.name == "*" else f"{base}.{alias.name}" for alias in node.names]


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every runtime import in the file."""
    module = _module_name(path)
    is_package = path.name == "__init__.py"

    def walk(nodes: list[ast.stmt]) -> Iterator[tuple[int, str]]:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                yield from walk(node.orelse)
                continue
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield node.lineno, alias.name
            elif isinstance(node, ast.ImportFrom):
                for name in _resolve(node, module, is_package):
                    yield node.lineno, name
            for child_field in ("body", "orelse", "finalbody", "handlers"):
                children = getattr(node, child_field, None)
                if isinstance(children, list):
                    stmts = [c for c in children if isinstance(c, ast.stmt)]
                    handlers = [c for c in children if isinstance(c, ast.ExceptHandler)]
                    yield from walk(stmts)
                    for h in handlers:
                        yield from walk(h.body)

    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    yield from walk(tree.body)


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _files(sub: str = "") -> list[Path]:
    root = SRC / sub if sub else SRC
    if root.is_file():
        return [root]
    return sorted(root.rglob("*.py")) if root.is_dir() else []


def _violations(
    files: list[Path], forbidden: list[str], allowed: tuple[str, ...] = ()
) -> list[str]:
    found = []
    for path in files:
        for line, name in _imports(path):
            if any(_within(name, a) for a in allowed):
                continue
            if any(_within(name, f) for f in forbidden):
                found.append(f"{path.relative_to(SRC.parent)}:{line}: imports {name}")
    return sorted(set(found))


def test_errors_imports_nothing_from_pinglass() -> None:
    assert _violations(_files("errors.py"), ["pinglass"]) == []


def test_providers_never_import_upper_layers() -> None:
    forbidden = ["pinglass.runner", "pinglass.cli", "pinglass.session", "pinglass.refs"]
    assert _violations(_files("providers"), forbidden) == []


def test_refs_never_import_providers_except_base() -> None:
    # Documented exception: refs builds ``providers.base.Reference`` values (the face crops it
    # prepares for upload), so it may import pinglass.providers.base and nothing else there.
    allowed = ("pinglass.providers.base",)
    assert _violations(_files("refs"), ["pinglass.providers"], allowed) == []


def test_nothing_outside_cli_imports_cli() -> None:
    # ``python -m pinglass`` (__main__.py) is the other entry point: it runs the CLI.
    outside = [
        p
        for p in _files()
        if not _within(_module_name(p), "pinglass.cli") and _module_name(p) != "pinglass.__main__"
    ]
    assert _violations(outside, ["pinglass.cli"]) == []


def test_runner_never_imports_cli() -> None:
    assert _violations(_files("runner"), ["pinglass.cli"]) == []


# --- the checker itself --------------------------------------------------------------------


def test_checker_sees_function_level_and_relative_imports_and_skips_type_checking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_src = tmp_path / "pinglass"
    (fake_src / "providers").mkdir(parents=True)
    (fake_src / "providers" / "__init__.py").write_text("", "utf-8")
    (fake_src / "providers" / "x.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from pinglass.runner import plan\n"
        "def f():\n"
        "    try:\n"
        "        import pinglass.cli\n"
        "    except ImportError:\n"
        "        from ..session import Session\n"
        "from .. import refs\n",
        "utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "SRC", fake_src)
    forbidden = ["pinglass.runner", "pinglass.cli", "pinglass.session", "pinglass.refs"]
    assert _violations(_files("providers"), forbidden) == [
        "pinglass/providers/x.py:6: imports pinglass.cli",
        "pinglass/providers/x.py:8: imports pinglass.session.Session",
        "pinglass/providers/x.py:9: imports pinglass.refs",
    ]


def test_checker_allows_only_providers_base_in_refs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_src = tmp_path / "pinglass"
    (fake_src / "refs").mkdir(parents=True)
    (fake_src / "refs" / "a.py").write_text(
        "from pinglass.providers.base import Reference\n"
        "from pinglass.providers import base\n"
        "from pinglass.providers import PROVIDERS\n"
        "import pinglass.providers._http\n",
        "utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "SRC", fake_src)
    found = _violations(_files("refs"), ["pinglass.providers"], ("pinglass.providers.base",))
    assert found == [
        "pinglass/refs/a.py:3: imports pinglass.providers.PROVIDERS",
        "pinglass/refs/a.py:4: imports pinglass.providers._http",
    ]
