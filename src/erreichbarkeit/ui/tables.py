"""German numbers, labels and tables of the dashboard (no Streamlit).

Numbers use the German decimal comma and thousands dot; the tables have
German headers (:mod:`erreichbarkeit.ui.texts`) and are sorted the way a
planner reads them (worst first).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from erreichbarkeit._helpers import number_de
from erreichbarkeit.analysis import indicators
from erreichbarkeit.analysis.outreach import outreach_flag
from erreichbarkeit.config import MODE_LABELS, age_column
from erreichbarkeit.io import RowProblem
from erreichbarkeit.ui import texts
from erreichbarkeit.ui.views import View, ViewData
from erreichbarkeit.webmap.outreach import outreach_text

__all__ = [
    "column_digits",
    "comparison_display",
    "format_day",
    "format_decimal",
    "format_int",
    "format_minutes",
    "format_short",
    "format_threshold",
    "gemeinde_display",
    "german",
    "legend_title",
    "nearest_for_village",
    "offer_label",
    "problems_frame",
    "view_subtitle",
    "village_display",
]


def _finite(x: Any) -> float | None:
    """``x`` as a finite float, or None (None, NaN, ±inf, pandas NA, not a number)."""
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def format_int(x: float) -> str:
    """German integer with thousands dots (``1.234``); „—“ when there is no number."""
    value = _finite(x)
    if value is None:
        return "—"
    return f"{round(value):,}".replace(",", ".")


def format_minutes(x: float) -> str:
    """Minutes with one decimal and a decimal comma; „—“ when there is no number.

    For a median use :func:`erreichbarkeit.analysis.indicators.format_median_de`,
    which also shows a censored median as „> 90 min“.
    """
    value = _finite(x)
    if value is None:
        return "—"
    return f"{value:.1f}".replace(".", ",")


def format_decimal(x: Any, digits: int = 1) -> str:
    """German number: thousands dots, decimal comma (``1.234,5``); „—“ when there is none."""
    return number_de(x, digits)


#: Headers of share columns: „Anteil …“ or a „(%)“ unit; always one decimal.
_SHARE = re.compile(r"^Anteil\b|%")
#: Headers of counts of people (children, Einwohner): whole numbers.  Rates and
#: minutes („Plätze je 1.000 Kinder“, „Median Minuten (Kinder)“) are not counts.
_PEOPLE = re.compile(r"\b(Kinder|Einwohner)\b")
_NOT_PEOPLE = re.compile(r"Minuten|\bje\b|Faktor|Gewicht|Priorität")
#: Coordinates: five decimals (about 1 m), never the one decimal of other numbers.
_COORDINATES = frozenset({"Breitengrad", "Längengrad"})


def column_digits(header: Any, column: pd.Series) -> int:
    """Decimals of a numeric page column, from its German header and its values.

    Shares (``Anteil …``, ``… (%)``) always one decimal, counts of people
    (``Kinder …``, ``Einwohner``) none (never „12,3 Kinder“), coordinates
    five; any other column none when all its values are whole, else one.

    Examples
    --------
    >>> column_digits("Anteil ≤ 10 min (%)", pd.Series([56.0]))
    1
    >>> column_digits("zusätzlich erreichte Kinder", pd.Series([533.8]))
    0
    >>> column_digits("Plätze je 1.000 Kinder", pd.Series([460.7]))
    1
    """
    name = str(header)
    if name in _COORDINATES:
        return 5
    if _SHARE.search(name):
        return 1
    if _PEOPLE.search(name) and not _NOT_PEOPLE.search(name):
        return 0
    values = pd.to_numeric(column, errors="coerce").astype("float64")
    finite = values[values.abs() < math.inf]
    return 0 if bool((finite == finite.round()).all()) else 1


def _cell_formatter(header: Any, column: pd.Series) -> Any:
    """How one column of a page table is shown: ja/nein, whole or one-decimal numbers."""
    if pd.api.types.is_bool_dtype(column):
        return lambda b: "ja" if bool(b) else "nein"
    if not pd.api.types.is_numeric_dtype(column):
        return None
    digits = column_digits(header, column)
    return lambda x: format_decimal(x, digits)


def german(table: pd.DataFrame) -> Any:
    """A page table as people read it: German number format, „—“ for no value.

    Returns a pandas ``Styler``: Streamlit shows its display texts while the
    column keeps its numbers, so sorting by a column still sorts numerically.
    Numbers get thousands dots and a decimal comma (decimals by
    :func:`column_digits`: none for children and other whole-number columns,
    one for shares and minutes), booleans „ja“/„nein“,
    missing values „—“ — never „nan“ or „None“ (a numeric column with
    missing values is turned into text for that, so it sorts as text).
    """
    table = table.copy()
    formats = {}
    for col in table.columns:
        fmt = _cell_formatter(col, table[col])
        if fmt is None:
            continue
        if pd.api.types.is_numeric_dtype(table[col]) and bool(table[col].isna().any()):
            # Streamlit's table ignores the Styler for missing numbers and shows
            # „None“: such columns become German text („—“ where there is none)
            table[col] = table[col].map(fmt).astype(object)
        else:
            formats[col] = fmt
    return table.style.format(formats, na_rep="—")


def format_day(day: Any) -> str:
    """A date as „Di 10.03.2026“ (German weekday abbreviation); „—“ without a date."""
    if day is None or not hasattr(day, "weekday"):
        return "—"
    return f"{texts.PT_WEEKDAYS[day.weekday()]} {day.strftime('%d.%m.%Y')}"


def format_threshold(view: View, category: str) -> str:
    """The view's threshold of a category as short German minutes (``10``, ``7,5``)."""
    return format_short(view.thresholds.get(category, math.nan))


