"""Small helpers shared by the pipeline's modules: timing and progress."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from erreichbarkeit.config import ProgressCallback

__all__ = ["READ_STEP", "report", "timed"]

logger = logging.getLogger("erreichbarkeit.pipeline")

READ_STEP = "Eingabedaten lesen"


@contextmanager
def timed(timings: dict[str, float], step: str) -> Iterator[None]:
    """Record the seconds the block takes as ``timings[step]`` (and log them)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[step] = round(time.perf_counter() - started, 3)
        logger.info("%s: %.2f s", step, timings[step])


def report(progress: ProgressCallback | None, step: str, done: int, total: int) -> None:
    """Call the progress callback when there is one."""
    if progress:
        progress(step, done, total)
