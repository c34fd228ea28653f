"""The Land outputs of a batch: overview table, workbook, map, and loading a batch.

From the partitions the tasks wrote (:mod:`erreichbarkeit.batch.tasks`),
:func:`build_land` writes into the batch folder

* ``land_uebersicht.parquet`` — GeoParquet, one row per region (outline,
  name, status, flags, children beyond the threshold per category × mode);
* ``land.xlsx`` — the Land workbook: "Übersicht" (one row per region),
  "Kennzahlen" (region × category × mode: children beyond the threshold,
  their share, the children's median minutes — written as "über N Min."
  where more than half the children reach no offer within the cutoff,
  the honest median of :func:`erreichbarkeit.analysis.indicators.kreis_summary`),
  "Raster" (the grid figures, with a grid), "Vergleich nach Kreistyp"
  (only with a Kreistyp table), Methodik;
* ``landkarte.html`` — the choropleth of Kreise (:mod:`erreichbarkeit.webmap.land`).

Flags: "Teilabdeckung" when a Gemeinde of the region lies partly beyond
the network data (``gemeinde_partial``) or the region failed; "ohne Bus &
Bahn" when the region has no timetable.  A comparison of "similar" Kreise
needs a Kreis type (e.g. the BBSR siedlungsstrukturelle Kreistypen) as a
table; without it the workbook makes no such comparison.

:func:`load_batch` opens a finished batch folder for the dashboard: the
overview GeoDataFrame and each region's paths; :func:`read_dataset` reads
one table of the partitioned dataset.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import shapely

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.batch.plan import ClippedRegion
from erreichbarkeit.batch.tasks import DATASET, read_status
from erreichbarkeit.config import MODE_LABELS, WGS84, Settings
from erreichbarkeit.errors import ErreichbarkeitError, InputDataError
from erreichbarkeit.report.xlsx import write_excel
from erreichbarkeit.webmap.land import land_map_html

__all__ = [
    "LAND_MAP",
    "LAND_OVERVIEW",
    "LAND_WORKBOOK",
    "BatchResult",
    "build_land",
    "load_batch",
    "read_dataset",
    "read_kreistypen",
]

logger = logging.getLogger(__name__)

LAND_OVERVIEW = "land_uebersicht.parquet"
LAND_WORKBOOK = "land.xlsx"
LAND_MAP = "landkarte.html"


@dataclass(frozen=True)
class BatchResult:
    """A batch folder opened for reading.

    Attributes
    ----------
    overview
        One row per region (EPSG:4326 outlines): ``region``, ``name``,
        ``kreis``, ``status``, flags and per category × mode the share of
        children beyond the threshold (``beyond_<cat>_<mode>``).
    region_files
        Each region's generated ``region.toml`` (open it with
        :meth:`Settings.from_toml` and the store, or read its exports).
    exports
        Each finished region's export folder (workbook, CSV, GeoPackage).
    dataset
        The partitioned Parquet dataset's folder (``<table>/region=<id>/``).
    """

    overview: gpd.GeoDataFrame
    region_files: dict[str, Path]
    exports: dict[str, Path]
    dataset: Path


def read_kreistypen(path: Path) -> dict[str, str]:
    """Kreis types by Kreis key from a CSV (``Kreisschlüssel``/``kreis``; ``Kreistyp``/``typ``)."""
    text = path.read_text("utf-8-sig")
    lines = text.splitlines()
    dialect = csv.Sniffer().sniff(lines[0], delimiters=";,\t") if lines else csv.excel
    rows = list(csv.DictReader(lines, dialect=dialect))
    fields = {f.lower(): f for f in (rows[0].keys() if rows else [])}
    key = fields.get("kreisschlüssel") or fields.get("kreis") or fields.get("schlüssel")
    typ = fields.get("kreistyp") or fields.get("typ")
    if key is None or typ is None:
        msg = "Kreistyp table needs a key and a type column"
        raise InputDataError(
            msg, file=path, expected="columns Kreisschlüssel;Kreistyp",
            message_de="Die Kreistyp-Tabelle braucht die Spalten „Kreisschlüssel“ und „Kreistyp“",
        )  # fmt: skip
    return {str(r[key]).strip()[:5]: str(r[typ]).strip() for r in rows if r.get(key)}


def _read_partition(out_dir: Path, table: str, region_id: str) -> pd.DataFrame | None:
    path = out_dir / DATASET / table / f"region={region_id}" / "part-0.parquet"
    return pd.read_parquet(path) if path.is_file() else None


def _outline(region: ClippedRegion) -> shapely.Geometry | None:
    """The region's outline: its Gemeinden (the Kreis's, or the area's); ``None``: unknown."""
    try:
        settings = Settings.from_toml(region.region_file)
        if settings.boundaries is None:
            return None
        gem = gpd.read_file(settings.boundaries)
    except (ErreichbarkeitError, OSError, ValueError):  # the region failed before its clip
        logger.warning("no outline for region %s", region.region.id)
        return None
    if region.region.is_area:
        keep = gem["ags"].isin(region.region.area_ags) | gem["gemeinde"].isin(
            region.region.area_gemeinden
        )
    else:
        keep = gem["in_kreis"].astype(bool)
    return shapely.union_all(gem.loc[keep].to_crs(WGS84).geometry.to_numpy())


