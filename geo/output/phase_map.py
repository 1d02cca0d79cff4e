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
  (:class:`~.page.Slot`); :func:`~.page.fill_slots` puts the pieces in *after*
  rendering, in one pass, so nothing inserted is read again by anything.  The
  comparison page (:mod:`.compare_map`) and the border map
  (:mod:`.border_map`) are filled the same way (:mod:`.page` holds the pieces
  they share).
* Every text from layers or plans travels in one JSON payload
  (:func:`~.page.payload_json`, which escapes ``<``, ``>`` and ``&`` so the
  payload cannot end its ``<script>`` element, and ``{``/``}`` as defence in
  depth), and ``geo/output/static/landplan.js`` (and, on the map of a plan
  that names a border, ``static/border.js``) puts it on the page with
  ``textContent`` only.
* The only data text written as HTML (the page title, the comparison page's
  plan names, the border's layer-control label) and the fixed layer-control
  labels go through :func:`~.page.escape_text`: the one escape path.
* Bidirectional embedding, override and isolate controls are removed from every
  data text (:func:`~.page.plain_text`), and the page shows each data text in
  its own isolated element, so a name cannot reverse the hash or the
  attribution next to it.

Non-finite coordinates are rejected while encoding.

What it shows.  Per month: each zone's security state or movement level (from its
own starting state, so Area A starts Palestinian), each crossing's management
regime and, where the plan states demand, whether demand is above its capacity
(a red ring), each Gaza - West Bank link in its state, the barrier segments
standing or removed and the seam zone reconnected, the obstacles still there,
the zones under a residual presence (hatched) and the early-warning stations
standing, with the month's metrics and their units.  A plan that names a border
scenario is drawn inside it: its zones are already cut (:mod:`geo.border.apply`),
and the map adds the land the border annexes (hatched) and swaps (outlined) as
one layer, with the border's name and headline figures in the panel; a plan
without a border gives the very page it gave before borders existed.  What goes when is read from
the metrics' own functions (:func:`~geo.metrics.crossing_flows`,
:func:`~geo.metrics.obstacle_removal_months`) or decided as they decide it, so
the map and the metrics agree.

Size and speed.  Geometry is encoded once (:mod:`.encode`); the state of
each zone, crossing and link over time travels as the few months it changes,
not as a copy of the features per month.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template
from shapely.geometry import Point

from .. import i18n
from ..build import facts
from ..figures import STATE_LABELS, TRACK_LABELS, figure_groups, milestones, unread_columns
from ..files import atomic_write
from ..metrics import crossing_flows, metric_unit, obstacle_removal_months
from ..plan import Problem
from ..run import build_date, digest
from ..schedule import Schedule
from ..schema import SCHEMAS
from ..timeline import Timeline
from .border_map import border_parts_geojson
from .encode import encode_geometries
from .page import Page, add_leaflet, escape_text, fill_slots, payload_json, plain_text, static_text
from .style import (
    ATTRIBUTION,
    BORDER_COLORS,
    LAYER_COLORS,
    LINK_STYLES,
    MAP_LAYERS,
    REGIME_COLORS,
    border_headline_parts,
    border_legend,
    ladder_colors,
    map_legend,
)

if TYPE_CHECKING:
    from ..border import BorderResult
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


def _places() -> dict[str, Any]:
    """The places the map names: both states, the neighbours, the seas, Jerusalem and the main cities on both sides.

    From the cited table ``geo/build/data/places.csv`` (names in English, Arabic and Hebrew; a rank saying from which
    zoom a label shows), so a viewer can tell where the zones are.  The page writes each name with ``textContent``.
    """
    rows = facts.rows("places")
    points = np.array([Point(float(r["lon"]), float(r["lat"])) for r in rows], dtype=object)
    return {
        "geom": encode_geometries(points, layer="places", ids=[r["place_id"] for r in rows]).to_json(),
        "fields": ["name", "name_ar", "name_he", "kind", "rank"],
        "props": [[plain_text(r["name"]), r["name_ar"], r["name_he"], r["kind"], int(r["rank"])] for r in rows],
    }


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
        "places": _places(),
    }


