"""A fictional bus network for the Beispielkreis (planned here, written as GTFS).

Everything here is **invented**: the agency "Beispielkreis
Verkehrsgesellschaft (fiktiv)", its lines, stops and timetable.  The feed
(``busse.gtfs.zip``, written by :func:`~erreichbarkeit.demo.files.write_gtfs`)
lets "Bus & Bahn" run offline on the demo county and brings what rural
timetables bring:

* **Radial lines** 501–506 (``route_type`` 3) from the ZOB of the Kreisstadt
  along the shortest roads to six Gemeinde seats and on to the outermost
  village of the seat's Gemeinde, with out-and-back detours
  ("Stichfahrten") to villages up to 3 km off the route.  Two more stops in
  the Kreisstadt lie near the schools and the other offers.
* **A tangential line** 510 between two Gemeinde seats: the smaller seat
  has no radial line, so a trip from the ZOB there *needs a transfer* at
  the other seat, where line 510 waits five minutes for the radial buses.
* **A Rufbus** 520 (``route_type`` 715, on demand) up one dead-end valley.
* **Villages without a bus**: every village more than 3 km by road from
  all radial lines (at least one).  Their place nodes in the OSM file carry
  :data:`NO_BUS_NOTE`; :func:`villages_without_bus` lists them.  With the
  default seed 2026 these are eight villages, among them *Holzfeld* in the
  far east and *Felsfeld*, only 4 km from the Kreisstadt.  The track-only
  hamlet and the single farms have no stop either.
* **School-day service** (``schultag``, Monday–Friday, 2026-01-01 –
  2030-12-31): a morning peak towards the Kreisstadt and back, an hourly
  afternoon service in both directions, a last evening bus, one bus past
  midnight (23:50, arrival ``24:…``) and a fictional holiday (2026-10-06)
  removed in ``calendar_dates.txt``; a Saturday service (``samstag``) on
  line 501 only.

Stops stand on the junction node of their village in the OSM network
(about 20 m from the place node), so walkers snap to them.  Run times
follow the road length at 40 km/h outside and 30 km/h inside villages, plus
one minute dwell per stop.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import osmium
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from erreichbarkeit.demo.model import Model, OsmDraft

__all__ = [
    "AGENCY_NAME",
    "FEED_END",
    "FEED_START",
    "HOLIDAY",
    "NO_BUS_NOTE",
    "SATURDAY",
    "SCHOOL",
    "TransitPlan",
    "mark_without_bus",
    "plan_transit",
    "villages_without_bus",
]

AGENCY_NAME = "Beispielkreis Verkehrsgesellschaft (fiktiv)"
NO_BUS_NOTE = "fiktiv: keine Bushaltestelle – mit Bus & Bahn nicht erreichbar"
HOLIDAY = "20261006"  # a fictional holiday: no school-day service
FEED_START, FEED_END = "20260101", "20301231"
SCHOOL, SATURDAY = "schultag", "samstag"
_DETOUR_M = 3_000.0  # villages at most this far (by road) from a line get a detour
_CAR = frozenset({"primary", "secondary", "tertiary", "unclassified", "residential"})
_WAIT_MIN = 5  # the tangential line waits this long at the transfer seat


def _times(text: str) -> tuple[int, ...]:
    """``"06:00 06:30"`` → minutes after midnight."""
    return tuple(int(t[:2]) * 60 + int(t[3:]) for t in text.split())


# departures of the radial lines on school days, from the seat and from the ZOB
_INBOUND = _times("06:00 06:30 07:00 07:30 08:30 13:30 14:30 15:30 16:30 17:30")
_OUTBOUND = _times("06:15 07:15 08:15 13:00 14:00 15:00 16:00 17:00 20:15")
_LATE = _times("23:50")[0]
_SAT_IN = _times("08:00 10:00 12:00 14:00 16:00")
_SAT_OUT = _times("09:00 11:00 13:00 15:00 17:00")
_RUF_UP = _times("06:40 12:10 13:40 15:40 17:40")
_RUF_DOWN = _times("06:10 07:10 12:40 14:40 16:40")


class _Roads:
    """The roads a bus may use (no tracks, paths or one-way streets) as a graph."""

    def __init__(self, osm: OsmDraft) -> None:
        """Collect the edges with their length and bus speed."""
        self.osm = osm
        self.kmh: dict[tuple[int, int], float] = {}
        for nodes, tags in osm.ways:
            if tags.get("highway") not in _CAR or tags.get("oneway") == "yes":
                continue
            village = tags.get("highway") == "residential" or tags.get("maxspeed") in ("30", "50")
            for a, b in itertools.pairwise(nodes):
                self.kmh[(a, b)] = self.kmh[(b, a)] = 30.0 if village else 40.0
        n = len(osm.nodes) + 1  # OSM ids start at 1; row 0 stays empty
        rows = [a for a, _ in self.kmh]
        cols = [b for _, b in self.kmh]
        lengths = [self.length(a, b) for a, b in self.kmh]
        self.matrix = csr_array((lengths, (rows, cols)), shape=(n, n))

    def length(self, a: int, b: int) -> float:
        """Straight length of the edge ``a``–``b`` in metres."""
        return math.dist(self.osm.xy(a), self.osm.xy(b))

    def path(self, a: int, b: int) -> list[int]:
        """Nodes of the shortest road path from ``a`` to ``b`` (both included)."""
        _, pred = dijkstra(self.matrix, directed=False, indices=a, return_predecessors=True)
        return _walk_back(pred, b)

    def length_of(self, path: Sequence[int]) -> float:
        """Length of a path in metres."""
        return sum(self.length(a, b) for a, b in itertools.pairwise(path))

    def seconds(self, path: Sequence[int]) -> float:
        """Bus driving time along a path (without stops)."""
        return sum(
            self.length(a, b) / (self.kmh[(a, b)] / 3.6) for a, b in itertools.pairwise(path)
        )

    def from_path(self, path: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Road distance of every node to the nearest node of ``path``, and predecessors."""
        dist, pred, _ = dijkstra(
            self.matrix,
            directed=False,
            indices=sorted(set(path)),
            min_only=True,
            return_predecessors=True,
        )
        return np.asarray(dist), np.asarray(pred)