def _label(cat: str, mode: str, labels: dict[str, str]) -> str:
    return f"{labels.get(cat, cat)} – {MODE_LABELS.get(mode, mode)}"


def _median_text(row: pd.Series, cutoff: float) -> object:
    if bool(row.get("children_median_beyond", False)):
        return f"über {cutoff:g} Min."
    return row.get("children_median_min")


def _region_rows(
    region: ClippedRegion, out_dir: Path, labels: dict[str, str], cutoff: float
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """The region's overview row and its category × mode rows."""
    r = region.region
    status = read_status(out_dir, r.id) or {}
    state = str(status.get("status", "nicht berechnet"))
    kreis = _read_partition(out_dir, "kreis", r.id) if state == "fertig" else None
    gem = _read_partition(out_dir, "gemeinden", r.id) if state == "fertig" else None
    partial = state != "fertig" or (
        gem is not None and "gemeinde_partial" in gem and bool(gem["gemeinde_partial"].any())
    )
    row: dict[str, object] = {
        "region": r.id, "name": r.name, "kreis": r.kreis, "status": state,
        "fehler": str(status.get("message_de", "")), "teilabdeckung": partial,
        "ohne_bus_bahn": not region.has_transit, "sekunden": status.get("seconds"),
    }  # fmt: skip
    long: list[dict[str, object]] = []
    for _, k in (kreis if kreis is not None else pd.DataFrame()).iterrows():
        cat, mode = str(k["category"]), str(k["mode"])
        row[f"beyond_{cat}_{mode}"] = k.get("share_children_beyond")
        row[f"children_beyond_{cat}_{mode}"] = k.get("children_beyond")
        long.append({
            "Region": r.name, "Schlüssel": r.id, "Angebot": labels.get(cat, cat),
            "Verkehrsmittel": MODE_LABELS.get(mode, mode),
            "Kinder jenseits der Schwelle": k.get("children_beyond"),
            "Anteil Kinder jenseits der Schwelle": k.get("share_children_beyond"),
            "Median Minuten (Kinder)": _median_text(k, cutoff),
            "Anteil Kinder ohne Angebot in Reichweite": k.get("share_children_no_offer"),
            "Orte": k.get("n_villages"), "unterversorgte Orte": k.get("n_underserved"),
        })  # fmt: skip
    return row, long


def _overview_sheet(
    overview: pd.DataFrame, labels: dict[str, str], types: dict[str, str] | None
) -> pd.DataFrame:
    sheet = pd.DataFrame({
        "Region": overview["name"], "Schlüssel": overview["region"],
        "Kreisschlüssel": overview["kreis"], "Status": overview["status"],
        "Teilabdeckung": overview["teilabdeckung"].map({True: "ja", False: "nein"}),
        "ohne Bus & Bahn": overview["ohne_bus_bahn"].map({True: "ja", False: "nein"}),
        "Fehler": overview["fehler"],
    })  # fmt: skip
    if types is not None:
        sheet["Kreistyp"] = overview["kreis"].map(types).fillna("unbekannt")
    for col in overview.columns:
        if col.startswith("children_beyond_"):
            cat, mode = col.removeprefix("children_beyond_").rsplit("_", 1)
            sheet[f"Kinder jenseits der Schwelle: {_label(cat, mode, labels)}"] = overview[col]
    return sheet


def _type_comparison(
    long: pd.DataFrame, overview: pd.DataFrame, types: dict[str, str]
) -> pd.DataFrame:
    """Median share of children beyond the threshold per Kreis type × category × mode."""
    kreis_of = dict(zip(overview["region"], overview["kreis"], strict=True))
    frame = long.assign(Kreistyp=long["Schlüssel"].map(kreis_of).map(types).fillna("unbekannt"))
    return frame.groupby(["Kreistyp", "Angebot", "Verkehrsmittel"], as_index=False).agg(
        **{
            "Regionen": ("Schlüssel", "nunique"),
            "Median Anteil Kinder jenseits der Schwelle": (
                "Anteil Kinder jenseits der Schwelle",
                "median",
            ),
        }
    )


def build_land(
    regions: Sequence[ClippedRegion],
    out_dir: Path,
    *,
    kreistypen: Path | None = None,
) -> dict[str, Path]:
    """Write the Land overview, workbook and map of a batch; return their paths."""
    if not regions:
        return {}
    first = Settings.from_toml(regions[0].region_file)
    labels = {k: c.label for k, c in first.categories().items()}
    cutoff = first.routing.cutoff_minutes
    types = read_kreistypen(kreistypen) if kreistypen is not None else None
    rows, long_rows, outlines = [], [], []
    for region in regions:
        row, long = _region_rows(region, out_dir, labels, cutoff)
        rows.append(row)
        long_rows += long
        outlines.append(_outline(region))
    overview = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=outlines, crs=WGS84)
    long_df = pd.DataFrame(long_rows)
    paths = {"uebersicht": out_dir / LAND_OVERVIEW, "workbook": out_dir / LAND_WORKBOOK,
             "map": out_dir / LAND_MAP}  # fmt: skip
    with atomic_path(paths["uebersicht"]) as tmp:
        overview.to_parquet(tmp, index=False)
    sheets = {"Übersicht": _overview_sheet(overview, labels, types), "Kennzahlen": long_df}
    parts = (_read_partition(out_dir, "raster", r.region.id) for r in regions)
    grid = [g for g in parts if g is not None]
    if grid:
        sheets["Raster"] = pd.concat(grid, ignore_index=True)
    if types is not None and not long_df.empty:
        sheets["Vergleich nach Kreistyp"] = _type_comparison(long_df, overview, types)
    write_excel(paths["workbook"], sheets, methodik=_methodik(cutoff, types is not None))
    layers = []
    for col in overview.columns:
        if col.startswith("beyond_"):
            cat, mode = col.removeprefix("beyond_").rsplit("_", 1)
            layers.append((col, _label(cat, mode, labels)))
    html_text = land_map_html(overview, layers)
    with atomic_path(paths["map"]) as tmp:
        tmp.write_text(html_text, "utf-8")
    return paths


