"""A whole Land at once: every Kreis or Jugendamt area as one Dask task.

:mod:`~erreichbarkeit.batch.plan` names the regions and clips the Land's
files for all of them in one pass, :mod:`~erreichbarkeit.batch.tasks` runs
one region per task (skipped when done with the same inputs and settings),
:mod:`~erreichbarkeit.batch.cluster` runs the tasks on a Dask LocalCluster or
an existing cluster, :mod:`~erreichbarkeit.batch.land` writes the Land
workbook, overview and map and opens a finished batch (:func:`load_batch`).
"""

from __future__ import annotations

from erreichbarkeit.batch.cluster import BatchProgress, BatchReport, run_batch
from erreichbarkeit.batch.land import BatchResult, build_land, load_batch, read_dataset
from erreichbarkeit.batch.plan import (
    BatchOptions,
    BatchRegion,
    ClippedRegion,
    clip_regions,
    kreis_names,
    plan_regions,
)
from erreichbarkeit.batch.tasks import RegionOutcome, RegionTask, run_region

__all__ = [
    "BatchOptions",
    "BatchProgress",
    "BatchRegion",
    "BatchReport",
    "BatchResult",
    "ClippedRegion",
    "RegionOutcome",
    "RegionTask",
    "build_land",
    "clip_regions",
    "kreis_names",
    "load_batch",
    "plan_regions",
    "read_dataset",
    "run_batch",
    "run_region",
]
