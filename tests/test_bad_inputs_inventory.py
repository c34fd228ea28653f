"""``tests/README.md`` is the inventory of the bad-input suite and matches the tests.

Regenerate it after adding cases::

    .venv/bin/python -m tests.test_bad_inputs_inventory
"""

from __future__ import annotations

import inspect
from pathlib import Path
from types import ModuleType

from . import (
    test_bad_inputs_children,
    test_bad_inputs_config,
    test_bad_inputs_files,
    test_bad_inputs_gtfs,
    test_bad_inputs_need,
    test_bad_inputs_offers,
    test_bad_inputs_outputs,
    test_bad_inputs_outreach,
    test_bad_inputs_population,
    test_bad_inputs_region,
    test_bad_inputs_responsibility,
    test_bad_inputs_values,
)
from .test_bad_inputs_common import Case

README = Path(__file__).with_name("README.md")
MODULES: tuple[ModuleType, ...] = (
    test_bad_inputs_offers,
    test_bad_inputs_values,
    test_bad_inputs_files,
    test_bad_inputs_population,
    test_bad_inputs_children,
    test_bad_inputs_config,
    test_bad_inputs_region,
    test_bad_inputs_gtfs,
    test_bad_inputs_outputs,
    test_bad_inputs_responsibility,
    test_bad_inputs_need,
    test_bad_inputs_outreach,
)

_INTRO = """# Bad-input test suite: inventory

Every bad or awkward input must end in a **correct result** or a **clear,
named error** (an `ErreichbarkeitError` subclass) whose `str()` names the
file, row and column and what was expected and whose `.german` is German —
never a traceback, never a silently wrong number.  Row problems of offer
lists are `RowProblem`s (file, row, column, German text; `error` = row not
used, `warning` = row used).

This table is generated from the case lists in `tests/test_bad_inputs_*.py`
(`python -m tests.test_bad_inputs_inventory`) and checked by
`test_bad_inputs_inventory.py`.  Property-based tests (hypothesis) are listed
at the end; each runs many generated inputs.

"""


def _cases(module: ModuleType) -> list[tuple[str, list[Case]]]:
    out = []
    for name, value in vars(module).items():
        if name.isupper() and isinstance(value, list) and value and isinstance(value[0], Case):
            out.append((name, value))
    return out


def _other_tests(module: ModuleType) -> list[tuple[str, str]]:
    rows = []
    for name, fn in vars(module).items():
        if not name.startswith("test_") or not callable(fn):
            continue
        if getattr(fn, "pytestmark", None):
            marks = {m.name for m in fn.pytestmark}
            if "parametrize" in marks:
                continue
        doc = inspect.getdoc(fn) or name.removeprefix("test_").replace("_", " ")
        rows.append((name, doc.splitlines()[0]))
    return rows


def _esc(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    """The README text."""
    lines = [_INTRO]
    n = 0
    seen: set[str] = set()
    for module in MODULES:
        short = module.__name__.rsplit(".", 1)[-1]
        lines.append(f"## `{short}.py`\n")
        lines.append("| # | case id | input | expected behaviour |")
        lines.append("| --- | --- | --- | --- |")
        for _, cases in _cases(module):
            for case in cases:
                if case.id in seen:
                    continue
                seen.add(case.id)
                n += 1
                lines.append(f"| {n} | `{case.id}` | {_esc(case.given)} | {_esc(case.expect)} |")
        for name, doc in _other_tests(module):
            n += 1
            lines.append(f"| {n} | `{name}` | {_esc(doc)} | see the test |")
        lines.append("")
    lines.append(f"Total: {n} rows.\n")
    return "\n".join(lines)


def test_readme_matches_the_cases() -> None:
    text = render()
    assert README.read_text("utf-8") == text, (
        "tests/README.md is out of date: run python -m tests.test_bad_inputs_inventory"
    )


def test_at_least_200_distinct_cases() -> None:
    ids = [c.id for m in MODULES for _, cases in _cases(m) for c in cases]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 200


if __name__ == "__main__":
    README.write_text(render(), "utf-8")