def format_short(x: Any) -> str:
    """A number as short German text without trailing zeros (``10``, ``7,5``); „—“ without one.

    Examples
    --------
    >>> format_short(7.5), format_short(10.0), format_short(1500.0)
    ('7,5', '10', '1.500')
    """
    value = _finite(x)
    if value is None:
        return "—"
    decimals = f"{value:.6f}".rstrip("0").split(".")[1]  # at most six, as ``:g`` would
    return format_decimal(value, len(decimals))


def legend_title(view: View, category: str, labels: Mapping[str, str]) -> str:
    """Legend title of the map."""
    return texts.LEGEND_TITLE.format(
        label=labels.get(category, category), mode=MODE_LABELS.get(view.mode, view.mode)
    )


def view_subtitle(view: View, category: str, labels: Mapping[str, str]) -> str:
    """``"Kita · Auto · Kinder 0–3 Jahre · Schwellenwert 10 min"``."""
    return texts.PRINT_SUBTITLE.format(
        label=labels.get(category, category),
        mode=MODE_LABELS.get(view.mode, view.mode),
        age=view.age_group.replace("-", "–"),
        minutes=format_threshold(view, category),
    )


def offer_label(row: Mapping[str, Any]) -> str:
    """``"Kita Sonnenschein – Hauptstraße 1, Musterhausen"`` (address when known)."""
    name = str(row.get("name") or row.get("id") or "")
    address = row.get("address")
    if isinstance(address, str) and address.strip():
        return f"{name} – {address.strip()}"
    return name


def _worst_first(view: View, unmet: pd.Series, ratio: pd.Series) -> pd.Index:
    """Village rows by categories missed, then minutes-to-threshold ratio, then name."""
    order = pd.DataFrame(
        {"u": -unmet, "r": -ratio, "n": view.villages["name"].astype(str)}
    ).sort_values(["u", "r", "n"], kind="mergesort")
    return order.index


def village_display(view: View, labels: Mapping[str, str]) -> pd.DataFrame:
    """The village table for the page: German headers, worst first.

    Sorted by the number of categories whose threshold is missed
    (descending), then by the largest minutes-to-threshold ratio (unreachable
    first), then by name.
    """
    v = view.villages
    age = texts.AGE_LABEL.format(group=view.age_group.replace("-", "–"))
    children = pd.to_numeric(v[age_column(view.age_group)]).round(0)
    out = pd.DataFrame(
        {
            texts.COL_NAME: v["name"],
            texts.COL_GEMEINDE: v.get("gemeinde", ""),
            texts.COL_CHILDREN.format(age=age): children,
        }
    )
    unmet = pd.Series(0, index=v.index)
    ratio = pd.Series(0.0, index=v.index)
    pt = view.mode == "pt"
    for cat in view.categories:
        p = f"{cat}_{view.mode}"
        label = labels.get(cat, cat)
        minutes = v[f"{p}_min"].round(1)
        served = outreach_flag(v, cat)
        minutes = minutes.mask(served)  # aufsuchend: the minutes cell stays empty
        # Bus & Bahn: many villages without a connection; text, so no „None“ shows
        out[texts.COL_MIN.format(label=label)] = _as_text(minutes, 1) if pt else minutes
        # Bus & Bahn has no route length: „—“, never 0 km (and never Streamlit's „None“)
        out[texts.COL_KM.format(label=label)] = (
            v[f"{p}_km"].round(1).mask(served) if not pt else pd.Series("—", index=v.index)
        )
        out[texts.COL_WITHIN.format(label=label)] = v[f"{p}_within"]
        if served.any():  # „aufsuchend (<Name>)“ where the minutes are empty
            out[f"{label}: aufsuchend"] = v[f"{cat}_outreach_name"].map(outreach_text)
        if pt:
            for header, values in _pt_columns(v, cat, label).items():
                out[header] = values
        unmet += (~v[f"{p}_within"].astype(bool)).astype(int)
        r = (v[f"{p}_min"] / view.thresholds[cat]).mask(served, 0.0).fillna(math.inf)
        ratio = pd.concat([ratio, r], axis=1).max(axis=1)
    out[texts.COL_UNMET] = unmet
    if "gemeinde_partial" in v.columns:
        out[texts.COL_PARTIAL] = v["gemeinde_partial"].map({True: "ja"}).fillna("")
    out[texts.COL_REASON] = v["reason"]
    order = _worst_first(view, unmet, ratio)
    out = out.loc[order]
    out.index = pd.Index(v.loc[order, "id"].astype(str), name="id")
    return out


