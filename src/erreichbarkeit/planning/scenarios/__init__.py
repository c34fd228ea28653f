"""What-if scenarios: add, move or close offers and see what changes.

A planner asks "what if the Kinderarzt in X closes?" or "what if the new
Familienzentrum opens in Y?".  :func:`apply_scenario` answers from a finished
run (:class:`~erreichbarkeit.results.Results`) without running the pipeline
again:

* only the **changed offers' columns** of the long travel-time table are
  routed (one OSRM table query per mode from every village to the new or
  moved offers, through :func:`erreichbarkeit.network.matrix.travel_times`, so
  snapping and the cutoff follow exactly the rules of the full run); rows of
  closed or moved offers are dropped;
* the village table is recomputed only for the **affected categories** (with
  :func:`erreichbarkeit.analysis.indicators.village_table` on those categories'
  offers) and spliced into the base table; the German ``reason`` text is
  recomputed only for villages whose reachability changed;
* Gemeinde and Kreis rows are recomputed only for the affected categories.

The result equals a full pipeline run on the modified offers list for every
village, category and mode (``tests/test_scenarios.py`` checks this).

:func:`compare` lists the villages that move within or beyond a threshold,
their children, the new nearest offer and the KPI deltas, with a German
summary; :func:`compare_two` puts two scenarios side by side;
:func:`save_scenario`/:func:`load_scenario` keep scenarios as small JSON
files; :func:`erreichbarkeit.report.scenario_export.export_comparison` writes
the deltas to Excel.

Modules: :mod:`~erreichbarkeit.planning.scenarios.model` (the data classes),
:mod:`~erreichbarkeit.planning.scenarios.apply` (applying, with the offers
table edited in :mod:`~erreichbarkeit.planning.scenarios._offers`),
:mod:`~erreichbarkeit.planning.scenarios.comparison` and
:mod:`~erreichbarkeit.planning.scenarios.files`.

Nothing here imports Streamlit; the dashboard wires these functions to its
widgets.
"""

from erreichbarkeit.errors import ScenarioError, ScenarioFileError
from erreichbarkeit.planning.scenarios.apply import apply_scenario
from erreichbarkeit.planning.scenarios.comparison import (
    KPI_LABELS,
    ScenarioDelta,
    compare,
    compare_two,
    kpi_values,
)
from erreichbarkeit.planning.scenarios.files import FORMAT_VERSION, load_scenario, save_scenario
from erreichbarkeit.planning.scenarios.model import (
    Change,
    ChangeKind,
    Scenario,
    ScenarioResult,
    new_scenario,
)

__all__ = [
    "FORMAT_VERSION",
    "KPI_LABELS",
    "Change",
    "ChangeKind",
    "Scenario",
    "ScenarioDelta",
    "ScenarioError",
    "ScenarioFileError",
    "ScenarioResult",
    "apply_scenario",
    "compare",
    "compare_two",
    "kpi_values",
    "load_scenario",
    "new_scenario",
    "save_scenario",
]
