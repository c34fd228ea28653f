"""The structure of the package, checked on every test run (and so in CI).

* the import layers of ``docs/architecture.md`` (import-linter contracts in
  ``pyproject.toml``);
* ruff with the project's rule set, including the branch, statement and
  complexity limits (``PLR0912``, ``PLR0915``, ``C901``);
* functions a reader can hold: no module over 600 lines, no function over 80
  lines, except the few listed below with the reason each is longer.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "erreichbarkeit"

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80

#: ``module path (relative to the package): qualified function name`` → why it is longer.
#: At most five, each also commented where it is defined.
LONG_FUNCTIONS: dict[str, str] = {}


def _tool(name: str) -> str:
    """The console script installed next to this interpreter (the project's venv)."""
    path = Path(sys.executable).with_name(name)
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: `pip install -e '.[test]'` installs it")
    return found


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)


def test_import_layers_hold() -> None:
    result = _run(_tool("lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_ruff_passes() -> None:
    result = _run(_tool("ruff"), "check", "--no-cache", "src", "tests", "benchmarks", "app.py")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def _functions(tree: ast.AST, prefix: str = "") -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}{node.name}"
            out.append((name, (node.end_lineno or node.lineno) - node.lineno + 1))
            out.extend(_functions(node, f"{name}."))
        elif isinstance(node, ast.ClassDef):
            out.extend(_functions(node, f"{prefix}{node.name}."))
    return out


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_is_too_long() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_is_too_long() -> None:
    long: dict[str, int] = {}
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, lines in _functions(tree):
            key = f"{path.relative_to(PACKAGE)}:{name}"
            if lines > MAX_FUNCTION_LINES and key not in LONG_FUNCTIONS:
                long[key] = lines
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_listed_exceptions_are_few_and_still_needed() -> None:
    assert len(LONG_FUNCTIONS) <= 5
    present = set()
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        present |= {
            f"{path.relative_to(PACKAGE)}:{name}"
            for name, lines in _functions(tree)
            if lines > MAX_FUNCTION_LINES
        }
    assert set(LONG_FUNCTIONS) <= present, set(LONG_FUNCTIONS) - present


def test_streamlit_only_in_the_ui_and_app() -> None:
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in _modules()
        if p.parent.name != "ui" and "import streamlit" in p.read_text(encoding="utf-8")
    ]
    assert not offenders


def test_public_api_resolves() -> None:
    import erreichbarkeit as eb

    for name in eb.__all__:
        assert getattr(eb, name) is not None, name
    assert callable(eb.run) and callable(eb.export_results) and callable(eb.read_offers)
    assert callable(eb.Settings.from_toml)
    with pytest.raises(AttributeError):
        _ = eb.no_such_name


def test_importing_the_package_stays_light() -> None:
    code = (
        "import sys, erreichbarkeit;"
        "heavy = [m for m in ('osrm', 'matplotlib', 'streamlit', 'erreichbarkeit.pipeline')"
        " if m in sys.modules]; print(heavy)"
    )
    result = _run(sys.executable, "-c", code)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
