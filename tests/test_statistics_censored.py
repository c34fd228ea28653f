"""Honest statistics: unreachable is censored beyond the cutoff, never left out.

Hand-computed tiny tables pin

* the censored weighted median/quantile (a village without a reachable offer
  counts as ``+∞`` with its weight; a median that falls there is "beyond the
  cutoff": the cutoff as a sortable number, a flag, and „> 90 min“ as text);
* the Kreis headline over fully covered Gemeinden (``gemeinde_partial``) with
  the share of children it covers;
* the threshold boundary: exactly at the threshold counts as *within*
  everywhere (a ``<=`` turned into ``<`` fails a test here);
* the display helpers: never „nan“, „None“ or ``inf`` where a person reads.

The last test runs the Beispielkreis and checks that the summaries, the
dashboard's KPI formatting and Gemeinde table, the print map's KPI notes, the
Steckbrief and the CLI summary print the same median.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from erreichbarkeit.analysis.grid import grid_indicators
from erreichbarkeit.analysis.indicators import (
    censored_median,
    count_within,
    format_median_de,
    gemeinde_long,
    gemeinde_table,
    kreis_summary,
    village_table,
    weighted_median,
    weighted_quantile,
)
from erreichbarkeit.cli.analyse import _pct_de, _print_summary
from erreichbarkeit.config import MODE_LABELS, Settings
from erreichbarkeit.demo.beispielkreis import generate_demo
from erreichbarkeit.errors import ConfigError
from erreichbarkeit.pipeline import run
from erreichbarkeit.planning.scenarios.comparison import KPI_LABELS, _kpi_table, _median_text
from erreichbarkeit.report.steckbrief_data import format_de, steckbrief_kpis
from erreichbarkeit.results import Results
from erreichbarkeit.ui.kpis import kpi_notes, kpis, median_text
from erreichbarkeit.ui.tables import format_int, format_minutes, gemeinde_display
from erreichbarkeit.ui.views import View, compute_view, view_data

NAN = math.nan


# -- weighted median and quantiles ------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "weights", "expected"),
    [
        ([5, NAN, NAN], [1, 1, 1], math.inf),  # 2 of 3 unreachable: censored
        ([5, 7, NAN], [1, 1, 1], 7.0),  # cum 1, 2 of 3: 2·2 >= 3 at 7
        ([5, NAN], [1, 1], 5.0),  # lower median: cum 1, 2·1 >= 2 at 5
        ([NAN, 5], [1, 3], 5.0),  # order does not matter
        ([NAN, 5], [3, 1], math.inf),
        ([NAN, 3, 8], [3, 1, 1], math.inf),  # cum 1, 2 of 5: 2·2 < 5 until the censored part
        ([NAN, 3, 8], [2, 1, 1], 8.0),  # cum 1, 2 of 4: 2·2 >= 4 at 8
        ([NAN, 3, 8], [1, 1, 2], 8.0),  # cum 1, 3 of 4 at 8
    ],
)
def test_weighted_median_counts_unreachable_as_beyond(minutes, weights, expected) -> None:
    assert weighted_median(minutes, weights) == expected


def test_censored_median_is_the_cutoff_with_a_flag() -> None:
    assert censored_median([5, NAN, NAN], [1, 1, 1], cutoff=90) == (90.0, True)
    assert censored_median([5, 7, NAN], [1, 1, 1], cutoff=90) == (7.0, False)
    assert censored_median([5, NAN, NAN], [1, 1, 1], cutoff=45) == (45.0, True)
    m, beyond = censored_median([5, NAN], [0, 0], cutoff=90)
    assert math.isnan(m)
    assert not beyond


@pytest.mark.parametrize(
    ("q", "expected"),
    [(0.25, 2.0), (0.5, 4.0), (0.75, math.inf), (1.0, math.inf)],
)
def test_weighted_quantile_hand_values(q, expected) -> None:
    # 2 (1), 4 (1), NaN (2): cumulative 1, 2, 4 of 4
    assert weighted_quantile([4, NAN, 2], [1, 2, 1], q) == expected


def test_weighted_quantile_rejects_q_outside_the_unit_interval() -> None:
    with pytest.raises(ValueError, match="quantile"):
        weighted_quantile([1.0], [1.0], 0.0)
    with pytest.raises(ValueError, match="quantile"):
        weighted_quantile([1.0], [1.0], 1.5)


# -- Gemeinde and Kreis tables -------------------------------------------------------------


def _villages(minutes, children, *, ags=None, partial=None) -> pd.DataFrame:
    n = len(minutes)
    df = pd.DataFrame(
        {
            "name": [f"Ort {i}" for i in range(n)],
            "ags": ags or ["001"] * n,
            "gemeinde": [f"G{a}" for a in (ags or ["001"] * n)],
            "population": [10.0 * c for c in children],
            "children_0_3": children,
            "kita_walk_min": minutes,
        }
    )
    if partial is not None:
        df["gemeinde_partial"] = partial
    return df


_OPTS = {"categories": ["kita"], "modes": ["walk"], "age_groups": {"kita": ["0-3"]}}


def test_gemeinde_median_falls_into_the_censored_part() -> None:
    vt = _villages([5.0, NAN, NAN], [1.0, 1.0, 1.0])
    r = gemeinde_long(vt, threshold={("kita", "walk"): 20.0}, cutoff=90.0, **_OPTS).iloc[0]
    assert (r["children_median_min"], r["children_median_beyond"]) == (90.0, True)
    assert (r["pop_median_min"], r["pop_median_beyond"]) == (90.0, True)
    # the mean is over reachable villages only, the share without offer beside it
    assert r["children_mean_min_reachable"] == 5.0
    assert r["share_children_no_offer"] == pytest.approx(2 / 3)
    assert r["share_pop_no_offer"] == pytest.approx(2 / 3)
    assert r["children_beyond"] == 2.0
    assert format_median_de(r["children_median_min"], r["children_median_beyond"]) == "> 90 min"


def test_gemeinde_median_takes_the_cutoff_in_force() -> None:
    vt = _villages([5.0, NAN, NAN], [1.0, 1.0, 1.0])
    r = gemeinde_long(vt, threshold={("kita", "walk"): 20.0}, cutoff=60.0, **_OPTS).iloc[0]
    assert r["children_median_min"] == 60.0
    assert format_median_de(r["children_median_min"], r["children_median_beyond"]) == "> 60 min"


def test_gemeinde_median_with_one_unreachable_village_is_a_number() -> None:
    vt = _villages([5.0, 7.0, NAN], [1.0, 1.0, 1.0])
    r = gemeinde_long(vt, threshold={("kita", "walk"): 20.0}, **_OPTS).iloc[0]
    assert (r["children_median_min"], r["children_median_beyond"]) == (7.0, False)
    assert r["children_mean_min_reachable"] == 6.0
    assert r["share_children_no_offer"] == pytest.approx(1 / 3)
    assert format_median_de(r["children_median_min"], r["children_median_beyond"]) == "7,0 min"


def test_old_behaviour_would_show_a_small_median() -> None:
    # 69 % of the children without offer: the old rule (NaN left out) gave 3 min
    vt = _villages([3.0, 4.0, NAN, NAN], [20.0, 11.0, 40.0, 29.0])
    r = gemeinde_long(vt, threshold={("kita", "walk"): 20.0}, **_OPTS).iloc[0]
    assert r["share_children_no_offer"] == pytest.approx(0.69)
    assert r["children_median_beyond"]
    assert r["children_median_min"] == 90.0


def test_gemeinde_table_keeps_the_flag_and_a_sortable_number() -> None:
    vt = _villages([5.0, NAN, 2.0, 3.0], [1.0, 1.0, 1.0, 1.0], ags=["001", "001", "002", "002"])
    wide = gemeinde_table(vt, threshold={("kita", "walk"): 20.0}, **_OPTS)
    assert wide["kita_walk_children_median_min"].tolist() == [5.0, 2.0]
    assert wide["kita_walk_children_median_beyond"].tolist() == [False, False]
    assert wide["kita_walk_children_median_min"].dtype == np.float64
    vt = _villages([NAN, NAN, 2.0, 3.0], [1.0, 1.0, 1.0, 1.0], ags=["001", "001", "002", "002"])
    wide = gemeinde_table(vt, threshold={("kita", "walk"): 20.0}, **_OPTS)
    assert wide["kita_walk_children_median_min"].tolist() == [90.0, 2.0]
    assert wide["kita_walk_children_median_beyond"].tolist() == [True, False]
    assert wide["kita_walk_children_median_beyond"].dtype == bool


def test_bad_cutoff_is_a_config_error() -> None:
    vt = _villages([5.0], [1.0])
    for bad in (0.0, -5.0, math.inf, NAN):
        with pytest.raises(ConfigError):
            kreis_summary(vt, threshold={("kita", "walk"): 20.0}, cutoff=bad, **_OPTS)


# -- Kreis headline over fully covered Gemeinden ----------------------------------------------


def test_kreis_headline_covers_only_fully_covered_gemeinden() -> None:
    # the partial Gemeinde's 100 children sit on one unreachable hamlet
    vt = _villages(
        [NAN, 5.0, 8.0, 12.0],
        [100.0, 30.0, 10.0, 0.0],
        ags=["009", "001", "001", "002"],
        partial=[True, False, False, np.nan],
    )
    k = kreis_summary(vt, threshold={("kita", "walk"): 10.0}, **_OPTS).iloc[0]
    # covered: 5 (30), 8 (10), 12 (0 children): cum 30 of 40 >= 20 at 5
    assert (k["children_median_min"], k["children_median_beyond"]) == (5.0, False)
    assert k["n_villages"] == 3  # the missing flag counts as covered
    assert k["children_beyond"] == 0.0  # 12 min has no children
    assert k["n_underserved"] == 1
    assert k["share_children_covered"] == pytest.approx(40 / 140)
    # without the column every village counts: 100 of 140 unreachable
    k_all = kreis_summary(
        vt.drop(columns=["gemeinde_partial"]), threshold={("kita", "walk"): 10.0}, **_OPTS
    ).iloc[0]
    assert (k_all["children_median_min"], k_all["children_median_beyond"]) == (90.0, True)
    assert k_all["share_children_covered"] == 1.0
    assert k_all["n_villages"] == 4
    # the Gemeinde table keeps every Gemeinde, partial ones included
    long = gemeinde_long(vt, threshold={("kita", "walk"): 10.0}, **_OPTS)
    assert sorted(long["ags"]) == ["001", "002", "009"]


def test_kreis_headline_when_every_gemeinde_is_partial() -> None:
    vt = _villages([5.0, 8.0], [3.0, 1.0], partial=[True, True])
    k = kreis_summary(vt, threshold={("kita", "walk"): 10.0}, **_OPTS).iloc[0]
    assert k["share_children_covered"] == 0.0
    assert k["n_villages"] == 0
    assert math.isnan(k["children_median_min"])
    assert format_median_de(k["children_median_min"], k["children_median_beyond"]) == "—"


# -- the threshold boundary: exactly at the threshold is within ------------------------------


def _boundary_run():
    villages = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "name": ["Adorf", "Bdorf", "Cdorf"],
            "ags": ["001"] * 3,
            "gemeinde": ["G"] * 3,
            "population": [100.0, 100.0, 100.0],
            "children_0_3": [10.0, 20.0, 40.0],
        }
    )
    offers = pd.DataFrame({"id": ["o1", "o2"], "name": ["K1", "K2"], "category": ["kita"] * 2})
    tt = pd.DataFrame(
        {
            "origin_id": ["a", "a", "b", "c"],
            "destination_id": ["o1", "o2", "o1", "o2"],
            "mode": ["walk"] * 4,
            "minutes": [10.0, 10.0, 10.0 + 1e-9, 9.5],
            "km": [1.0, 1.0, 1.0, 1.0],
        }
    )
    return villages, tt, offers


def test_exactly_at_threshold_counts_as_within_in_the_village_table() -> None:
    villages, tt, offers = _boundary_run()
    limit = {("kita", "walk"): 10.0}
    n = count_within(tt, offers, limit).set_index("origin_id")["n_within"]
    assert n["a"] == 2  # both offers exactly at 10 min
    assert n.get("b", 0) == 0  # a hair beyond
    vt = village_table(villages, tt, offers, categories=["kita"], modes=["walk"], threshold=limit)
    assert vt["kita_walk_within"].tolist() == [True, False, True]
    assert vt["kita_walk_n_within"].tolist() == [2, 0, 1]


def test_exactly_at_threshold_counts_as_within_in_the_summaries() -> None:
    villages, tt, offers = _boundary_run()
    limit = {("kita", "walk"): 10.0}
    vt = village_table(villages, tt, offers, categories=["kita"], modes=["walk"], threshold=limit)
    r = kreis_summary(vt, threshold=limit, **_OPTS).iloc[0]
    assert r["children_beyond"] == 20.0  # only Bdorf (10 + 1e-9 min)
    assert r["n_underserved"] == 1
    assert r["underserved_villages"] == "Bdorf"


def test_exactly_at_threshold_counts_as_within_in_the_kpis() -> None:

    villages, tt, offers = _boundary_run()
    limit = {("kita", "walk"): 10.0}
    vt = village_table(villages, tt, offers, categories=["kita"], modes=["walk"], threshold=limit)
    view = View(
        mode="walk",
        categories=("kita",),
        age_group="0-3",
        thresholds={"kita": 10.0},
        villages=vt,
        gemeinden=gemeinde_long(vt, threshold=limit, **_OPTS),
        kreis=kreis_summary(vt, threshold=limit, **_OPTS),
    )
    k = kpis(view, "kita")
    assert (k["children_within"], k["children_beyond"], k["underserved"]) == (50.0, 20.0, 1.0)
    # 9.5 (40), 10 (10), 10+ (20): cum 40 of 70 >= 35 at 9.5
    assert (k["median_min"], k["median_beyond"]) == (9.5, 0.0)


def test_exactly_at_the_band_limit_counts_in_the_grid_shares() -> None:
    cells = pd.DataFrame(
        {
            "ags": ["A"] * 3,
            "gemeinde": ["Aheim"] * 3,
            "population": [1.0, 1.0, 2.0],
            "kita_car_min": [5.0, 10.0, NAN],
        }
    )
    _, kreis = grid_indicators(cells, categories=["kita"], modes=["car"], bands=(5, 10))
    k = kreis.iloc[0]
    assert (k["share_within_5"], k["share_within_10"]) == (0.25, 0.5)
    # 5 (1), 10 (1), unreachable (2): cum 2 of 4 reaches half at 10
    assert (k["pop_median_min"], k["pop_median_beyond"]) == (10.0, False)
    assert k["share_unreachable"] == 0.5


# -- what a person reads ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "beyond", "expected"),
    [
        (3.25, False, "3,2 min"),  # round half to even of the float 3.25
        (3.3, False, "3,3 min"),
        (90.0, True, "> 90 min"),
        (45.5, True, "> 45,5 min"),
        (NAN, False, "—"),
        (NAN, True, "—"),
        (None, None, "—"),
        ("x", False, "—"),
        (math.inf, False, "> 90 min"),  # an uncensored inf from weighted_median
        (12.0, np.nan, "12,0 min"),  # a missing flag counts as not beyond
        (12.0, np.True_, "> 12 min"),
    ],
)
def test_format_median_de(value, beyond, expected) -> None:
    assert format_median_de(value, beyond) == expected


def test_format_helpers_never_print_nan_or_none() -> None:

    for bad in (None, NAN, math.inf, -math.inf, pd.NA, "abc"):
        for fn in (format_int, format_minutes, format_de, _pct_de):
            text = fn(bad)
            assert text == "—", (fn.__name__, bad, text)
    assert format_int(1234.4) == "1.234"
    assert format_minutes(7.25) == "7,2"
    assert format_de(1234.5, 1) == "1.234,5"
    assert _pct_de(0.6875) == "68,8 %"


# -- the Beispielkreis: every output reads the same median --------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Results:

    tmp = tmp_path_factory.mktemp("censored")
    files = generate_demo(tmp / "daten")
    settings = Settings.from_toml(
        Path(files.region), cache_dir=tmp / "cache", grid_cell_m=None, modes=("car", "walk")
    )
    return run(settings)


def _censored_gemeinde(results: Results) -> tuple[str, str, str]:
    """A Gemeinde, category (one age group) and mode where most children have no offer."""
    table = results.settings.categories()
    g = results.gemeinden
    one_group = [c for c in results.categories if len(table[c].age_groups) == 1]
    hit = g[
        g["category"].isin(one_group) & (g["mode"] == "walk") & (g["share_children_no_offer"] > 0.5)
    ]
    assert len(hit), "the Beispielkreis has no Gemeinde where most children lack an offer"
    r = hit.iloc[0]
    return str(r["ags"]), str(r["category"]), str(r["mode"])


def test_beispielkreis_outputs_agree_on_a_censored_gemeinde(
    demo: Results, capsys: pytest.CaptureFixture[str]
) -> None:

    ags, cat, mode = _censored_gemeinde(demo)
    age = demo.settings.categories()[cat].age_groups[0]
    cutoff = demo.settings.routing.cutoff_minutes
    expected = f"> {cutoff:g} min"

    # the run's Gemeinde table (summaries)
    g = demo.gemeinden
    row = g[(g["ags"] == ags) & (g["category"] == cat) & (g["mode"] == mode)].iloc[0]
    assert row["children_median_beyond"]
    assert row["children_median_min"] == cutoff
    assert format_median_de(row["children_median_min"], row["children_median_beyond"]) == expected

    # the dashboard's Gemeinde table: sortable number + flag
    view = compute_view(view_data(demo), mode=mode, categories=[cat], age_group=age, thresholds={})
    shown = gemeinde_display(view, {}).set_index("Gemeinde")
    name = str(row["gemeinde"])
    assert shown.loc[name, "Median Minuten (Kinder)"] == cutoff
    assert bool(shown.loc[name, "Median über Grenze"])

    # the Steckbrief of the Gemeinde
    sk = steckbrief_kpis(demo, ags=ags, mode=mode, age_group=age, categories=[cat]).iloc[0]
    assert sk["median_text"] == expected
    assert bool(sk["median_beyond"])

    # the Kreis: KPI card, print-map notes, Steckbrief and CLI summary read the same
    k = kpis(view, cat)
    kreis_text = median_text(k)
    kreis_sk = steckbrief_kpis(demo, ags=None, mode=mode, age_group=age, categories=[cat])
    assert kreis_sk.iloc[0]["median_text"] == kreis_text
    assert any(kreis_text in note for note in kpi_notes(view, cat))
    _print_summary(demo, {}, 0.0)
    out = capsys.readouterr().out
    label = demo.settings.categories()[cat].label
    mode_de = MODE_LABELS[mode]
    line = next(
        ln for ln in out.splitlines() if ln.strip().startswith(label) and f" {mode_de} " in ln
    )
    assert kreis_text in line
    assert not re.search(r"\bnan\b|\bNone\b|\binf\b", out, flags=re.IGNORECASE), out


def test_beispielkreis_walking_median_is_never_below_driving(demo: Results) -> None:
    # the old rule left unreachable villages out, so walking medians came out
    # below the car medians; censored, walking can only be slower
    k = demo.kreis.set_index(["category", "mode"])
    for cat in demo.categories:
        walk = k.loc[(cat, "walk"), "children_median_min"]
        car = k.loc[(cat, "car"), "children_median_min"]
        assert walk >= car, cat


def test_scenario_kpis_keep_the_censored_median_honest() -> None:
    before = dict.fromkeys(KPI_LABELS, 0.0) | {"median_min": 90.0, "median_beyond": 1.0}
    after = dict.fromkeys(KPI_LABELS, 0.0) | {"median_min": 12.0, "median_beyond": 0.0}
    table = _kpi_table(before, after).set_index("kpi")
    # "more than 90" minus 12 is no number: the median's difference stays empty
    assert math.isnan(table.loc["median_min", "delta"])
    assert table.loc["median_beyond", "delta"] == -1.0
    assert (_median_text(before), _median_text(after)) == ("> 90 min", "12,0 min")
    after["median_beyond"], after["median_min"] = 0.0, 80.0
    before["median_beyond"], before["median_min"] = 0.0, 85.5
    assert _kpi_table(before, after).set_index("kpi").loc["median_min", "delta"] == -5.5