def _methodik(cutoff: float, with_types: bool) -> list[tuple[str, str]]:
    rows = [
        ("Berechnung", "Jede Region wurde mit denselben Einstellungen gerechnet "
         "(erreichbarkeit batch); Kreise aus einem gemeinsamen OSM-Extrakt mit Puffer."),
        ("Median", f"Median der Minuten über die Kinder; „über {cutoff:g} Min.“: mehr als die "
         "Hälfte der Kinder erreicht kein Angebot innerhalb der Suchgrenze."),
        ("Teilabdeckung", "ja: eine Gemeinde der Region liegt teils außerhalb der Netzdaten, "
         "oder die Region wurde nicht fertig berechnet."),
        ("ohne Bus & Bahn", "ja: für die Region lag kein Fahrplan (GTFS) vor."),
    ]  # fmt: skip
    if not with_types:
        rows.append(("Vergleich", "Ohne Kreistyp-Tabelle (z. B. BBSR-Kreistypen) kein Vergleich "
                     "„ähnlicher“ Kreise."))  # fmt: skip
    return rows


def read_dataset(out_dir: Path, table: str) -> pd.DataFrame:
    """One table of a batch's partitioned dataset, all regions, ``region`` as text.

    Parameters
    ----------
    out_dir
        The batch folder.
    table
        ``orte`` (a GeoDataFrame), ``gemeinden``, ``kreis`` or ``raster``.

    Notes
    -----
    The partition key is given as text: pyarrow would read ``region=05558``
    as the number 5558 (hidden temporaries, ``.…``, are skipped by pyarrow).
    """
    partitioning = ds.partitioning(pa.schema([("region", pa.string())]), flavor="hive")
    path = Path(out_dir) / DATASET / table
    if table == "orte":
        frame: pd.DataFrame = gpd.read_parquet(path, partitioning=partitioning)
    else:
        frame = pd.read_parquet(path, partitioning=partitioning)
    return frame


def load_batch(out_dir: Path) -> BatchResult:
    """Open a batch folder: the Land overview and each region's paths.

    Raises
    ------
    InputDataError
        The folder holds no finished batch (no ``land_uebersicht.parquet``).
    """
    path = Path(out_dir) / LAND_OVERVIEW
    if not path.is_file():
        msg = f"no batch result in {out_dir}"
        raise InputDataError(
            msg, file=path, message_de=f"Im Ordner {out_dir} liegt kein Ergebnis eines Batch-Laufs"
        )
    overview = gpd.read_parquet(path)
    ids = [str(i) for i in overview["region"]]
    root = Path(out_dir) / "regionen"
    return BatchResult(
        overview=overview,
        region_files={i: root / i / "region.toml" for i in ids},
        exports={i: root / i / "ergebnis" for i in ids if (root / i / "ergebnis").is_dir()},
        dataset=Path(out_dir) / DATASET,
    )
