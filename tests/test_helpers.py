"""Shared helpers: AGS keys and file digests."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from erreichbarkeit._helpers import ags_from_key, file_digest


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("03159016", "03159016"),
        ("3159016", "03159016"),  # leading zero lost in a spreadsheet
        (3159016, "03159016"),
        (3159016.0, "03159016"),  # written as a float
        ("3159016.0", "03159016"),
        ("031590016016", "03159016"),  # 12-digit ARS: Land/RB/Kreis + Gemeinde
        ("31590016016", "03159016"),  # ARS that lost its leading zero
        ("05 958 004", "05958004"),
        ("", None),
        ("Göttingen", None),
        ("0315900160161", None),  # 13 digits: no key
        (None, None),
    ],
)
def test_ags_from_key(value: object, expected: str | None) -> None:
    assert ags_from_key(value) == expected


def test_file_digest_follows_content(tmp_path: Path) -> None:
    path = tmp_path / "a.osm"
    path.write_bytes(b"one")
    assert file_digest(path) == hashlib.sha256(b"one").hexdigest()
    path.write_bytes(b"two!")
    os.utime(path, ns=(1, 10**18))  # a new modification time, as an edit would give
    assert file_digest(path) == hashlib.sha256(b"two!").hexdigest()