def _walk_back(pred: np.ndarray, target: int) -> list[int]:
    """Follow scipy predecessors from ``target`` back to the source; return source → target."""
    out = [target]
    while pred[out[-1]] >= 0:
        out.append(int(pred[out[-1]]))
    return out[::-1]


@dataclass
class Stop:
    """A stop: id, name and the OSM junction node it stands on."""

    stop_id: str
    name: str
    node: int


@dataclass
class Line:
    """A route and its path through the road network (outbound direction)."""

    route_id: str
    short_name: str
    long_name: str
    route_type: int
    path: list[int]
    description: str = ""
    partner: tuple[str, str] | None = None  # (route, stop) a tangential line waits for


@dataclass
class Trip:
    """One trip: its times as ``(stop_id, arrival, departure)`` in minutes."""

    trip_id: str
    route_id: str
    service: str
    direction: int
    headsign: str
    times: list[tuple[str, int, int]]


@dataclass
class TransitPlan:
    """The whole fictional bus network before it is written.

    Attributes
    ----------
    stops
        Every stop.
    lines
        Routes with their road paths.
    trips
        Every trip with its stop times.
    without_bus
        Place indices of the villages that get no stop at all.
    agency
        The agency's name (``"<county> Verkehrsgesellschaft (fiktiv)"``).
    """

    stops: list[Stop]
    lines: list[Line]
    trips: list[Trip] = field(default_factory=list)
    without_bus: list[int] = field(default_factory=list)
    agency: str = AGENCY_NAME