@dataclass
class MapInputs:
    """Everything a phase map shows.

    Its :attr:`timeline` (when each zone and crossing reaches each state) is the one the run built when it is
    handed in as ``known_timeline`` (:meth:`from_run` does); otherwise it is built from ``problem`` and
    ``schedule``, and built again by :func:`dataclasses.replace`, so it always describes the map's schedule.
    :attr:`border` is the border the plan names (its layers already cut to it), or ``None``.
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
    border: BorderResult | None = field(default=None, repr=False, compare=False)

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
            The plan's run: layers, compiled plan, schedule, metrics, timeline, name and border.
        digest : str
            The hash of the plan and layer files the map is built from (:func:`digest`).
        built : str, optional
            The build date shown in the footer; :func:`build_date` when omitted.

        Returns
        -------
        MapInputs
        """
        when = build_date() if built is None else built
        return cls(
            run.layers, run.problem, run.schedule, run.metrics, run.name, digest, when, run.timeline, border=run.border
        )


def _tracks(tl: Timeline) -> list[dict[str, Any]]:
    """Each track that colours zones: its name, its ladder and the colour of each of its states."""
    return [
        {
            "name": track,
            "label": TRACK_LABELS.get(track),
            "states": list(ladder),
            "labels": [STATE_LABELS.get(state) for state in ladder],
            "colors": ladder_colors(track, ladder),
        }
        for track, ladder in tl.ladders.items()
    ]


def _changes(tl: Timeline, entity: str, track: str) -> list[list[Any]]:
    """When ``entity``'s state on ``track`` changes: ``[[month, state], ...]``, the first at month 0.

    The state of month ``m`` is the one of the last change at or before ``m``; it is
    :meth:`~geo.timeline.Timeline.state_at`'s answer, sent as the few months it changes instead of one state per
    month.  The entity's own path is walked (a zone's baseline and skipped states, a crossing's regimes, a link's
    states); an entity with no path (a link the plan leaves out) has no changes.

    Parameters
    ----------
    tl : Timeline
        The run's timeline.
    entity, track : str
        Whose states, on which track.

    Returns
    -------
    list of [int, str]
    """
    path = tl.path(entity, track)
    if not path:
        return []
    out: list[list[Any]] = [[0, path[0]]]
    last = 0
    for state in path[1:]:
        month = tl.month_reached(entity, track, state)
        if month is None:
            break
        last = max(last, month)  # a state holds once every state before it on the path is reached
        if out[-1][0] == last:
            out[-1][1] = state
        else:
            out.append([last, state])
    return out


def _zone_states(tl: Timeline, zones: Sequence[str]) -> dict[str, list[list[list[int]]]]:
    """Per track, per zone: the months its state changes, with the index of the state in the track's ladder."""
    return {
        track: [[[m, ladder.index(st)] for m, st in _changes(tl, z, track)] for z in zones]
        for track, ladder in tl.ladders.items()
    }


def _zone_obstacles(tl: Timeline, zones: Sequence[str]) -> list[list[list[Any]]]:
    """Per zone: ``[month, obstacle type]`` of each type the plan removes there, by month."""
    return [sorted([m, kind] for kind, m in tl.reached(z, "obstacles").items()) for z in zones]


#: The columns of :func:`geo.metrics.crossing_flows` the map shows, after the month.
_FLOW_FIELDS = ("regime", "partner", "people_capacity", "people_demand", "trucks_capacity", "trucks_demand")


def _flows(problem: Problem, tl: Timeline, crossing_ids: Sequence[str]) -> dict[str, Any]:
    """Per crossing of the layer: its regime, capacity and demand, as the months they change (None: not planned).

    Read from :func:`geo.metrics.crossing_flows`, so the map flags the months the metrics count as over capacity.
    """
    flows = crossing_flows(problem, tl)
    fields = [*_FLOW_FIELDS, "over_capacity"]
    groups = {str(c): g for c, g in flows.groupby("crossing", sort=False)}
    rows: list[list[list[Any]] | None] = []
    for cid in crossing_ids:
        g = groups.get(cid)
        if g is None:
            rows.append(None)
            continue
        runs: list[list[Any]] = []
        for rec in g[["month", *fields]].itertuples(index=False):
            values = [_value(v) for v in rec[1:]]
            if not runs or values != runs[-1][1:]:
                runs.append([int(rec[0]), *values])
        rows.append(runs)
    return {"fields": ["month", *fields], "rows": rows}


def _removed_by_step(problem: Problem, tl: Timeline, zone_ids: Sequence[object]) -> list[int | None]:
    """Month the barrier step covering each zone ends (None: no step, or not within the plan), as the metrics."""
    removed = {z: tl.completed(step, "barrier") for step, zs in problem.barrier_zones.items() for z in zs}
    return [removed.get(str(z)) for z in zone_ids]