def _as_text(values: pd.Series, digits: int) -> pd.Series:
    """Numbers as German text, „—“ for no value.

    Streamlit's table shows a missing number as „None“ whatever the Styler
    says, so Bus & Bahn columns, where „no value“ is common and meaningful
    (no departure, no connection), are shown as text.
    """
    return pd.to_numeric(values, errors="coerce").map(lambda x: format_decimal(x, digits))


def _pt_columns(v: pd.DataFrame, cat: str, label: str) -> dict[str, pd.Series]:
    """The Bus & Bahn columns of one category with German headers (none when absent).

    No departure and no connection are shown as „—“ (never 0 or -1); the
    status column says why („kein ÖPNV-Angebot im Zeitfenster“ …).
    """
    p = f"{cat}_pt"
    if f"{p}_status" not in v.columns:
        return {}
    departures = pd.to_numeric(v[f"{p}_departures"], errors="coerce")
    transfers = pd.to_numeric(v[f"{p}_transfers"], errors="coerce")
    out = {
        texts.COL_PT_BEST.format(label=label): _as_text(v[f"{p}_best_min"], 1),
        texts.COL_PT_DEPARTURES.format(label=label): _as_text(departures.where(departures > 0), 0),
        texts.COL_PT_TRANSFERS.format(label=label): _as_text(transfers.where(transfers >= 0), 0),
        texts.COL_PT_FACTOR.format(label=label): _as_text(v[f"{p}_factor"], 1),
        texts.COL_PT_STATUS.format(label=label): v[f"{p}_status"].fillna("").astype(str),
    }
    if f"{p}_home_at" in v.columns:
        home = v[f"{p}_home_at"].fillna("").astype(str)
        out[texts.COL_PT_HOME_AT.format(label=label)] = home.where(home != "", "—")
        out[texts.COL_PT_HOME_BY.format(label=label)] = v[f"{p}_home_by"].astype(bool)
    return out


def gemeinde_display(view: View, labels: Mapping[str, str]) -> pd.DataFrame:
    """The Gemeinde table for the page: German headers, most underserved first."""
    g = view.gemeinden.copy()
    g["category"] = g["category"].map(lambda c: labels.get(c, c))
    for col in ("share_children_beyond", "share_children_no_offer", "share_children_outreach"):
        if col in g.columns:
            g[col] = (g[col] * 100).round(1)
    # the median stays numeric (the cutoff when censored) so the column sorts;
    # „Median über Grenze“ next to it says when it means „> cutoff“
    for col in ("children_median_min", "children_mean_min_reachable"):
        if col in g.columns:
            g[col] = g[col].round(1)
    if "children_beyond" in g.columns:  # whole children, never „51,3 Kinder“
        g["children_beyond"] = g["children_beyond"].round(0)
    if "gemeinde_partial" in g.columns:
        g["gemeinde_partial"] = g["gemeinde_partial"].map({True: "ja"}).fillna("")
    cols = [c for c in texts.GEM_COLUMNS if c in g.columns]
    g = g.sort_values(["n_underserved", "children_beyond"], ascending=False, kind="mergesort")
    return g.loc[:, cols].rename(
        columns={**texts.GEM_COLUMNS, "share_children_beyond": "Anteil Kinder darüber (%)"}
    )