def _town_stops(model: Model, roads: _Roads) -> list[Stop]:
    """The ZOB and two stops near the offers of the Kreisstadt."""
    town = model.places[0]
    zob = Stop("zob", f"{town.name} ZOB", town.node)
    roads_xy = {int(n): model.osm.xy(int(n)) for n in np.nonzero(roads.matrix.sum(axis=1))[0]}
    grid = sorted(n for n, xy in roads_xy.items() if math.dist(xy, (town.x, town.y)) <= 700)
    offers = [o for o in model.offers if o.place == 0]
    groups = (
        ("stadt-schule", f"{town.name} Schulzentrum", ("grundschule", "schule")),
        ("stadt-markt", f"{town.name} Markt", ("familienzentrum", "beratung", "kinderarzt")),
    )
    stops = [zob]
    for stop_id, name, categories in groups:
        xy = [(o.x, o.y) for o in offers if o.category in categories] or [(town.x, town.y)]
        cx, cy = float(np.mean([p[0] for p in xy])), float(np.mean([p[1] for p in xy]))
        taken = [model.osm.xy(s.node) for s in stops]
        free = [n for n in grid if all(math.dist(roads_xy[n], t) >= 350 for t in taken)]
        node = min(free, key=lambda n: math.dist(roads_xy[n], (cx, cy)))
        stops.append(Stop(stop_id, name, node))
    return stops


def _seat_pair(model: Model, roads: _Roads, radial: dict[int, list[int]]) -> tuple[int, int]:
    """The seat without a radial line and the seat its tangential line starts from.

    The smallest seat (by population) that lies on no other seat's road from
    the ZOB and is nearer by road to another such seat than to the ZOB,
    without passing the ZOB or a third seat; else the seat farthest from the
    ZOB and the seat nearest to it.
    """
    places = model.places
    seats = sorted(radial)
    on_other = {s for s in seats for t in seats if t != s and places[s].node in radial[t]}
    best: tuple[int, float, int, int] | None = None
    for q, p in itertools.permutations(seats, 2):
        if q in on_other or p in on_other:
            continue
        path = roads.path(places[p].node, places[q].node)
        if places[0].node in path or any(places[s].node in path[1:-1] for s in seats):
            continue
        key = (places[q].population, roads.length_of(path), q, p)
        if key[1] < roads.length_of(radial[q]) and (best is None or key < best):
            best = key
    if best is None:  # not observed
        q = max(seats, key=lambda s: roads.length_of(radial[s]))
        qx, qy = places[q].x, places[q].y
        return q, min(
            (s for s in seats if s != q),
            key=lambda s: (places[s].x - qx) ** 2 + (places[s].y - qy) ** 2,
        )
    return best[2], best[3]


def _bearing(model: Model, i: int) -> float:
    """Compass bearing (degrees, clockwise from north) of place ``i`` seen from the town."""
    town, p = model.places[0], model.places[i]
    return math.degrees(math.atan2(p.x - town.x, p.y - town.y)) % 360.0


def _base_paths(
    model: Model, roads: _Roads, town_stops: list[Stop]
) -> tuple[list[tuple[int, int, list[int]]], int]:
    """Waypoints ``(from place, to place, nodes)`` of the radial lines, then the tangential.

    Returns them and the seat where the tangential line meets its radial partner.
    """
    places = model.places
    seats = [i for i, p in enumerate(places) if p.kind == "centre"]
    zob = town_stops[0].node
    radial = {s: roads.path(zob, places[s].node) for s in seats}
    q, p = _seat_pair(model, roads, radial)
    served = sorted((s for s in seats if s != q), key=lambda s: _bearing(model, s))
    via: dict[int, list[int]] = {s: [] for s in served}
    for stop in town_stops[1:]:
        costs = {}
        for s in served:
            path = roads.path(zob, stop.node) + roads.path(stop.node, places[s].node)[1:]
            costs[s] = roads.length_of(path) - roads.length_of(radial[s])
        cheapest = min(served, key=lambda s: (costs[s], s))
        for s in served:
            if s == cheapest or costs[s] <= 300.0:
                via[s].append(stop.node)
    avoid = {zob} | {places[s].node for s in seats}
    out = []
    for s in served:
        end = _terminus(model, roads, s, avoid - {places[s].node})
        tail = [places[end].node] if end != s else []
        out.append((0, s, [zob, *via[s], places[s].node, *tail]))
    out.append((p, q, [places[p].node, places[q].node]))
    return out, p


