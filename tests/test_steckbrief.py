"""Steckbriefe (one-page PDFs per Gemeinde and for the Kreis) of the Beispielkreis."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from erreichbarkeit.config import Settings
from erreichbarkeit.errors import ConfigError
from erreichbarkeit.pipeline import run
from erreichbarkeit.report.steckbrief import (
    gemeinden_of,
    steckbrief_filename,
    steckbrief_kpis,
    steckbrief_pdf,
    write_steckbriefe,
)
from erreichbarkeit.results import Results


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Results:
    from erreichbarkeit.demo.beispielkreis import generate_demo

    tmp = tmp_path_factory.mktemp("steckbrief")
    files = generate_demo(tmp / "daten")
    settings = Settings.from_toml(
        files.region, cache_dir=tmp / "cache", grid_cell_m=None, modes=("car", "walk")
    )
    return run(settings)


def _text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def _de(x: float) -> str:
    return f"{x:,.0f}".replace(",", ".")


def test_one_pdf_per_gemeinde_and_kreis(demo: Results, tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    paths = write_steckbriefe(
        demo,
        tmp_path / "steckbriefe",
        mode="car",
        age_group="0-3",
        progress=lambda s, d, t: calls.append((s, d, t)),
    )
    gem = gemeinden_of(demo)
    assert len(gem) == 8
    assert [p.name for p in paths[:-1]] == [
        steckbrief_filename(a, g) for a, g in zip(gem["ags"], gem["gemeinde"], strict=True)
    ]
    assert paths[-1].name == "kreis.pdf"
    assert calls[-1] == ("Steckbriefe", 9, 9)
    expected = [*zip(gem["ags"], gem["gemeinde"], strict=True), (None, None)]
    for path, (ags, name) in zip(paths, expected, strict=True):
        pages, text = _text(path.read_bytes())
        assert pages >= 1, path.name
        kpis = steckbrief_kpis(demo, ags=ags, mode="car", age_group="0-3")
        kita = kpis.set_index("category").loc["kita"]
        if name is not None:
            assert f"Steckbrief Gemeinde {name}" in text
        else:
            assert "Steckbrief Beispielkreis (fiktiv)" in text
        # the KPI row of the Kita as the library computes it
        row = f"{_de(kita['children_within'])} {_de(kita['children_beyond'])}"
        assert row in text, (path.name, row)
        assert f"{kita['n_underserved']} von {kita['n_villages']}" in text
        assert "Quellen: fiktive Daten" in text
    assert not list((tmp_path / "steckbriefe").glob(".*"))  # no temporary files left


def test_kpis_match_village_table(demo: Results) -> None:
    """Hand check of one Gemeinde: children beyond = children of villages over the threshold."""
    ags = str(gemeinden_of(demo)["ags"].iloc[3])
    k = steckbrief_kpis(demo, ags=ags, mode="walk", age_group="3-6", categories=["kita"])
    assert list(k["category"]) == ["kita"]
    v = demo.villages[demo.villages["ags"] == ags]
    limit = demo.settings.threshold("kita", "walk")
    t = v["kita_walk_min"]
    beyond = t.isna() | (t > limit)
    row = k.iloc[0]
    assert row["threshold"] == limit
    assert row["children_beyond"] == pytest.approx(v.loc[beyond, "children_3_6"].sum())
    assert row["children_within"] == pytest.approx(v.loc[~beyond, "children_3_6"].sum())
    assert row["n_underserved"] == int(beyond.sum())
    assert row["n_villages"] == len(v)
    # an own threshold changes the count
    k2 = steckbrief_kpis(
        demo, ags=ags, mode="walk", age_group="3-6", categories=["kita"], thresholds={"kita": 240}
    )
    assert k2.iloc[0]["n_underserved"] == int(t.isna().sum())


def test_default_categories_serve_the_age_group(demo: Results) -> None:
    k = steckbrief_kpis(demo, ags=None, mode="car", age_group="10-18")
    table = demo.settings.categories()
    assert len(k) > 0
    assert all("10-18" in table[c].age_groups for c in k["category"])
    assert "kita" not in set(k["category"])


@pytest.mark.parametrize(
    ("kwargs", "column"),
    [
        ({"ags": "12345678"}, "ags"),
        ({"ags": "../../etc"}, "ags"),
        ({"ags": None, "mode": "bike"}, "mode"),
        ({"ags": None, "categories": ["spielplatz"]}, "categories"),
    ],
)
def test_bad_choices_are_named(demo: Results, kwargs: dict[str, object], column: str) -> None:
    options: dict[str, object] = {"mode": "car", "age_group": "0-3"} | kwargs
    with pytest.raises(ConfigError) as info:
        steckbrief_pdf(demo, **options)  # type: ignore[arg-type]
    assert info.value.column == column
    assert info.value.message_de


def test_dated_german_file_names(demo: Results, tmp_path: Path) -> None:
    paths = write_steckbriefe(
        demo, tmp_path, mode="car", age_group="0-3", categories=["kita"], created=date(2026, 12, 5)
    )
    gem = gemeinden_of(demo)
    names = [p.name for p in paths]
    assert names[:-1] == [f"Steckbrief_{g}_2026-12-05.pdf" for g in gem["gemeinde"]]
    assert names[-1] == "Steckbrief_Kreis_Beispielkreis_fiktiv_2026-12-05.pdf"
    _, text = _text(paths[0].read_bytes())
    assert "Stand der Auswertung: 05.12.2026" in text


def test_filenames_are_sanitised() -> None:
    assert steckbrief_filename("03159016", "Hann. Münden") == "03159016_hann-muenden.pdf"
    assert steckbrief_filename("../x", "../../böse/Name") == "x_boese-name.pdf"
    assert steckbrief_filename(None, "egal") == "kreis.pdf"
    assert steckbrief_filename("1", "///") == "1_gemeinde.pdf"
    day = date(2026, 12, 5)
    assert steckbrief_filename("03159016", "Hann. Münden, Stadt", created=day) == (
        "Steckbrief_Hann._Münden_Stadt_2026-12-05.pdf"
    )
    assert steckbrief_filename("1", "../../böse/Name", created=day) == (
        "Steckbrief_böse_Name_2026-12-05.pdf"
    )
    assert steckbrief_filename(None, "x", created=day, region="Landkreis Göttingen") == (
        "Steckbrief_Kreis_Landkreis_Göttingen_2026-12-05.pdf"
    )
    assert steckbrief_filename("1", "CON:<>|?*", created=day) == "Steckbrief_CON_2026-12-05.pdf"


def test_village_table_lists_every_village_and_every_category(demo: Results) -> None:
    """All categories of the age group, eight columns per table, every village with its minutes."""
    import math
    import re

    from erreichbarkeit.report.steckbrief_data import format_de, minutes_column

    ags, name = (str(x) for x in gemeinden_of(demo)[["ags", "gemeinde"]].iloc[1])
    cats = list(steckbrief_kpis(demo, ags=ags, mode="car", age_group="0-3")["category"])
    assert len(cats) > 8  # more than one table wide
    _, text = _text(steckbrief_pdf(demo, ags=ags, mode="car", age_group="0-3"))
    flat = re.sub(r"\s+", " ", text)
    assert f"Alle Orte der Gemeinde · Spalten 1–8 von {len(cats)}" in flat
    assert f"Alle Orte der Gemeinde · Spalten 9–{len(cats)} von {len(cats)}" in flat
    v = demo.villages[demo.villages["ags"].astype(str) == ags]
    for _, row in v.iterrows():
        cells = []
        for c in cats:
            x = float(row[minutes_column(v, c, "car", "0-3")])
            cells.append(format_de(x, 1) if math.isfinite(x) else "—")
        kids = format_de(float(row["children_0_3"]))
        for part in (cells[:8], cells[8:]):
            line = f"{row['name']} {kids} " + " ".join(part)
            assert line in flat, (name, line)
