"""The Beispielkreis's Jugendamt area: an analysis area smaller than the data area.

In the fictional Beispielkreis, as in many real Kreise, the largest town has
its own Stadtjugendamt and the Kreisjugendamt serves every other Gemeinde.
:func:`write_area_region` writes ``jugendamt.toml`` next to the demo's
``region.toml``: the same data files and options, plus an ``[area]`` table
naming the Kreisjugendamt's Gemeinden.  The dashboard lists it after the
Beispielkreis, so the difference between the analysis area and the data area
(villages and offers of the town still count as destinations and context)
can be seen without real data.
"""

from __future__ import annotations

import json
from pathlib import Path

from erreichbarkeit._atomic import atomic_path
from erreichbarkeit.demo.files import DemoFiles
from erreichbarkeit.demo.model import Model

__all__ = ["AREA_FILE", "AREA_NAME", "area_region_file", "write_area_region"]

#: The area region file's name in the demo folder.
AREA_FILE = "jugendamt.toml"
#: The default demo area's name in titles, exports and Steckbriefe.
AREA_NAME = "Kreisjugendamt Beispielkreis"


def area_region_file(demo_region: Path) -> Path:
    """The area region file next to the demo's ``region.toml``."""
    return Path(demo_region).with_name(AREA_FILE)


def write_area_region(model: Model, files: DemoFiles) -> Path:
    """Write ``jugendamt.toml``: the demo region with every Gemeinde but the largest town.

    Parameters
    ----------
    model
        The generated county (its Gemeinden with population).
    files
        The written demo files; ``files.region`` must exist (its text is
        copied, so the area file names the same data and options).

    Returns
    -------
    Path
        The written area region file.
    """
    area_name = f"Kreisjugendamt {model.layout.name}"
    town = max(model.gemeinden, key=lambda g: (g.population, g.ags))
    served = sorted((g for g in model.gemeinden if g.ags != town.ags), key=lambda g: g.ags)
    keys = "\n".join(f"    {json.dumps(g.ags)},  # {g.name}" for g in served)
    source = (
        f"fiktiv: die größte Stadt {town.name} ({town.ags}) hat ein eigenes Stadtjugendamt, "
        "das Kreisjugendamt ist für alle übrigen Gemeinden zuständig"
    )
    header = (
        f"# {area_name} (fiktiv): dieselben Daten wie region.toml, ausgewertet für die\n"
        f"# Gemeinden des Kreisjugendamts (alle außer {town.name}).  Orte und Angebote in\n"
        f"# {town.name} zählen weiter als Ziele und erscheinen als Umgebung auf der Karte.\n"
    )
    area = (
        "\n[area]\n"
        f"name = {json.dumps(area_name, ensure_ascii=False)}\n"
        f"source = {json.dumps(source, ensure_ascii=False)}\n"
        f"ags = [\n{keys}\n]\n"
    )
    text = header + files.region.read_text("utf-8").rstrip("\n") + "\n" + area
    target = area_region_file(files.region)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target