def _valleys(model: Model, roads: _Roads) -> dict[int, list[int]]:
    """Valley places by their base seat, ordered up the valley."""
    places = model.places
    seats = [i for i, p in enumerate(places) if p.kind == "centre"]
    out: dict[int, list[int]] = {}
    for i, p in enumerate(places):
        if p.kind != "valley":
            continue
        dist = dijkstra(roads.matrix, directed=False, indices=p.node)
        base = min(seats, key=lambda s: float(dist[places[s].node]))
        out.setdefault(base, []).append(i)
    for base, chain in out.items():
        dist = dijkstra(roads.matrix, directed=False, indices=places[base].node)
        chain.sort(key=lambda i: float(dist[places[i].node]))
    return out


def _path(roads: _Roads, waypoints: Sequence[int]) -> list[int]:
    """The road path through the waypoints."""
    path = [waypoints[0]]
    for u, v in itertools.pairwise(waypoints):
        path += roads.path(u, v)[1:]
    return path


def _terminus(model: Model, roads: _Roads, seat: int, avoid: set[int]) -> int:
    """Where a radial line ends: the village of the seat's Gemeinde farthest out.

    "Farthest out" is the largest road distance from the Kreisstadt among the
    villages at least a kilometre farther out than the seat whose road from
    the seat passes no node of ``avoid``; the seat itself if there is none.
    """
    places = model.places
    d0 = dijkstra(roads.matrix, directed=False, indices=places[0].node)
    home = places[seat].gemeinde
    best = seat
    for i, p in enumerate(places):
        if p.place != "village" or p.kind == "centre" or p.gemeinde != home or p.node in avoid:
            continue
        if d0[p.node] < d0[places[seat].node] + 1_000 or d0[p.node] <= d0[places[best].node]:
            continue
        if not avoid & set(roads.path(places[seat].node, p.node)):
            best = i
    return best


def _with_detours(
    path: list[int], targets: list[int], pred: np.ndarray, dist: np.ndarray
) -> list[int]:
    """``path`` with an out-and-back spur to every target node not already on it."""
    route = list(path)
    for node in sorted(targets, key=lambda n: (-float(dist[n]), n)):
        if node in route:
            continue
        spur = _walk_back(pred, node)  # from the nearest node of the main path
        k = route.index(spur[0])
        route[k + 1 : k + 1] = [*spur[1:], *spur[-2::-1]]
    return route