def _presence(inp: MapInputs) -> dict[str, Any]:
    """The plan's residual presences (their zones by index, sites by index) and early-warning stations."""
    p = inp.problem
    zone_index = {z: k for k, z in enumerate(p.zones)}
    sites = [str(s) for s in inp.layers["early_warning_sites"]["site_id"]]
    site_index = {s: k for k, s in enumerate(sites)}
    residual = [
        {
            "id": r.id,
            "zones": [zone_index[z] for z in r.zones if z in zone_index],
            "during": r.during,
            "ends": r.ends,
            "sites": [site_index[s] for s in r.sites if s in site_index],
            "site_count": r.site_count,
            "source": r.source,
        }
        for r in p.residual
    ]
    stations = [
        {
            "id": st.id,
            "site": site_index.get(st.site) if st.site is not None else None,
            "from": st.start,
            "until": st.until,
            "reviews": st.reviews(p.horizon),
            "source": st.source,
        }
        for st in p.stations
    ]
    return {"residual": residual, "stations": stations}


def _links(inp: MapInputs) -> dict[str, Any]:
    """Each link of the layer: its states as the months they change, and its capacity a day in each state."""
    tl, cap = inp.timeline, inp.problem.link_capacity
    ids = [str(x) for x in inp.layers["links"]["link_id"]]
    return {
        "states": [_changes(tl, lid, "link") if lid in cap else None for lid in ids],
        "capacity": [{st: list(pt) for st, pt in cap[lid].items()} if lid in cap else None for lid in ids],
    }


def _plan_layers(inp: MapInputs, fixed: dict[str, Any]) -> dict[str, Any]:
    """The layers whose drawing changes with the plan: when each barrier part goes, what each link carries."""
    p, ly, tl = inp.problem, inp.layers, inp.timeline
    bar = ly["barrier"]
    route, gates = bar[bar["kind"] == "route"], bar[bar["kind"] == "gate"]
    return {
        "barrier": {**fixed["barrier"], "removed": _removed_by_step(p, tl, list(route["zone_id"]))},
        "barrier_gates": {**fixed["barrier_gates"], "removed": _removed_by_step(p, tl, list(gates["zone_id"]))},
        "seam_zone": {
            **fixed["seam_zone"],
            "reconnected": _removed_by_step(p, tl, list(ly["seam_zone"]["zone_id"])),
        },
        "links": {**fixed["links"], **_links(inp)},
        "presence": _presence(inp),
    }


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
        "regime_colors": dict(REGIME_COLORS),
        "link_styles": {
            state: {"color": LAYER_COLORS[role], "dash": dash, "weight": weight}
            for state, (role, dash, weight) in LINK_STYLES.items()
        },
        "legend": _legend(inp.border),
        **({"border_colors": dict(BORDER_COLORS)} if inp.border is not None else {}),
    }


#: The border's legend and tooltip texts (messages), its name in a slot: the page words them in the language shown.
_BORDER_TEXTS = {"annexed": ("Annexed by {name}", True), "swapped": ("Swapped land joining Palestine", False)}


def _legend(border: BorderResult | None) -> dict[str, list[list[Any]]]:
    """The legend of the fixed layers; with a border, its entries follow the 1967 line's.

    An entry is ``[colour, message]``, or ``[colour, message, values]`` when the message has slots for names from
    the data (the scenario's name), which the page fills as isolated data.
    """
    legend: dict[str, list[list[Any]]] = dict(map_legend())
    if border is None:
        return legend
    colours = [colour for colour, _ in border_legend(border.name)]
    entries = [
        [colour, msg, {"name": border.name} if named else {}]
        for colour, (msg, named) in zip(colours, _BORDER_TEXTS.values(), strict=True)
    ]
    out: dict[str, list[list[Any]]] = {}
    for key, value in legend.items():
        out[key] = value
        if key == "line":
            out["border"] = entries
    return out


def _border(result: BorderResult) -> dict[str, Any]:
    """The plan's border: its name, the annexed and swapped land (GeoJSON) and its headline figures."""
    return {
        "name": result.name,
        "geojson": border_parts_geojson(result),
        "labels": {part: [msg, {"name": result.name} if named else {}] for part, (msg, named) in _BORDER_TEXTS.items()},
        "figures": [[label, text, values] for label, text, values in border_headline_parts(result)],
    }


