"""The browser tests are mandatory in CI: without Chromium they fail there, else skip.

Runs everywhere (no browser needed): it checks ``tests/conftest.py``'s
decision with a Chromium path that does not exist.
"""

from __future__ import annotations

import pytest

from tests import conftest


@pytest.mark.parametrize(
    ("env", "required"),
    [
        ({}, False),
        ({"CI": ""}, False),
        ({"CI": "false"}, False),
        ({"CI": "0"}, False),
        ({"CI": "true"}, True),
        ({"CI": "1"}, True),
        ({"CI": "yes"}, True),
    ],
)
def test_ci_makes_the_browser_required(env: dict[str, str], required: bool) -> None:
    assert conftest.browser_required(env) is required


def test_missing_chromium_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "CHROMIUM", "/nonexistent/chromium")
    assert conftest.browser_missing() is not None
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium"):
        conftest.require_browser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="mandatory in CI"):
        conftest.require_browser()
