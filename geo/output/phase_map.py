"""The interactive phase map: one self-contained, safe HTML file per plan.  The only module importing folium.

The page is folium's Leaflet map plus ``static/landplan.js``, a small Leaflet plugin (the zones layer, the
panel, legend, Gantt strip and footer as controls, and one evented app object) fed by one JSON payload built
here from the run's :class:`~geo.timeline.Timeline`, with every palette and legend text from :mod:`.style`.

Safety.  Folium escapes almost nothing, and branca compiles the string of every
``Element`` as a Jinja2 template, so text handed to it would be *code*: a plan
named ``{{ ... }}`` could run Python on the machine that builds its map.  Here
no text from layers or plans, and no file content, is ever template source or a
format string:

* folium renders a document that holds only fixed markup and, where the data,
  the title, the map's script and style and Leaflet go, fixed slot markers
  (:class:`_Slot`); :func:`fill_slots` puts the pieces in *after* rendering,
  in one pass, so nothing inserted is read again by anything.  The comparison
  page (:mod:`.compare_map`) is filled the same way.
* Every text from layers or plans travels in one JSON payload
  (:func:`payload_json`, which escapes ``<``, ``>`` and ``&`` so the payload
  cannot end its ``<script>`` element, and ``{``/``}`` as defence in depth),
  and ``geo/output/static/landplan.js`` puts it on the page with ``textContent`` only.
* The only data text written as HTML (the page title, the comparison page's
  plan names) and the fixed layer-control labels go through
  :func:`escape_text`: the one escape path.
* Bidirectional embedding, override and isolate controls are removed from every
  data text (:func:`plain_text`), and the page shows each data text in its own
  isolated element, so a name cannot reverse the hash or the attribution next
  to it.

Non-finite coordinates are rejected while encoding.

Size and speed.  Geometry is encoded once (:mod:`.encode`); the state of
each zone over time travels as the months its steps end, not as a copy of the
features per month.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import InitVar, dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from ..errors import LandplanError
from ..files import atomic_write
from ..plan import Problem
from ..run import build_date, digest
from ..schedule import Schedule
from ..schema import SCHEMAS
from ..timeline import Timeline
from .encode import encode_geometries
from .style import ATTRIBUTION, LAYER_COLORS, MAP_LAYERS, map_legend, track_colors

if TYPE_CHECKING:
    from ..run import PlanRun

__all__ = [
    "MapInputs",
    "build_date",
    "build_payload",
    "digest",
    "escape_text",
    "fill_slots",
    "payload_json",
    "phase_map",
    "plain_text",
    "static_text",
    "write_phase_map",
]

log = logging.getLogger(__name__)

#: Bidirectional embeddings (U+202A, U+202B), their terminator (U+202C), overrides (U+202D, U+202E) and
#: isolates (U+2066-U+2069): each opens or closes a directional context that can reach past the end of the
#: name holding it.  The marks U+200E, U+200F and U+061C stay: they only settle the direction of the
#: neutral characters beside them, are written in ordinary Hebrew and Arabic names, and cannot act outside
#: the isolated element the page shows each name in.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_JSON_BRACES = str.maketrans({"{": "\\u007b", "}": "\\u007d"})


def plain_text(value: object) -> str:
    """``value`` as display text, without bidirectional embedding, override or isolate controls.

    A right-to-left override in a plan or zone name would otherwise reverse whatever follows it on the
    same line (the footer's hash and attribution), and an unclosed embedding or isolate would change the
    order of the text around it.  The left-to-right, right-to-left and Arabic letter marks are kept (see
    ``_BIDI_CONTROLS``).

    Parameters
    ----------
    value : object
        Any value; ``None`` gives ``""``, anything else its ``str``.

    Returns
    -------
    str
        The text with U+202A-U+202E and U+2066-U+2069 removed.
    """
    if value is None:
        return ""
    return str(value).translate(_BIDI_CONTROLS)


def escape_text(value: object) -> str:
    """Escape ``value`` for HTML text or attributes, and for the JavaScript strings folium writes.

    The one path by which text from data is written as HTML: bidirectional controls are removed
    (:func:`plain_text`); ``<``, ``>``, ``&`` and both quotes become entities, and so do backslash,
    backtick, ``$``, ``{`` and ``}``, so neither ``</script>``, ``${x}`` nor a template delimiter
    survives even if the text later reached a script or a template.

    Parameters
    ----------
    value : object
        Any value; ``None`` gives ``""``.

    Returns
    -------
    str
        HTML-safe text.
    """
    text = html.escape(plain_text(value), quote=True)
    return (
        text.replace("\\", "&#92;")
        .replace("`", "&#96;")
        .replace("$", "&#36;")
        .replace("{", "&#123;")
        .replace("}", "&#125;")
    )


def _scrub(obj: Any) -> Any:
    """``obj`` with :func:`plain_text` applied to every string in it, keys included."""
    if isinstance(obj, str):
        return plain_text(obj)
    if isinstance(obj, dict):
        return {plain_text(k) if isinstance(k, str) else k: _scrub(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_scrub(v) for v in obj]
    return obj


def payload_json(payload: Any) -> str:
    """The payload as JSON that is safe inside ``<script type="application/json">``.

    The JSON path for data, as :func:`escape_text` is the HTML path: every string loses its
    bidirectional controls (:func:`plain_text`); ``<``, ``>`` and ``&`` are escaped so the payload cannot
    end its element, and ``{`` and ``}`` inside strings so that, even if the payload ever reached a
    template engine, it would hold no template delimiter.  ``JSON.parse`` gives back the same text.

    Parameters
    ----------
    payload : Any
        JSON-serialisable data; NaN and infinities are refused.

    Returns
    -------
    str
        ASCII JSON.

    Raises
    ------
    ValueError
        When the payload holds a non-finite number.
    """
    text = json.dumps(_scrub(payload), ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    text = _JSON_STRING.sub(lambda m: m.group(0).translate(_JSON_BRACES), text)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return None
    if v is pd.NA or (not isinstance(v, str | bytes) and pd.isna(v)):
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return v if isinstance(v, int) else round(float(v), 3)
    if hasattr(v, "item"):
        return _value(v.item())
    return str(v)


def _props(gdf: gpd.GeoDataFrame, fields: Sequence[str]) -> list[list[Any]]:
    return [[_value(row[f]) for f in fields] for row in gdf[list(fields)].to_dict("records")]


def _geom(gdf: gpd.GeoDataFrame, layer: str) -> dict[str, Any]:
    """The layer's encoded geometry; a bad feature is reported by layer and id."""
    schema = SCHEMAS.get(layer)
    ids = gdf[schema.id_column].tolist() if schema is not None and schema.id_column in gdf.columns else None
    return encode_geometries(gdf.geometry.values, layer=layer, ids=ids).to_json()


def _points(gdf: gpd.GeoDataFrame, fields: Sequence[str], layer: str) -> dict[str, Any]:
    return {
        "geom": _geom(gdf, layer),
        "fields": list(fields),
        "props": _props(gdf, fields),
    }


def _kinds(gdf: gpd.GeoDataFrame, column: str) -> list[Any]:
    return [_value(v) for v in gdf[column]]


def _reference_layers(ly: Mapping[str, gpd.GeoDataFrame]) -> dict[str, Any]:
    """The layers that do not change with the plan: facts to show on hover, and what their style depends on."""
    jer, bar, loc = ly["jerusalem"], ly["barrier"], ly["localities"]
    route, gates = bar[bar["kind"] == "route"], bar[bar["kind"] == "gate"]
    counted = loc[loc["counted_with"].isna()]
    return {
        "regions": _points(ly["regions"], ["name", "name_ar", "name_he", "area_km2", "share_pct", "rule"], "regions"),
        "firing_zones": _points(ly["firing_zones"], ["name", "number", "declared", "area_km2"], "firing_zones"),
        "seam_zone": _points(
            ly["seam_zone"], ["name", "area_km2", "share_pct", "localities", "population"], "seam_zone"
        ),
        "settlement_areas": _points(ly["settlement_areas"], ["name", "area_km2"], "settlement_areas"),
        "barrier": {
            **_points(route, ["status", "barrier_type", "length_km"], "barrier"),
            "lines": [True] * len(route),
            "status": _kinds(route, "status"),
        },
        "barrier_gates": _points(gates, ["name", "segment_id"], "barrier"),
        "links": {
            **_points(ly["links"], ["name", "status", "length_km", "published_length_km"], "links"),
            "lines": [True] * len(ly["links"]),
        },
        "jerusalem": {
            **_points(
                jer, ["name", "name_ar", "name_he", "kind", "clinton_rule", "population", "area_km2"], "jerusalem"
            ),
            "schematic": [bool(v) for v in jer["schematic"]],
            "kind": _kinds(jer, "kind"),
            "rule": _kinds(jer, "clinton_rule"),
        },
        "localities": {
            **_points(
                counted, ["name", "name_ar", "type", "population", "population_year", "population_2017"], "localities"
            ),
            "pop": [_value(v) for v in counted["population"]],
        },
        "early_warning": _points(ly["early_warning_sites"], ["name", "proposal", "description"], "early_warning_sites"),
    }


@dataclass
class MapInputs:
    """Everything a phase map shows.

    Its :attr:`timeline` (when each zone and crossing reaches each state) is the one the run built when it is
    handed in as ``known_timeline`` (:meth:`from_run` does); otherwise it is built from ``problem`` and
    ``schedule``, and built again by :func:`dataclasses.replace`, so it always describes the map's schedule.
    """

    layers: dict[str, gpd.GeoDataFrame]
    problem: Problem
    schedule: Schedule
    metrics: pd.DataFrame
    plan_name: str
    digest: str
    built: str
    known_timeline: InitVar[Timeline | None] = None
    timeline: Timeline = field(init=False, repr=False, compare=False)

    def __post_init__(self, known_timeline: Timeline | None) -> None:
        self.timeline = known_timeline if known_timeline is not None else Timeline(self.problem, self.schedule)

    @classmethod
    def from_run(cls, run: PlanRun, digest: str, built: str | None = None) -> MapInputs:
        """The map inputs of a scheduled plan, sharing its timeline.

        The digest is a parameter because it covers the input files, which only the workspace locates
        (``digest(run.input_files(ws))``).

        Parameters
        ----------
        run : PlanRun
            The plan's run: layers, compiled plan, schedule, metrics, timeline and name.
        digest : str
            The hash of the plan and layer files the map is built from (:func:`digest`).
        built : str, optional
            The build date shown in the footer; :func:`build_date` when omitted.

        Returns
        -------
        MapInputs
        """
        when = build_date() if built is None else built
        return cls(run.layers, run.problem, run.schedule, run.metrics, run.name, digest, when, run.timeline)


def _tracks(tl: Timeline) -> list[dict[str, Any]]:
    """Each track that colours zones: its name, its ladder and the colour of each of its states."""
    return [
        {"name": track, "states": list(ladder), "colors": track_colors(track, len(ladder))}
        for track, ladder in tl.ladders.items()
    ]


def _steps(tl: Timeline, zones: Sequence[str]) -> dict[str, list[list[int | None]]]:
    """Per track, per zone: the month each step of the ladder after the first ends (None: not scheduled)."""
    return {
        track: [[tl.month_reached(z, track, st) for st in ladder[1:]] for z in zones]
        for track, ladder in tl.ladders.items()
    }


def _removed(tl: Timeline, zone_ids: Sequence[str]) -> list[int | None]:
    """Month each obstacle is removed: when its zone reaches the second movement level (as in the metrics)."""
    ladder = tl.ladders.get("movement", [])
    first = ladder[1] if len(ladder) > 1 else None
    return [None if first is None else tl.month_reached(z, "movement", first) for z in zone_ids]


def _meta(inp: MapInputs) -> dict[str, Any]:
    """What the page says about the plan and how it draws it: every palette and legend text comes from here."""
    p = inp.problem
    return {
        "plan": inp.plan_name,
        "hash": inp.digest,
        "built": inp.built,
        "start": p.start,
        "horizon": p.horizon,
        "attribution": ATTRIBUTION,
        "status": inp.schedule.status,
        "tracks": _tracks(inp.timeline),
        "colors": dict(LAYER_COLORS),
        "legend": map_legend(),
    }


def build_payload(inp: MapInputs) -> dict[str, Any]:
    """The JSON payload of the page: encoded geometry, facts, per-zone step months, metrics, palettes.

    Every month a zone or a crossing reaches a state is read from the :class:`~geo.timeline.Timeline`, the
    one place that turns the schedule into states.  Each layer's facts travel as ``fields`` (names) and
    ``props`` (one row per feature); the page reads them by name.

    Parameters
    ----------
    inp : MapInputs
        The map's inputs.

    Returns
    -------
    dict
        JSON-serialisable; :func:`payload_json` makes it safe for the page.
    """
    p, ly, tl = inp.problem, inp.layers, inp.timeline
    zones = ly["zones"].set_index("zone_id").loc[p.zones].reset_index()
    zfields = ["name", "governorate", "oslo", "area_km2", "population", "settlers"]
    cr = ly["crossings"]
    cfields = ["name", "name_ar", "name_he", "kind", "sides", "status", "status_as_of"]
    obst = ly["obstacles"][ly["obstacles"]["zone_id"].isin(set(p.zones))]
    setl = ly["settlements"]
    line = ly["line_1967"]
    return {
        "meta": _meta(inp),
        "months": [tl.label(m) for m in range(p.horizon + 1)],
        "zones": {
            "id": list(p.zones),
            "geom": _geom(zones, "zones"),
            "fields": zfields,
            "props": _props(zones, zfields),
            "steps": _steps(tl, p.zones),
        },
        "crossings": {
            **_points(cr, cfields, "crossings"),
            "open": [tl.month_reached(str(c), "crossing", "open") for c in cr["crossing_id"]],
        },
        "obstacles": {
            **_points(obst, ["name", "type", "survey"], "obstacles"),
            "removed": _removed(tl, [str(z) for z in obst["zone_id"]]),
        },
        "settlements": {
            **_points(
                setl, ["name", "name_he", "kind", "population", "population_year", "founded", "bloc"], "settlements"
            ),
            "pop": [_value(v) for v in setl["population"]],
        },
        "line": {
            **_points(line, ["name", "kind", "segment", "length_km", "area_km2"], "line_1967"),
            "lines": [g.geom_type in ("LineString", "MultiLineString") for g in line.geometry],
        },
        **_reference_layers(ly),
        "territories": _points(ly["territories"], ["name", "area_km2"], "territories"),
        "basemap": {
            "geom": _geom(ly["basemap"], "basemap"),
            "kind": [str(k) for k in ly["basemap"]["kind"]],
        },
        "metrics": {
            "columns": list(inp.metrics.columns),
            "rows": [[_value(v) for v in r] for r in inp.metrics.itertuples(index=False)],
        },
    }


_SLOT = re.compile(r"<!--landplan-slot:([a-z_]+)-->")


class _Slot(Element):
    """Where one piece of the page goes once folium has rendered it.

    Its template is fixed and prints only its marker, so what fills the slot (data, file contents,
    Leaflet) is never template source.
    """

    _template = Template("{{ this.marker }}")

    def __init__(self, name: str) -> None:
        super().__init__()
        if not _SLOT.fullmatch(f"<!--landplan-slot:{name}-->"):
            raise ValueError(f"slot names are lower-case letters and '_': {name!r}")
        self.marker = f"<!--landplan-slot:{name}-->"


def fill_slots(document: str, slots: Mapping[str, str]) -> str:
    """Put each slot's text in place of its marker (``<!--landplan-slot:NAME-->``), in one pass.

    The one way a page of landplan gets its pieces: one pass means an inserted text is never searched for
    markers (nor read by anything else, let alone as a template or format string), and each marker must occur
    exactly once, so a page cannot silently lose or duplicate a piece.

    Parameters
    ----------
    document : str
        Fixed markup holding the markers (folium's rendering, or a page of ``static/``).
    slots : mapping of str to str
        The text of each slot, already made safe for where its marker stands.

    Returns
    -------
    str
        The document with every marker replaced.

    Raises
    ------
    LandplanError
        When the markers of ``document`` are not exactly the names of ``slots`` (a bug, not bad input).
    """
    found = sorted(_SLOT.findall(document))
    if found != sorted(slots):
        raise LandplanError(
            f"the page template has slots {found} where {sorted(slots)} were expected. "
            "Fix: this is a bug in landplan; please report it with the command that failed"
        )
    return _SLOT.sub(lambda m: slots[m.group(1)], document)


class _Page(Figure):
    """folium's document, whose :meth:`render` fills its slots after folium has rendered it.

    Every way of getting the page's HTML from the map (``get_root().render()``, ``save``, notebook
    display) goes through :meth:`render`, so none of them can miss the data or run it as a template.
    """

    def __init__(self) -> None:
        super().__init__()
        self.slots: dict[str, str] = {}

    def put(self, section: Element, name: str, text: str, index: int | None = None) -> None:
        """Reserve a slot called ``name`` in ``section`` (header or html) that will hold ``text``."""
        section.add_child(_Slot(name), name=name, index=index)
        self.slots[name] = text

    def render(self, **kwargs: Any) -> str:
        """The whole page: folium's rendering with every slot filled."""
        return fill_slots(super().render(**kwargs), self.slots)


#: The only script given to folium besides its own: fixed code; values reach it as ``this.values`` (JSON).
_SCRIPTS = {
    # fit the view before any layer is added, so nothing is projected twice
    "init": "{{ this._parent.get_name() }}.fitBounds({{ this.values.bounds|tojson }}, {animate: false});"
    "var landplan = L.landplan({{ this._parent.get_name() }}, L.Landplan.payload('landplan-data'));",
    "start": "landplan.start();",
}


class _Snippet(MacroElement):
    """One of the fixed scripts of :data:`_SCRIPTS` in folium's script section, with its values."""

    def __init__(self, script: str, **values: Any) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.values = values
        self._template = Template("{% macro script(this, kwargs) %}" + _SCRIPTS[script] + "{% endmacro %}")


class _JsLayer(folium.map.Layer):
    """A layer built by landplan.js, registered with folium so the layer control lists it."""

    def __init__(self, key: str, name: str, show: bool) -> None:
        super().__init__(name=escape_text(name), overlay=True, control=True, show=show)
        self._name = "LandplanLayer"
        self.key = key
        self._template = Template(
            "{% macro script(this, kwargs) %}"
            "var {{ this.get_name() }} = landplan.layers[{{ this.key|tojson }}];"
            "{% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}"
            "{% endmacro %}"
        )


def static_text(name: str) -> str:
    """The text of ``geo/output/static/NAME``: the pages' fixed scripts, styles and markup."""
    return (resources.files("geo.output") / "static" / name).read_text(encoding="utf-8")


def _leaflet(page: _Page, cdn: bool) -> None:
    """Inline Leaflet from the pinned xstatic-leaflet package, or link it with Subresource Integrity."""
    import xstatic.pkg.leaflet as xleaflet  # noqa: PLC0415 - package data, read when a map is drawn

    base = Path(xleaflet.BASE_DIR)
    js = (base / "leaflet.js").read_bytes()
    css = (base / "leaflet.css").read_bytes()
    if cdn:
        url = f"https://cdn.jsdelivr.net/npm/leaflet@{xleaflet.VERSION}/dist/leaflet"
        sri_js = "sha384-" + base64.b64encode(hashlib.sha384(js).digest()).decode()
        sri_css = "sha384-" + base64.b64encode(hashlib.sha384(css).digest()).decode()
        link = f'<link rel="stylesheet" href="{url}.css" integrity="{sri_css}" crossorigin="anonymous"/>'
        script = f'<script src="{url}.js" integrity="{sri_js}" crossorigin="anonymous"></script>'
    else:
        link, script = f"<style>{css.decode()}</style>", f"<script>{js.decode()}</script>"
    page.put(page.header, "leaflet_css", link, index=0)
    page.put(page.header, "leaflet_js", script, index=1)


def _page(m: folium.Map, inp: MapInputs, cdn: bool) -> _Page:
    """Move ``m`` into a :class:`_Page` holding the page's pieces: Leaflet, script, style, title, data."""
    m.default_js = []
    m.default_css = []
    page = _Page()
    page.add_child(m)
    _leaflet(page, cdn)
    page.put(page.header, "landplan_css", f"<style>{static_text('landplan.css')}</style>")
    page.put(page.header, "landplan_js", f"<script>{static_text('landplan.js')}</script>")
    page.put(page.header, "title", f"<title>{escape_text(inp.plan_name)} - landplan</title>")
    data = f'<script type="application/json" id="landplan-data">{payload_json(build_payload(inp))}</script>'
    page.put(page.html, "landplan_data", data)
    return page


def phase_map(inp: MapInputs, cdn: bool = False, tiles: bool = True) -> folium.Map:
    """The interactive phase map as a folium Map.

    The map belongs to a page whose rendering (``get_root().render()``) inserts the title, the data
    payload, the map's script and style and Leaflet after folium has rendered its template, so no text
    from the plan or the layers is ever template source.

    Parameters
    ----------
    inp : MapInputs
        Layers, compiled plan, schedule and metrics.
    cdn : bool, optional
        Link Leaflet from a CDN (with Subresource Integrity) instead of inlining it.
    tiles : bool, optional
        Offer OpenStreetMap tiles as an optional, initially hidden layer (needs a network when switched on).

    Returns
    -------
    folium.Map
    """
    zb = [round(float(v), 4) for v in inp.layers["zones"].total_bounds]
    m = folium.Map(
        location=[31.85, 35.05],
        zoom_start=8,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        zoom_control=True,
        attribution_control=False,
    )
    m._id = "landplan"  # fixed element ids keep two builds of the same plan byte-identical
    _page(m, inp, cdn)
    m.add_child(_Snippet("init", bounds=[[zb[1], zb[0]], [zb[3], zb[2]]]), name="landplan_init")
    for key, name, show in MAP_LAYERS:
        layer = _JsLayer(key, name, show)
        layer._id = key
        m.add_child(layer, name=f"layer_{key}")
    if tiles:
        osm = folium.TileLayer(
            "OpenStreetMap", name=escape_text("OpenStreetMap tiles (online)"), overlay=True, show=False, control=True
        )
        osm._id = "osm"
        m.add_child(osm, name="osm")
    control = folium.LayerControl(collapsed=False, position="topleft")
    control._id = "control"
    m.add_child(control, name="control")
    m.add_child(_Snippet("start"), name="landplan_start")
    return m


def write_phase_map(inp: MapInputs, path: Path | str, cdn: bool = False, tiles: bool = True) -> Path:
    """Render :func:`phase_map` to ``path`` atomically; returns the path."""
    dest = Path(path)
    text = phase_map(inp, cdn=cdn, tiles=tiles).get_root().render()
    atomic_write(dest, text.encode("utf-8"))
    log.info("wrote %s (%d bytes)", dest, dest.stat().st_size)
    return dest