def _plan_lines(model: Model, roads: _Roads, town_stops: list[Stop]) -> TransitPlan:
    """Routes with detours, stops and the villages left without a bus."""
    places = model.places
    bases, p = _base_paths(model, roads, town_stops)
    valleys = _valleys(model, roads)
    ruf_base = max(sorted(valleys), key=lambda b: len(valleys[b]))
    ruf_valley = set(valleys[ruf_base])
    villages = [
        i
        for i, pl in enumerate(places)
        if pl.place == "village" and pl.kind in ("village", "valley") and i not in ruf_valley
    ]
    reach = [roads.from_path(_path(roads, way)) for _, _, way in bases]
    on_tangential = set(_path(roads, bases[-1][2]))  # the tangential line makes no detours
    villages = [v for v in villages if places[v].node not in on_tangential]
    radial = range(len(bases) - 1)
    best = {v: min(radial, key=lambda k: (float(reach[k][0][places[v].node]), k))
            for v in villages}  # fmt: skip
    gap = {v: float(reach[best[v]][0][places[v].node]) for v in villages}
    without = [v for v in villages if gap[v] > _DETOUR_M] or [
        max(villages, key=lambda v: (gap[v], -v))
    ]
    lines = []
    for k, (a, b, way) in enumerate(bases):
        targets = [places[v].node for v in villages if best[v] == k and v not in without]
        route = _with_detours(_path(roads, way), targets, reach[k][1], reach[k][0])
        short = _radial_number(k) if a == 0 else "510"
        ends = [a, b] if way[-1] == places[b].node else [a, b, _place_at(model, way[-1])]
        long_name = " – ".join(_stop_name(model, i).split(",")[0] for i in ends)
        lines.append(Line(short, short, long_name, 3, route))
    partner = next(line for line, (_, b, _) in zip(lines, bases, strict=False) if b == p)
    lines[-1].partner = (partner.route_id, f"ort-{p:02d}")
    chain = [ruf_base, *valleys[ruf_base]]
    ruf_path = [places[ruf_base].node]
    for u, v in itertools.pairwise(chain):
        ruf_path += roads.path(places[u].node, places[v].node)[1:]
    name = f"Rufbus {places[ruf_base].name} – {places[chain[-1]].name}"
    desc = "Rufbus: Fahrt bitte bis 60 Minuten vorher telefonisch anmelden (fiktiv)"
    lines.append(Line("520", "520", name, 715, ruf_path, desc))
    stops = list(town_stops)
    on_routes = {n for line in lines for n in line.path}
    for i, pl in enumerate(places):
        if i > 0 and pl.kind in ("centre", "village", "valley", "hamlet") and pl.node in on_routes:
            stops.append(Stop(f"ort-{i:02d}", _stop_name(model, i), pl.node))
    stopped = {s.node for s in stops}
    without = [v for v in villages if places[v].node not in stopped]
    return TransitPlan(stops, lines, without_bus=without)


def _radial_number(k: int) -> str:
    """Line number of the ``k``-th radial line: 501, 502, … (510 and 520 left out)."""
    numbers = (n for n in range(501, 600) if n not in (510, 520))
    return str(next(itertools.islice(numbers, k, None)))


def _place_at(model: Model, node: int) -> int:
    """Index of the place whose junction is ``node``."""
    return next(i for i, p in enumerate(model.places) if p.node == node)


def _stop_name(model: Model, i: int) -> str:
    """Stop name of place ``i`` (the town: its ZOB)."""
    name = model.places[i].name
    return f"{name} ZOB" if i == 0 else f"{name}, Ortsmitte"


def _offsets(roads: _Roads, path: list[int], stop_at: dict[int, str]) -> list[tuple[str, int, int]]:
    """``(stop_id, arrival, departure)`` in minutes from the start along ``path``.

    Every stop is served at its first pass; intermediate stops have one
    minute dwell, each leg takes at least a minute.
    """
    out: list[tuple[str, int, int]] = []
    last = 0
    for k, node in enumerate(path):
        stop_id = stop_at.get(node)
        if stop_id is None or any(stop_id == s for s, _, _ in out):
            continue
        if not out:
            out.append((stop_id, 0, 0))
        else:
            arrival = out[-1][2] + max(1, round(roads.seconds(path[last : k + 1]) / 60))
            out.append((stop_id, arrival, arrival + 1))
        last = k
    stop_id, arrival, _ = out[-1]
    out[-1] = (stop_id, arrival, arrival)
    return out


def _trip(
    line: Line, service: str, direction: int, start: int, offsets: list[tuple[str, int, int]]
) -> Trip:
    """One trip of ``line`` starting at ``start`` (minutes after midnight)."""
    trip_id = f"{line.route_id}-{service}-{direction}-{start // 60:02d}{start % 60:02d}"
    times = [(s, start + a, start + d) for s, a, d in offsets]
    return Trip(trip_id, line.route_id, service, direction, "", times)


