"""Bus & Bahn indicators and options against hand-computed values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from erreichbarkeit.analysis.transit import (
    NO_PT,
    clock,
    gemeinde_transit,
    return_trip_columns,
    transit_columns,
)
from erreichbarkeit.config import Settings, TransitOptions
from erreichbarkeit.errors import ConfigError


def _villages() -> pd.DataFrame:
    """Four villages, category kita: by bus, on foot, no departure, rare service."""
    return pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "name": ["Adorf", "Bdorf", "Cdorf", "Ddorf"],
            "gemeinde": ["G1", "G1", "G2", "G2"],
            "children_0_3": [10.0, 20.0, 30.0, 40.0],
            "children_3_6": [0.0, 0.0, 0.0, 0.0],
            "kita_pt_min": [30.0, 8.0, np.nan, np.nan],
            "kita_pt_nearest_id": ["k1", "k2", None, None],
            "kita_car_min": [10.0, 4.0, 12.0, 15.0],
        }
    )


def _transit() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "origin_id": ["a", "b", "d"],
            "destination_id": ["k1", "k2", "k1"],
            "best_min": [21.0, 8.0, 50.0],
            "departures": [3, 0, 1],
            "transfers": [1, -1, 0],
            "walk_only": [False, True, False],
        }
    )


def test_transit_columns_by_hand() -> None:
    out = transit_columns(_villages(), _transit(), ["kita"])
    assert out["kita_pt_best_min"].tolist()[:2] == [21.0, 8.0]
    assert np.isnan(out["kita_pt_best_min"].iloc[2])
    # d: asked for its nearest straight-line offer k1, but kita_pt_nearest_id is None
    assert out["kita_pt_departures"].tolist() == [3, 0, 0, 0]
    assert out["kita_pt_transfers"].tolist() == [1, -1, -1, -1]
    assert out["kita_pt_walk_only"].tolist() == [False, True, False, False]
    assert out["kita_pt_factor"].iloc[0] == 3.0  # 30 / 10
    assert out["kita_pt_factor"].iloc[1] == 2.0  # 8 / 4
    assert out["kita_pt_status"].tolist() == [
        "Faktor über 2 (Bus & Bahn gegenüber Auto)",
        "nur zu Fuß erreichbar",
        NO_PT,
        NO_PT,
    ]


def test_rare_service_is_not_called_no_service() -> None:
    villages = _villages().assign(kita_pt_nearest_id=["k1", "k2", None, "k1"])
    out = transit_columns(villages, _transit(), ["kita"])
    assert out["kita_pt_departures"].iloc[3] == 1
    assert out["kita_pt_status"].iloc[3].startswith("zu wenige Fahrten")


def test_without_car_no_factor() -> None:
    out = transit_columns(_villages(), _transit(), ["kita"], with_car=False)
    assert out["kita_pt_factor"].isna().all()


def test_return_trip_columns() -> None:
    trips = {"kita": pd.DataFrame({"origin_id": ["a", "b"], "home_min": [1139.2, 1141.0]})}
    out = return_trip_columns(_villages(), trips, home_by=1140)
    assert out["kita_pt_home_at"].tolist() == ["19:00", "19:01", "", ""]
    assert out["kita_pt_home_by"].tolist() == [True, False, False, False]


def test_clock() -> None:
    assert clock(0) == "00:00"
    assert clock(1440 + 5) == "24:05"
    assert clock(float("nan")) == ""


def test_gemeinde_factor_is_children_weighted_median() -> None:
    vt = transit_columns(_villages(), _transit(), ["kita"])
    gem = gemeinde_transit(vt, ["kita"], {"kita": ("0-3", "3-6")}).set_index("gemeinde")
    # G1: factors 3.0 (10 children) and 2.0 (20 children): half of 30 is reached at 2.0
    assert gem.loc["G1", "factor_median"] == 2.0
    assert gem.loc["G1", "villages_factor_over_2"] == 1
    # G2: both without Bus & Bahn: the median is beyond every factor
    assert np.isnan(gem.loc["G2", "factor_median"])
    assert gem.loc["G2", "villages_no_pt"] == 2
    assert gem.loc["G2", "children_no_pt"] == 70.0
    assert gem.loc["G2", "names_no_pt"] == "Cdorf, Ddorf"


def test_categories_have_windows_and_pt_thresholds() -> None:
    s = Settings()
    assert s.pt_window("kita") == (390, 480)
    assert s.pt_window("jugendzentrum") == (810, 990)
    assert s.threshold("kinderarzt", "pt") == 45.0
    assert s.modes == ("car", "bike", "walk")


def test_region_file_transit_table(tmp_path: Path) -> None:
    region = tmp_path / "region.toml"
    region.write_text(
        '[inputs]\ngtfs = ["bus.zip"]\n[transit]\ndate = 2026-03-10\nhome_by = "18:30"\n'
        'windows = { kita = "06:00-07:30" }\non_demand_routes = ["ruf-1"]\n',
        "utf-8",
    )
    s = Settings.from_toml(region)
    assert s.modes == ("car", "bike", "walk", "pt")
    assert s.gtfs == (tmp_path / "bus.zip",)
    assert s.transit.date == dt.date(2026, 3, 10)
    assert s.transit.home_by == 18 * 60 + 30
    assert s.pt_window("kita") == (360, 450)
    assert s.transit.on_demand_routes == ("ruf-1",)


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"transit": {"date": "31.02.2026"}}, "transit.date"),
        ({"transit": {"home_by": "7 Uhr"}}, "transit.home_by"),
        ({"transit": {"windows": {"kita": "08:00-07:00"}}}, "transit.windows.kita"),
        ({"transit": {"windows": {"kitta": "06:00-07:00"}}}, "transit.windows.kitta"),
        ({"transit": {"max_access_min": 0}}, "transit.max_access_min"),
        ({"transit": {"umstiege": 2}}, "transit.umstiege"),
        ({"modes": ["car", "pt"]}, "modes"),
    ],
)
def test_bad_transit_options_are_named_in_german(table: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_dict(table)
    assert err.value.column == key
    assert "Eintrag" in err.value.german


def test_transit_options_are_part_of_the_cache_key() -> None:
    a = Settings(gtfs=(Path("x.zip"),), modes=("walk", "pt"))
    b = a.replace(transit=TransitOptions(date=dt.date(2026, 3, 10)))
    assert a.cache_key() != b.cache_key()
