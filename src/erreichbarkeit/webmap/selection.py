"""The chosen village's ring: a layer of its own, swapped without reloading the map.

The dashboard passes it to streamlit-folium as ``feature_group_to_add``:
streamlit-folium reloads the whole map (a new iframe, all layers parsed and
drawn again) whenever the map's script changes, but swaps such a group in the
map that is already shown.  Keeping the chosen village out of the map's own
layers therefore turns a village change into a ring moving on the map.
"""

from __future__ import annotations

import html

import folium
import geopandas as gpd

__all__ = ["SELECTION_LAYER", "selection_group"]

#: Name of the ring's group (not listed in the layer control).
SELECTION_LAYER = "Gewählter Ort"


def selection_group(villages: gpd.GeoDataFrame, selected_id: str | None) -> folium.FeatureGroup:
    """A group with a black ring around the village ``selected_id`` (empty without one).

    Parameters
    ----------
    villages
        Village points with ``id`` and ``name`` (any CRS; drawn in WGS 84).
    selected_id
        The chosen village's id; ``None`` or an id without a point: no ring.

    Returns
    -------
    folium.FeatureGroup
        Not in the layer control; the ring has no fill, so a click inside it
        still reaches the village's own dot below.
    """
    group = folium.FeatureGroup(name=SELECTION_LAYER, control=False)
    if selected_id is None or villages.empty:
        return group
    hit = villages[villages["id"].astype(str) == str(selected_id)]
    if villages.crs is not None:
        hit = hit.to_crs("EPSG:4326")
    for name, geom in zip(hit["name"], hit.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        folium.CircleMarker(
            location=(round(float(geom.y), 6), round(float(geom.x), 6)),
            radius=12,
            color="#000000",
            weight=4,
            fill=False,
            tooltip=html.escape(str(name)),
        ).add_to(group)
    return group