def _timetable(plan: TransitPlan, roads: _Roads) -> list[Trip]:
    """Every trip of every line (school days, one Saturday line, the Rufbus)."""
    stop_at = {s.node: s.stop_id for s in plan.stops}
    offsets = {
        line.route_id: (
            _offsets(roads, line.path, stop_at),
            _offsets(roads, line.path[::-1], stop_at),
        )
        for line in plan.lines
    }
    radial = [line for line in plan.lines if line.route_type == 3 and line.partner is None]
    longest = max(radial, key=lambda line: (offsets[line.route_id][0][-1][1], line.route_id))
    trips: list[Trip] = []
    for k, line in enumerate(radial):
        out, back = offsets[line.route_id]
        trips += [_trip(line, SCHOOL, 0, t + 5 * k, out) for t in _OUTBOUND]
        trips += [_trip(line, SCHOOL, 1, t + 5 * k, back) for t in _INBOUND]
        if line is longest:
            trips.append(_trip(line, SCHOOL, 0, _LATE, out))
        if k == 0:
            trips += [_trip(line, SATURDAY, 0, t, out) for t in _SAT_OUT]
            trips += [_trip(line, SATURDAY, 1, t, back) for t in _SAT_IN]
    for line in plan.lines:
        out, back = offsets[line.route_id]
        if line.partner is not None:  # wait for the partner's buses at the shared seat
            route, seat = line.partner
            for t in [t for t in trips if t.route_id == route and t.service == SCHOOL]:
                arrival, departure = next((a, d) for s, a, d in t.times if s == seat)
                if t.direction == 0 and t.times[0][2] != _LATE:
                    trips.append(_trip(line, SCHOOL, 0, arrival + _WAIT_MIN, out))
                elif t.direction == 1:
                    trips.append(_trip(line, SCHOOL, 1, departure - _WAIT_MIN - back[-1][1], back))
        elif line.route_type == 715:
            trips += [_trip(line, SCHOOL, 0, t, out) for t in _RUF_UP]
            trips += [_trip(line, SCHOOL, 1, t, back) for t in _RUF_DOWN]
    names = {s.stop_id: s.name for s in plan.stops}
    for t in trips:
        t.headsign = names[t.times[-1][0]]
    return sorted(trips, key=lambda t: t.trip_id)


def plan_transit(model: Model) -> TransitPlan:
    """Plan the fictional bus network of a generated county.

    Parameters
    ----------
    model
        The county from the generator (nothing in it is changed).

    Returns
    -------
    TransitPlan
        Stops, lines, trips and the villages left without a bus.
    """
    roads = _Roads(model.osm)
    plan = _plan_lines(model, roads, _town_stops(model, roads))
    plan.trips = _timetable(plan, roads)
    plan.agency = f"{model.layout.name} Verkehrsgesellschaft (fiktiv)"
    return plan


def mark_without_bus(model: Model, plan: TransitPlan) -> None:
    """Add :data:`NO_BUS_NOTE` to the place nodes of the villages without a stop."""
    notes: dict[str, str] = {}
    for i in plan.without_bus:
        place = model.places[i]
        place.note = f"{place.note}; {NO_BUS_NOTE}" if place.note else NO_BUS_NOTE
        notes[place.name] = place.note
    for _, _, tags in model.osm.nodes:  # one pass: a county-sized demo has 100 000 nodes
        if "place" in tags and tags.get("name") in notes:
            tags["note"] = notes[tags["name"]]


def villages_without_bus(network: Path) -> list[str]:
    """Names of the demo villages without a bus stop (read from the OSM file).

    Parameters
    ----------
    network
        The demo's ``beispielkreis.osm``.

    Returns
    -------
    list of str
        Names of the place nodes whose ``note`` contains :data:`NO_BUS_NOTE`, sorted.
    """
    names = []
    for obj in osmium.FileProcessor(str(network), osmium.osm.NODE):
        tags = dict(obj.tags)
        if "place" in tags and NO_BUS_NOTE in tags.get("note", ""):
            names.append(tags["name"])
    return sorted(names)