def _figures(inp: MapInputs) -> list[dict[str, Any]]:
    """The panel's figures, grouped and named (:mod:`geo.figures`); a column without a figure is logged, not shown."""
    columns = [str(c) for c in inp.metrics.columns]
    groups = figure_groups(columns, inp.problem.security_states)
    left = unread_columns(columns, groups)
    if left:
        log.warning("the map leaves out metrics no figure names: %s", ", ".join(left))
    return [{"title": g.title, "figures": [f.to_json() for f in g.figures]} for g in groups]


def _story(inp: MapInputs) -> list[dict[str, Any]]:
    """The milestones the story steps through, derived from the monthly figures."""
    rows = [{str(k): _value(v) for k, v in r.items()} for r in inp.metrics.to_dict("records")]
    own = inp.problem.story
    return [
        {**m.to_json(), "notes": [own[k] for k in m.keys if k in own]} for m in milestones(rows, inp.timeline.makespan)
    ]


def _i18n(lang: str) -> dict[str, Any]:
    """The language shown first, the languages the switch offers, and the catalogue of each (English is the ids)."""
    return {
        "lang": i18n.check_language(lang),
        "languages": [
            [code, i18n.LANGUAGE_NAMES[code], "rtl" if code in i18n.RTL else "ltr"] for code in i18n.LANGUAGES
        ],
        "messages": {code: dict(sorted(i18n.catalogue(code).items())) for code in i18n.LANGUAGES if code != "en"},
    }


def build_payload(inp: MapInputs, lang: str = "en") -> dict[str, Any]:
    """The JSON payload of the page: encoded geometry, facts, the months each entity changes state, metrics, palettes.

    Every month a zone, a crossing or a link reaches a state is read from the :class:`~geo.timeline.Timeline`,
    the one place that turns the schedule into states.  Each layer's facts travel as ``fields`` (names) and
    ``props`` (one row per feature); the page reads them by name.

    Parameters
    ----------
    inp : MapInputs
        The map's inputs.
    lang : str, optional
        The language the page opens in (one of :data:`geo.i18n.LANGUAGES`); the page can switch to the others.

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
    fixed = _reference_layers(ly)
    return {
        "meta": _meta(inp),
        "months": [tl.label(m) for m in range(p.horizon + 1)],
        "zones": {
            "id": list(p.zones),
            "geom": _geom(zones, "zones"),
            "fields": zfields,
            "props": _props(zones, zfields),
            "states": _zone_states(tl, p.zones),
            "obstacles": _zone_obstacles(tl, p.zones),
        },
        "crossings": {
            **_points(cr, cfields, "crossings"),
            "open": [tl.month_reached(str(c), "crossing", "open") for c in cr["crossing_id"]],
            "flows": _flows(p, tl, [str(c) for c in cr["crossing_id"]]),
        },
        "obstacles": {
            **_points(obst, ["name", "type", "survey"], "obstacles"),
            "removed": obstacle_removal_months(p, tl, obst),
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
        **fixed,
        **_plan_layers(inp, fixed),
        "territories": _points(ly["territories"], ["name", "area_km2"], "territories"),
        "basemap": {
            "geom": _geom(ly["basemap"], "basemap"),
            "kind": [str(k) for k in ly["basemap"]["kind"]],
        },
        "metrics": {
            "columns": list(inp.metrics.columns),
            "units": [metric_unit(str(c)) for c in inp.metrics.columns],
            "rows": [[_value(v) for v in r] for r in inp.metrics.itertuples(index=False)],
        },
        "figures": _figures(inp),
        "milestones": _story(inp),
        "i18n": _i18n(lang),
        **({"border": _border(inp.border)} if inp.border is not None else {}),
    }


#: The only script given to folium besides its own: fixed code; values reach it as ``this.values`` (JSON).
_SCRIPTS = {
    # fit the view before any layer is added, so nothing is projected twice
    "init": "{{ this._parent.get_name() }}.fitBounds({{ this.values.bounds|tojson }}, {animate: false});"
    "var landplan = L.landplan({{ this._parent.get_name() }}, L.Landplan.payload('landplan-data'), "
    "{{ this.values.options|tojson }});",
    # a plan that names a border: static/border.js adds its layer and its figures to the app (public API only)
    "border": "L.landplanBorder(landplan);",
}


class _Snippet(MacroElement):
    """One of the fixed scripts of :data:`_SCRIPTS` in folium's script section, with its values."""

    def __init__(self, script: str, **values: Any) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.values = values
        self._template = Template("{% macro script(this, kwargs) %}" + _SCRIPTS[script] + "{% endmacro %}")


