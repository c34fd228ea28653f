"""Inputs that match nothing: population tables, boundaries and village files of another region.

Each case runs :func:`erreichbarkeit.pipeline.load_inputs` (no routing) on a
tiny OSM network near Göttingen with three villages in two Gemeinden.  A
table or layer that matches nothing is a named :class:`InputDataError` whose
message names the file and speaks German; a partial match is a warning with
counts (and the data-source record says how many matched).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from erreichbarkeit.config import Settings
from erreichbarkeit.errors import ErreichbarkeitError, InputDataError
from erreichbarkeit.pipeline import load_inputs

from .test_bad_inputs_common import Case, assert_clear_error

# roads on a 0.01° lattice over lon 9.90–9.96, lat 51.50–51.54
_LONS = [9.90 + 0.01 * i for i in range(7)]
_LATS = [51.50 + 0.01 * j for j in range(5)]
VILLAGES = {"Westdorf": (9.915, 51.515), "Mittelhof": (9.925, 51.525), "Ostheim": (9.945, 51.52)}
AGS_WEST, AGS_EAST = "03159001", "03159002"
WEST = box(9.895, 51.495, 9.93, 51.545)  # holds Westdorf and Mittelhof
EAST = box(9.93, 51.495, 9.965, 51.545)  # holds Ostheim


def _network(tmp: Path) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    ids: dict[tuple[int, int], int] = {}
    for i, lon in enumerate(_LONS):
        for j, lat in enumerate(_LATS):
            ids[i, j] = len(ids) + 1
            lines.append(f'  <node id="{ids[i, j]}" version="1" lat="{lat:.5f}" lon="{lon:.5f}"/>')
    for k, (name, (lon, lat)) in enumerate(VILLAGES.items(), start=1000):
        lines.append(f'  <node id="{k}" version="1" lat="{lat:.5f}" lon="{lon:.5f}">')
        lines.append(f'    <tag k="place" v="village"/><tag k="name" v="{name}"/></node>')
    way = 1
    for i in range(len(_LONS)):
        refs = "".join(f'<nd ref="{ids[i, j]}"/>' for j in range(len(_LATS)))
        lines.append(
            f'  <way id="{way}" version="1">{refs}<tag k="highway" v="unclassified"/></way>'
        )
        way += 1
    for j in range(len(_LATS)):
        refs = "".join(f'<nd ref="{ids[i, j]}"/>' for i in range(len(_LONS)))
        lines.append(
            f'  <way id="{way}" version="1">{refs}<tag k="highway" v="unclassified"/></way>'
        )
        way += 1
    lines.append("</osm>")
    path = tmp / "netz.osm"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _boundaries(
    polys: list[object] | None = None,
    ags: tuple[str, ...] = (AGS_WEST, AGS_EAST),
    *,
    crs: str = "EPSG:4326",
    write_as: str | None = None,
) -> Callable[[Path], Path]:
    """A GeoJSON of Gemeinden; ``write_as`` declares another CRS than the coordinates have."""

    def build(tmp: Path) -> Path:
        gdf = gpd.GeoDataFrame(
            {"AGS": list(ags), "GEN": [f"Gemeinde {a[-1]}" for a in ags]},
            geometry=list(polys or [WEST, EAST]),
            crs="EPSG:4326",
        ).to_crs(crs)
        if write_as is not None:
            gdf = gdf.set_crs(write_as, allow_override=True)
        path = tmp / "gemeinden.gpkg"
        gdf.to_file(path, layer="gemeinden")
        return path

    return build


def _text(name: str, content: str) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        path = tmp / name
        path.write_text(content, encoding="utf-8")
        return path

    return build


def _settings(tmp: Path, data: dict[str, Callable[[Path], Path]]) -> Settings:
    kwargs: dict[str, object] = {}
    bnd = data.get("boundaries", _boundaries())
    if bnd is not None:
        kwargs["boundaries"] = bnd(tmp)
    for key in ("population", "villages"):
        if key in data:
            kwargs[key] = data[key](tmp)
    offers = tmp / "angebote.csv"
    offers.write_text("Name;Kategorie;Breite;Länge\nKita Sonne;Kita;51,52;9,93\n", "utf-8")
    return Settings(
        name="Test",
        network=_network(tmp),
        offers=(str(offers),),
        cache_dir=tmp / "cache",
        out_dir=tmp / "out",
        **kwargs,  # type: ignore[arg-type]
    )


# ------------------------------------------------------------------ population tables

POPULATION_ERROR_CASES = [
    Case("pop-ags-other-land", "population table whose AGS all belong to another Land",
         "InputDataError: no Gemeinde with villages found, names expected AGS",
         {"population": _text("einwohner.csv", "AGS;Einwohner\n05558001;1000\n05558002;2000\n")}),
    Case("pop-kreis-keys", "population table keyed by 5-digit Kreis keys (03159)",
         "InputDataError: no Gemeinde matched",
         {"population": _text("kreise.csv", "AGS;Einwohner\n03159;325000\n")}),
    Case("pop-ars-other-region", "12-digit ARS of Gemeinden elsewhere",
         "InputDataError: no Gemeinde matched",
         {"population": _text("ars.csv", "ARS;Einwohner\n055580004004;1000\n055580004008;900\n")}),
    Case("pop-all-secret", "AGS match but every value is a secrecy marker (-)",
         "InputDataError: no usable number for any Gemeinde",
         {"population": _text("geheim.csv", f"AGS;Einwohner\n{AGS_WEST};-\n{AGS_EAST};-\n")}),
    Case("pop-without-boundaries", "population table but no boundaries (none in the OSM file)",
         "InputDataError: the table cannot be matched to any Gemeinde",
         {"boundaries": None,
          "population": _text("einwohner.csv", f"AGS;Einwohner\n{AGS_WEST};1000\n")}),
    Case("pop-swapped-digits", "AGS with two digits swapped (03195001) for both Gemeinden",
         "InputDataError: no Gemeinde matched",
         {"population": _text("tippfehler.csv", "AGS;Einwohner\n03195001;1000\n03195002;800\n")}),
]  # fmt: skip


@pytest.mark.parametrize("case", POPULATION_ERROR_CASES, ids=lambda c: c.id)
def test_population_table_matching_nothing(tmp_path: Path, case: Case) -> None:
    settings = _settings(tmp_path, case.data)
    with pytest.raises(ErreichbarkeitError) as info:
        load_inputs(settings)
    assert_clear_error(info.value, InputDataError, file=Path(str(settings.population)).name)
    assert "Gemeinde" in info.value.message_de


POPULATION_PARTIAL_CASES = [
    Case("pop-one-of-two", "population table with only one of the two Gemeinden",
         "warning with counts; source record 'gefunden für 1 von 2'; the other Gemeinde "
         "gets the rough estimate",
         {"population": _text("halb.csv", f"AGS;Einwohner\n{AGS_WEST};1000\n"), "matched": 1}),
    Case("pop-one-secret", "one Gemeinde's value is a secrecy marker (x)",
         "warning with counts; 'gefunden für 1 von 2'",
         {"population": _text("x.csv", f"AGS;Einwohner\n{AGS_WEST};1000\n{AGS_EAST};x\n"),
          "matched": 1}),
    Case("pop-whole-country", "a Germany-wide table (extra rows) holding both Gemeinden",
         "no warning; 'gefunden für 2 von 2'",
         {"population": _text("de.csv", f"AGS;Einwohner\n01001000;90000\n{AGS_WEST};1000\n"
                                        f"{AGS_EAST};800\n09162000;1500000\n"), "matched": 2}),
]  # fmt: skip


@pytest.mark.parametrize("case", POPULATION_PARTIAL_CASES, ids=lambda c: c.id)
def test_population_table_matching_partly(
    tmp_path: Path, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path, case.data)
    with caplog.at_level(logging.WARNING):
        data = load_inputs(settings)
    n = case.data["matched"]
    record = next(s for s in data.sources if s["Datei"] == Path(str(settings.population)).name)
    assert f"gefunden für {n} von 2 Gemeinden" in record["Daten"]
    warned = [r.getMessage() for r in caplog.records if "population found for only" in r.message]
    assert len(warned) == (0 if n == 2 else 1)
    if n < 2:
        assert f"{n} of 2" in warned[0] and AGS_EAST in warned[0]
    west = data.villages[data.villages["ags"] == AGS_WEST]
    assert west["population"].sum() == pytest.approx(1000.0, abs=1.0)


# ----------------------------------------------------------------------- boundaries

BOUNDARY_ERROR_CASES = [
    Case("bnd-far-away", "Gemeinden around Munich for a network near Göttingen",
         "InputDataError: no Gemeinde overlaps the network, naming both extents",
         {"boundaries": _boundaries([box(11.5, 48.1, 11.6, 48.2), box(11.6, 48.1, 11.7, 48.2)])}),
    Case("bnd-crs-neighbour-zone", "UTM 32 coordinates declared as UTM 33 (EPSG:25833)",
         "InputDataError: the Gemeinden land 6° further east, no overlap",
         {"boundaries": _boundaries(crs="EPSG:25832", write_as="EPSG:25833")}),
    Case("bnd-crs-gk-vs-utm", "Gauß-Krüger zone 3 coordinates declared as GK zone 4",
         "InputDataError: shifted by a zone, no overlap",
         {"boundaries": _boundaries(crs="EPSG:31467", write_as="EPSG:31468")}),
    Case("bnd-no-village-inside", "Gemeinden overlapping the network only where no village is",
         "InputDataError: none of the villages lies in a Gemeinde of the file",
         {"boundaries": _boundaries([box(9.95, 51.535, 9.97, 51.55)], (AGS_EAST,))}),
]  # fmt: skip


@pytest.mark.parametrize("case", BOUNDARY_ERROR_CASES, ids=lambda c: c.id)
def test_boundaries_matching_nothing(tmp_path: Path, case: Case) -> None:
    settings = _settings(tmp_path, case.data)
    with pytest.raises(ErreichbarkeitError) as info:
        load_inputs(settings)
    assert_clear_error(info.value, InputDataError, file="gemeinden.gpkg")
    assert "Gebiet" in info.value.message_de or "Orte" in info.value.message_de


def test_boundaries_holding_some_villages_warn_with_counts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path, {"boundaries": _boundaries([WEST], (AGS_WEST,))})
    with caplog.at_level(logging.WARNING):
        data = load_inputs(settings)
    assert data.villages["ags"].isna().sum() == 1  # Ostheim
    assert any("1 of 3 villages lie outside every Gemeinde" in r.message for r in caplog.records)


# ----------------------------------------------------------------------- own villages

VILLAGE_ERROR_CASES = [
    Case("vil-file-elsewhere", "own villages file with places in Munich",
         "InputDataError: none of the villages lies in the network's area",
         {"villages": _text("orte.csv", "Name;Breite;Länge\nA;48,14;11,58\nB;48,15;11,60\n")}),
    Case("vil-file-wrong-epsg", "UTM 32 x/y with an EPSG column saying 25833",
         "InputDataError: the places land 6° further east",
         {"villages": _text("orte_utm.csv",
                            "Name;x;y;EPSG\nA;563000;5706000;25833\nB;564000;5707000;25833\n")}),
]  # fmt: skip


@pytest.mark.parametrize("case", VILLAGE_ERROR_CASES, ids=lambda c: c.id)
def test_villages_file_outside_the_network(tmp_path: Path, case: Case) -> None:
    settings = _settings(tmp_path, case.data)
    with pytest.raises(ErreichbarkeitError) as info:
        load_inputs(settings)
    assert_clear_error(info.value, InputDataError, file=Path(str(settings.villages)).name)


def test_villages_file_partly_outside_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    villages = _text("orte.csv", "Name;Breite;Länge\nA;51,515;9,915\nB;51,52;9,945\nC;48,1;11,5\n")
    with caplog.at_level(logging.WARNING):
        data = load_inputs(_settings(tmp_path, {"villages": villages}))
    assert len(data.villages) == 3
    assert any("1 of 3 villages lie outside the road network" in r.message for r in caplog.records)


# ------------------------------------------------------------------ partial coverage


def test_gemeinde_reaching_far_beyond_the_network_is_partial(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """East reaches 20 km beyond the data: only its covered share is placed on Ostheim."""
    big_east = box(9.93, 51.40, 10.30, 51.70)
    bnd = _boundaries([WEST, big_east])
    pop = _text("einwohner.csv", f"AGS;Einwohner\n{AGS_WEST};1000\n{AGS_EAST};50000\n")
    with caplog.at_level(logging.WARNING):
        data = load_inputs(_settings(tmp_path, {"boundaries": bnd, "population": pop}))
    b = data.boundaries.set_index("ags")
    assert not b.loc[AGS_WEST, "gemeinde_partial"]
    assert b.loc[AGS_EAST, "gemeinde_partial"]
    share = float(b.loc[AGS_EAST, "coverage_share"])
    assert 0 < share < 0.2
    v = data.villages.set_index("name")
    assert v.loc["Ostheim", "gemeinde_partial"]
    assert not v.loc["Westdorf", "gemeinde_partial"]
    assert v.loc["Ostheim", "population"] == pytest.approx(50000 * share, abs=1.0)
    assert any("partly inside the network data" in r.message for r in caplog.records)
    assert any("nur teilweise im Kartenausschnitt" in e for e in data.estimates)