def _nearest_row(label: str, rec: Mapping[str, Any] | None, *, pt: bool) -> dict[str, str]:
    """One row of the nearest-offers table as text (``rec`` ``None``: no offer reachable).

    Text, not numbers: Streamlit's table shows a missing number as „None“
    whatever the Styler says; here a missing value is „—“.  Bus & Bahn has
    no route length („—“, never 0 km).
    """
    if rec is None:
        return {
            texts.COL_CATEGORY: label,
            texts.COL_RANK: "—",
            texts.COL_OFFER: texts.NO_OFFER,
            texts.COL_MINUTES: "—",
            texts.COL_KM_PLAIN: "—",
        }
    return {
        texts.COL_CATEGORY: label,
        texts.COL_RANK: format_int(rec["rank"]),
        texts.COL_OFFER: str(rec["name"]),
        texts.COL_MINUTES: format_decimal(rec["minutes"], 1),
        texts.COL_KM_PLAIN: "—" if pt else format_decimal(rec["km"], 1),
    }


def nearest_for_village(
    data: ViewData, village_id: str, *, mode: str, categories: Sequence[str], k: int = 2
) -> pd.DataFrame:
    """The ``k`` nearest offers of each category from one village (German headers, text)."""
    tt = data.travel_times
    tt = tt[(tt["origin_id"] == village_id) & (tt["mode"] == mode)]
    offers = data.offers[data.offers["category"].isin(categories)]
    near = indicators.nearest_offers(tt, offers, k=k)
    table = data.category_table
    pt = mode == "pt"
    rows = []
    for cat in categories:
        label = table[cat].label if cat in table else cat
        records: list[dict[Any, Any]] = near[near["category"] == cat].to_dict("records")
        rows += [_nearest_row(label, rec, pt=pt) for rec in records] or [
            _nearest_row(label, None, pt=pt)
        ]
    return pd.DataFrame(rows)


def _signed(text: str, value: float) -> str:
    """``text`` of a difference with its sign: „+12“, „-3“, „±0“ (also when it rounds to 0)."""
    if value == 0 or not text.strip("-0,."):
        return "±" + text.lstrip("-")
    return text if value < 0 else f"+{text}"


def _kpi_cell(label: str, value: Any, *, delta: bool, beyond: bool) -> str:
    """One cell of the scenario comparison as German text (see :func:`comparison_display`)."""
    number = _finite(value)
    if number is None:
        return "—"
    if label.endswith(_FLAG_SUFFIX):  # 0/1 flag: ja/nein, its difference „geändert“
        return ("geändert" if number else "—") if delta else ("ja" if number else "nein")
    if label.startswith("Anteil"):  # a share 0…1; its difference in percentage points
        text = format_decimal(100 * number, 1)
        return _signed(text, number) + " Prozentpunkte" if delta else f"{text} %"
    if "Minuten" in label:
        if beyond and not delta:  # the cutoff stands for „more than“
            return f"> {format_short(number)} min"
        text = format_decimal(number, 1)
        return _signed(text, number) if delta else text
    text = format_int(number)  # children and villages: whole numbers
    return _signed(text, round(number)) if delta else text


#: The comparison's flag rows end with this („Median über Grenze (1 = ja)“).
_FLAG_SUFFIX = " (1 = ja)"


def comparison_display(table: pd.DataFrame) -> pd.DataFrame:
    """The scenario comparison (``ScenarioDelta.kpis_de()``) as German text, row by row.

    Its rows have different units, so :func:`german` (one format per column)
    cannot show it: children and villages whole („1.771“), shares in percent
    („30,6 %“, the difference in Prozentpunkte), minutes with one decimal
    („> 90 min“ when the median is beyond the cutoff), the 0/1 flag as
    „ja“/„nein“.  The first column holds the row labels, the last the
    differences („Differenz“).
    """
    label_col, *value_cols = list(table.columns)
    labels = table[label_col].astype(str)
    flags = table[labels.str.endswith(_FLAG_SUFFIX)]
    beyond = {c: bool(len(flags)) and bool(_finite(flags[c].iloc[0])) for c in value_cols[:-1]}
    out = pd.DataFrame({label_col: labels.str.removesuffix(_FLAG_SUFFIX)})
    for i, col in enumerate(value_cols):
        is_delta = i == len(value_cols) - 1
        out[col] = [
            _kpi_cell(lab, v, delta=is_delta, beyond=beyond.get(col, False))
            for lab, v in zip(labels, table[col], strict=True)
        ]
    return out.reset_index(drop=True)


def problems_frame(problems: Sequence[RowProblem]) -> pd.DataFrame:
    """Row problems as a German table (Zeile, Spalte, Art, Meldung)."""
    return pd.DataFrame(
        {
            texts.COL_ROW: [p.row for p in problems],
            texts.COL_COLUMN: [p.column or "" for p in problems],
            texts.COL_SEVERITY: [texts.SEVERITY.get(p.severity, p.severity) for p in problems],
            texts.COL_MESSAGE: [p.message_de for p in problems],
        }
    )