class _StartSnippet(MacroElement):
    """The map's start: the app draws, hands its layer list to be relabelled, and reads the view in the address."""

    def __init__(self, control: folium.LayerControl) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.control = control
        self._template = Template(
            "{% macro script(this, kwargs) %}landplan.start({{ this.control.get_name() }});{% endmacro %}"
        )


class _LiveSnippet(MacroElement):
    """The served page's last script: static/serve.js takes over the app and the layer control (fixed code)."""

    def __init__(self, control: folium.LayerControl) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.control = control
        self._template = Template(
            "{% macro script(this, kwargs) %}landplanServe.attach(landplan, {{ this.control.get_name() }});"
            "{% endmacro %}"
        )


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


def _page(m: folium.Map, inp: MapInputs, cdn: bool, live: bool = False, lang: str = "en") -> Page:
    """Move ``m`` into a :class:`~.page.Page` holding the page's pieces: Leaflet, script, style, title, data."""
    m.default_js = []
    m.default_css = []
    page = Page(lang, "rtl" if lang in i18n.RTL else "ltr")
    page.add_child(m)
    add_leaflet(page, cdn)
    page.put(page.header, "landplan_css", f"<style>{static_text('landplan.css')}</style>")
    page.put(page.header, "landplan_js", f"<script>{static_text('landplan.js')}</script>")
    if inp.border is not None:
        page.put(page.header, "border_js", f"<script>{static_text('border.js')}</script>")
    if live:
        # no icon to fetch: the server answers only under its token, and a refused request is an error to the page
        page.put(page.header, "serve_js", f'<link rel="icon" href="data:,"><script>{static_text("serve.js")}</script>')
    page.put(page.header, "title", f"<title>{escape_text(inp.plan_name)} - landplan</title>")
    data = f'<script type="application/json" id="landplan-data">{payload_json(build_payload(inp, lang))}</script>'
    page.put(page.html, "landplan_data", data)
    return page


def _layers(border: BorderResult | None) -> list[tuple[str, str, bool]]:
    """The layer control's layers (:data:`~.style.MAP_LAYERS`); with a border, its layer after the 1967 line's."""
    out = []
    for key, name, show in MAP_LAYERS:
        out.append((key, name, show))
        if key == "line" and border is not None:
            out.append(("border", f"Border: {border.name}", True))  # landplan.js words it in the language shown
    return out


def phase_map(
    inp: MapInputs, cdn: bool = False, tiles: bool = True, live: bool = False, *, lang: str = "en", embed: bool = False
) -> folium.Map:
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
    live : bool, optional
        The page of ``landplan serve``: it also loads ``static/serve.js``, which follows the server's updates
        and swaps each new payload into this map in place.  Off, the page is exactly the file ``landplan map``
        writes.
    lang : str, optional
        The language the page opens in (``en``, ``ar`` or ``he``); a reader can switch in the page.
    embed : bool, optional
        A map without its panel, legend and layer list, for a slide or a web page: the zones, the month's
        caption and the credits only (the address can still name the month, language and layers).

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
        control_scale=False,  # landplan.js draws the scale, in the language shown
        zoom_control=True,
        attribution_control=False,
    )
    m._id = "landplan"  # fixed element ids keep two builds of the same plan byte-identical
    _page(m, inp, cdn, live, i18n.check_language(lang))
    options = {"controls": ["story", "scale", "footer"], "embed": True} if embed else {}
    m.add_child(_Snippet("init", bounds=[[zb[1], zb[0]], [zb[3], zb[2]]], options=options), name="landplan_init")
    if inp.border is not None:
        m.add_child(_Snippet("border"), name="landplan_border")
    for key, name, show in _layers(inp.border):
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
    m.add_child(_StartSnippet(control), name="landplan_start")
    if live:
        m.add_child(_LiveSnippet(control), name="landplan_serve")
    return m


def write_phase_map(
    inp: MapInputs, path: Path | str, cdn: bool = False, tiles: bool = True, *, lang: str = "en", embed: bool = False
) -> Path:
    """Render :func:`phase_map` to ``path`` atomically; returns the path."""
    dest = Path(path)
    text = phase_map(inp, cdn=cdn, tiles=tiles, lang=lang, embed=embed).get_root().render()
    atomic_write(dest, text.encode("utf-8"))
    log.info("wrote %s (%d bytes)", dest, dest.stat().st_size)
    return dest
