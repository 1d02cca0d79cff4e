"""The ``landplan`` command line.  The only module that prints.

Exit codes (see the README): 0 success, 1 validation problems found, 2 usage error, 65 bad input data (source, layer
or plan), 66 no workspace, 70 internal error (a bug), 74 an output could not be written, 130 interrupted (Ctrl-C),
141 the reader of the output went away (e.g. ``| head``).

Every failure ends here as one clear message and an exit code; no traceback reaches a user (``-vv`` logs it).
Output paths are checked before any long work, so a bad ``-o`` fails in a second, not after the solve.
Heavy libraries load inside the commands, so Ctrl-C at any point is answered with "interrupted".
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import math
import numbers
import os
import re
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import LandplanError, OutputError, PlanError, UsageError, WorkspaceError
from .i18n import LANGUAGES

if TYPE_CHECKING:
    import pandas as pd

    from .run import PlanRun
    from .workspace import Workspace

__all__ = ["main", "main_entry"]

log = logging.getLogger(__name__)

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
EXIT_DATA, EXIT_NOINPUT, EXIT_SOFTWARE, EXIT_IOERR = 65, 66, 70, 74
EXIT_INTERRUPTED, EXIT_PIPE = 130, 141

#: Most plan problems printed; the rest are counted in one line.
MAX_ISSUES_SHOWN = 50
#: Smallest solver budget accepted: below it CP-SAT cannot even read the model, so no schedule could come back.
MIN_BUDGET = 0.01
#: Longest delay or metrics interval accepted on the command line, in months (a plan's horizon is at most 600).
MAX_MONTHS = 1200

# C0 and C1 controls (but tab and newline), DEL, and the bidi embedding/override/isolate controls: shown escaped so
# that text from plans and layers cannot move the cursor, recolour the terminal or reverse what follows it.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _safe(text: object) -> str:
    """``text`` with terminal control and bidi characters shown as escapes (ESC as backslash-x-1b)."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def _say(text: object = "", *, err: bool = False, end: str = "\n") -> None:
    """Print one message; every line the command line writes passes here, escaped."""
    stream = sys.stderr if err else sys.stdout
    if stream is not None:  # a closed standard error has nobody to tell
        print(_safe(text), file=stream, end=end, flush=err)


# -- argument types: each rejects what would crash or hang later, with exit 2 -----------------------------------------
def _budget(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    from .schedule import MAX_DETERMINISTIC_TIME  # noqa: PLC0415 - OR-Tools loads only for commands that solve

    if not math.isfinite(value) or not MIN_BUDGET <= value <= MAX_DETERMINISTIC_TIME:
        raise argparse.ArgumentTypeError(
            f"{text} is not a budget between {MIN_BUDGET:g} and {MAX_DETERMINISTIC_TIME:g}"
        )
    return value


def _months(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of months") from None
    if not 1 <= value <= MAX_MONTHS:
        raise argparse.ArgumentTypeError(f"{text} is not between 1 and {MAX_MONTHS}")
    return value


def _delay(text: str) -> tuple[str, int]:
    name, sep, k = text.rpartition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError("takes TASK=MONTHS, e.g. gate/security-review=3")
    try:
        months = int(k)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{k!r} is not a whole number of months (TASK=MONTHS)") from None
    if not 0 <= months <= MAX_MONTHS:
        raise argparse.ArgumentTypeError(f"a delay of {months} months is outside 0..{MAX_MONTHS}")
    return name.strip(), months


def _folder_name(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("give the name of the folder to create (an empty name means nothing)")
    return text


def _add_budget(c: argparse.ArgumentParser) -> None:
    c.add_argument(
        "--time",
        type=_budget,
        default=None,
        metavar="UNITS",
        help="solver work budget per phase (CP-SAT deterministic time units, default 5)",
    )
    c.add_argument(
        "--no-cache", action="store_true", help="solve again instead of reading the workspace's schedule cache"
    )


def _plan_parsers(sub: Any) -> None:
    pp = sub.add_parser("plan", help="validate, schedule and explain a phase plan")
    psub = pp.add_subparsers(dest="plan_command", metavar="{validate,schedule,explain,metrics,summary,schema}")
    for name, text in (
        ("validate", "check a plan (syntax, references, cycles, windows, troops)"),
        ("schedule", "schedule a plan with CP-SAT and print the schedule"),
        ("explain", "critical path, slack, binding resources; --delay for a what-if"),
        ("metrics", "metrics per month of the scheduled plan"),
        ("summary", "the scheduled plan phase by phase, in plain language"),
    ):
        c = psub.add_parser(name, help=text)
        c.add_argument("plan", help="plan file, or a name in plans/ (e.g. reference)")
        if name != "validate":
            c.add_argument("--json", action="store_true", help="print JSON instead of a table")
            _add_budget(c)
        if name in ("schedule", "metrics"):
            c.add_argument("-o", "--output", metavar="PATH", help="also write CSV (and JSON) files")
        if name == "explain":
            c.add_argument("--delay", type=_delay, metavar="TASK=MONTHS", help="what-if: delay a task or gate")
        if name == "summary":
            c.add_argument(
                "--lang", choices=LANGUAGES, default="en", help="the language of the story (the phases are in English)"
            )
    sc = psub.add_parser("schema", help="write the plan format's JSON Schema")
    sc.add_argument("-o", "--output", metavar="PATH", help="default: plans/plan.schema.json")


def _output_parsers(sub: Any) -> None:
    ep = sub.add_parser("export", help="export a scheduled plan for GIS and spreadsheets")
    ep.add_argument("plan", help="plan file or name in plans/")
    ep.add_argument("--format", default="gpkg", choices=["gpkg", "geojson", "parquet", "csv", "kml"])
    ep.add_argument("-o", "--output", metavar="PATH", required=True, help="file (gpkg, kml) or folder")
    ep.add_argument("--wkt", action="store_true", help="csv: also write the layers with WKT geometry")
    _add_budget(ep)
    ap = sub.add_parser("atlas", help="write a printable PDF atlas of a plan")
    ap.add_argument("plan", help="plan file or name in plans/")
    ap.add_argument("-o", "--output", metavar="PATH", help="PDF file (default: maps/PLAN.pdf)")
    ap.add_argument("--png", action="store_true", help="also write one PNG per page")
    ap.add_argument("--lang", choices=LANGUAGES, default="en", help="the atlas's language (default: en)")
    _add_budget(ap)
    dp = sub.add_parser("diff", help="compare two plans: date shifts per zone and metrics side by side")
    dp.add_argument("plan_a")
    dp.add_argument("plan_b")
    dp.add_argument("--json", action="store_true", help="print JSON instead of tables")
    dp.add_argument("--every", type=_months, default=12, metavar="MONTHS", help="metrics every N months (default 12)")
    dp.add_argument("--html", metavar="PATH", help="also write a side-by-side comparison map")
    _add_budget(dp)
    _border_parser(sub)
    mp = sub.add_parser("map", help="write the interactive phase map of a plan")
    mp.add_argument("plan", nargs="?", default="reference", help="plan file or name in plans/ (default: reference)")
    mp.add_argument("-o", "--output", metavar="PATH", help="HTML file (default: maps/PLAN.html)")
    mp.add_argument("--cdn", action="store_true", help="link Leaflet from a CDN (with SRI) instead of inlining it")
    mp.add_argument("--no-tiles", action="store_true", help="do not offer online tiles as an optional layer")
    mp.add_argument("--lang", choices=LANGUAGES, default="en", help="the language the map opens in (default: en)")
    mp.add_argument("--embed", action="store_true", help="a map without panel or layer list, for slides and web pages")
    _add_budget(mp)


def _border_parser(sub: Any) -> None:
    """``border SCENARIO`` and ``border diff A B``: one parser, so that any scenario name stays a scenario.

    Sub-parsers would take every first word for a sub-command and refuse ``landplan border geneva``; here ``diff``
    is a keyword only in the first place (a scenario called ``diff`` is reached as ``plans/borders/diff.yaml``).
    """
    bp = sub.add_parser(
        "border",
        help="measure a border scenario on the named denominators, or compare two (border diff A B)",
        usage="%(prog)s [-h] SCENARIO [--json] [-o PATH.gpkg|PATH.geojson] [--html PATH.html]\n"
        "       %(prog)s diff A B [--json]",
    )
    bp.add_argument("scenario", metavar="SCENARIO", help="scenario file or name in plans/borders/, or diff")
    bp.add_argument("others", nargs="*", metavar="A B", help="after diff: the two scenarios to compare (B - A)")
    bp.add_argument("--json", action="store_true", help="print JSON instead of tables")
    bp.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="write the annexed and swapped areas and Palestine's West Bank: .gpkg (one layer 'border' with a "
        "'part' column, and the figures and denominators tables) or .geojson",
    )
    bp.add_argument("--html", metavar="PATH", help="write an interactive map of the scenario (offline, one file)")


def _serve_parser(sub: Any) -> None:
    sv = sub.add_parser("serve", help="a local workbench: the plan's map, re-solved and updated on every save")
    sv.add_argument("plan", nargs="?", default="reference", help="plan file or name in plans/ (default: reference)")
    sv.add_argument("--no-browser", action="store_true", help="print the address only; do not open a browser")
    _add_budget(sv)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="landplan", description="Geospatial mapping and phasing planner.")
    p.add_argument("--version", action="version", version=f"landplan {__version__}")
    p.add_argument("--workspace", metavar="DIR", help="workspace folder (default: nearest above the current one)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    # sub-commands are checked after parsing, so an unknown option is reported as such, not as "command required"
    sub = p.add_subparsers(dest="command", metavar="{init,layers,plan,export,atlas,diff,border,map,serve}")
    sp = sub.add_parser("init", help="create a new workspace with the shipped layers and plans")
    sp.add_argument("dir", type=_folder_name, help="folder to create")
    lp = sub.add_parser("layers", help="build or check the layers")
    lsub = lp.add_subparsers(dest="layers_command", metavar="{build,check}")
    bp = lsub.add_parser("build", help="rebuild every layer from the source datasets")
    bp.add_argument("--source", metavar="DIR", help="folder of source datasets (default: ../shared/data)")
    lsub.add_parser("check", help="validate the layers and print their summary")
    _plan_parsers(sub)
    _output_parsers(sub)
    _serve_parser(sub)
    return p


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; argparse's own exit (usage errors, --help, --version) passes through as SystemExit."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("choose a command: init, layers, plan, export, atlas, diff, border or map (see --help)")
    for attr, words in (("layers_command", "build or check"), ("plan_command", "validate, schedule, explain, ...")):
        if getattr(args, attr, "") is None:
            parser.error(f"'{args.command}' needs a sub-command: {words} (see landplan {args.command} --help)")
    return args


# -- helpers shared by the commands ---------------------------------------------------------------------------------
def _workspace(args: argparse.Namespace) -> Workspace:
    from . import workspace  # noqa: PLC0415

    return workspace.find(args.workspace)


def _default_output(ws: Workspace, stem: str, suffix: str) -> Path:
    """``maps/STEM.SUFFIX``, creating ``maps/`` only now that something is about to be written there."""
    try:
        ws.maps.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"could not write {ws.maps}: {exc.strerror or exc}. Make the workspace writable or pass -o PATH."
        ) from exc
    return ws.maps / f"{Path(stem).stem}{suffix}"


def _check_output(path: Path | str, folder: bool = False, inputs: bool = False) -> Path:
    """Fail now, before any long work, if ``path`` cannot be written, or would replace a workspace's input.

    An output named over a layer, a plan or a border scenario would break every later command; only
    ``plan schema`` (``inputs``) writes beside the plans.
    """
    from .files import check_output  # noqa: PLC0415

    out = Path(path)
    check_output(out, folder=folder)
    if not inputs and _is_input(out):
        raise UsageError(f"{out}: that is a workspace's input (layers/ or plans/); write outputs elsewhere")
    return out


def _is_input(out: Path) -> bool:
    """Whether ``out`` lies in the ``layers/`` or ``plans/`` folder (or below) of a workspace."""
    resolved = out.resolve()
    for folder in resolved.parents:
        if (
            folder.name in ("layers", "plans")
            and (folder.parent / "layers").is_dir()
            and (folder.parent / "plans").is_dir()
        ):
            return True
    return False


def _print_table(df: pd.DataFrame) -> None:
    _say(df.astype(object).where(df.notna(), "-").to_string(index=False))


def _units(columns: Sequence[str]) -> dict[str, str]:
    """Each metric column's unit (``km²``, ``people a day``...), for JSON beside the plain column names."""
    from .metrics import metric_unit  # noqa: PLC0415

    return {c: metric_unit(c) for c in columns}


def _print_metrics(df: pd.DataFrame) -> None:
    """The metrics table with each column's unit in its header: ``area_km2_idf [km²]``."""
    units = _units(list(df.columns))
    _say(f"month: {units.get('month')}; date: {units.get('date')}; every other column's unit is in [brackets]")
    named = {c: f"{c} [{u}]" for c, u in units.items() if u and c not in ("month", "date")}
    _print_table(df.rename(columns=named))


def _progress() -> Callable[[str], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(line: str) -> None:
        if line.startswith("#"):
            _say(f"\rsolving: {line[:70]:70s}", err=True, end="")

    return show


def _run(ws: Workspace, name: str, budget: float | None, no_cache: bool = False) -> PlanRun:
    from .run import run_plan  # noqa: PLC0415 - OR-Tools loads only for commands that solve

    run = run_plan(ws, name, budget, progress=_progress(), use_cache=not no_cache)
    if sys.stderr.isatty():
        _say("", err=True)
    return run


def _map_inputs(ws: Workspace, run: PlanRun) -> Any:
    from .output import phase_map  # noqa: PLC0415 - folium loads only for maps

    return phase_map.MapInputs.from_run(run, run.digest(ws))


# -- commands -------------------------------------------------------------------------------------------------------
def _cmd_init(args: argparse.Namespace) -> int:
    from . import workspace  # noqa: PLC0415

    ws = workspace.init(args.dir)
    _say(f"created workspace {ws.root} (layers/, plans/, maps/)")
    return EXIT_OK


def _cmd_layers(args: argparse.Namespace) -> int:
    from . import build, layers  # noqa: PLC0415
    from .build import sources  # noqa: PLC0415

    ws = _workspace(args)
    if args.layers_command == "build":
        src = Path(args.source) if args.source else sources.default_source_dir(ws.root)
        result = build.build_layers(src)
        build.write_layers(result, ws.layers)
        report = result.match_report
        unmatched = report[report["status"] != "matched"]
        _say(f"built {len(result.layers)} layers from {src} into {ws.layers}")
        _say(
            f"settlement lists: {int((report['status'] == 'matched').sum() // 2)} pairs matched, "
            f"{len(unmatched)} rows unmatched (listed in layers/{build.MATCH_REPORT}):"
        )
        _print_table(unmatched[["list", "name", "status"]])
        return EXIT_OK
    res = layers.check(ws.root)
    if res.summary is not None and len(res.summary):
        _print_table(res.summary)
        for name in ("territories", "oslo_areas"):
            if name in res.details:
                _say()
                _print_table(res.details[name])
    if res.problems:
        _say(f"\n{res.total or len(res.problems)} problem(s):", err=True)
        for line in res.problems:
            _say(f"  {line}", err=True)
        return EXIT_PROBLEMS
    _say("\nall layers valid")
    return EXIT_OK


def _cmd_map(args: argparse.Namespace) -> int:
    from . import layers  # noqa: PLC0415
    from .output import phase_map  # noqa: PLC0415 - folium loads only here

    ws = _workspace(args)
    out = _check_output(args.output or _default_output(ws, ws.plan_path(args.plan).name, ".html"))
    run = _run(ws, args.plan, args.time, args.no_cache)
    phase_map.write_phase_map(
        _map_inputs(ws, run), out, cdn=args.cdn, tiles=not args.no_tiles, lang=args.lang, embed=args.embed
    )
    _print_table(layers.summary(run.layers))
    _say(f"\n{run.name}: {run.schedule.status}, last task ends month {run.schedule.makespan}")
    _say(f"wrote {out}")
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    """Serve the plan's workbench until Ctrl-C; stopping it is the normal end, not an interruption."""
    from . import serve  # noqa: PLC0415 - the server loads only here

    ws = _workspace(args)
    path = ws.plan_path(args.plan)
    if not path.is_file():  # nothing to watch: the plan reader says why (not found, a folder, ...)
        from .plan import load  # noqa: PLC0415

        load(path)

    def ready(url: str) -> None:
        _say(f"serving {path} at {url}")
        sys.stdout.flush()
        _say("watching the plan and the layers; press Ctrl-C to stop", err=True)

    try:
        serve.serve(
            ws, args.plan, args.time, use_cache=not args.no_cache, open_browser=not args.no_browser, ready=ready
        )
    except KeyboardInterrupt:
        gc.collect()  # free an interrupted solver now (see main)
        _say("stopped", err=True)
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from .output import export  # noqa: PLC0415

    ws = _workspace(args)
    out = Path(args.output)
    export.check_destination(out, args.format)
    run = _run(ws, args.plan, args.time, args.no_cache)
    written = export.export(run, args.format, out, run.digest(ws), wkt=args.wkt)
    _say(f"{run.name}: {run.schedule.status}; wrote {args.format} to {written}")
    return EXIT_OK


def _cmd_atlas(args: argparse.Namespace) -> int:
    from .output import atlas  # noqa: PLC0415 - matplotlib loads only here
    from .run import build_date  # noqa: PLC0415

    ws = _workspace(args)
    out = Path(args.output or _default_output(ws, ws.plan_path(args.plan).name, ".pdf"))
    atlas.check_destination(out, args.png)
    run = _run(ws, args.plan, args.time, args.no_cache)
    written = atlas.write_atlas(run, out, run.digest(ws), build_date(), png=args.png, lang=args.lang)
    pages = f" and {len(written) - 1} PNG pages" if args.png else ""
    _say(f"{run.name}: {run.schedule.status}; wrote {out} ({len(atlas.milestones(run)) + 1} pages){pages}")
    return EXIT_OK


def _figure(value: Any) -> str:
    """A metric as people read it: whole numbers without a decimal point, with thousands grouped."""
    if not isinstance(value, numbers.Real) or math.isnan(float(value)):
        return "-"
    number = float(value)
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}"


def _diff_table(cmp: Any, every: int) -> pd.DataFrame:
    import pandas as pd  # noqa: PLC0415

    from .metrics import metric_unit  # noqa: PLC0415

    rows = []
    for _, r in cmp.metrics[cmp.metrics["month"] % every == 0].iterrows():
        for col in [c[:-2] for c in cmp.metrics.columns if c.endswith("_a")]:
            rows.append(
                {
                    "month": int(r["month"]),
                    "metric": col,
                    "unit": metric_unit(col),
                    "A": _figure(r[f"{col}_a"]),
                    "B": _figure(r[f"{col}_b"]),
                    "B - A": _figure(r[f"{col}_delta"]),
                }
            )
    return pd.DataFrame(rows)


def _cmd_diff(args: argparse.Namespace) -> int:
    from .output.diff import compare  # noqa: PLC0415

    ws = _workspace(args)
    html_out = _check_output(args.html) if args.html else None
    a = _run(ws, args.plan_a, args.time, args.no_cache)
    b = _run(ws, args.plan_b, args.time, args.no_cache)
    cmp = compare(a, b)
    for note in cmp.notes:
        _say(f"note: {note}", err=True)
    if html_out is not None:
        from .output import compare_map  # noqa: PLC0415

        compare_map.write_comparison_map(_map_inputs(ws, a), _map_inputs(ws, b), html_out)
        _say(f"wrote {html_out}", err=True)
    if args.json:
        doc = {
            "a": cmp.a,
            "b": cmp.b,
            "border_a": cmp.border_a,
            "border_b": cmp.border_b,
            "shifts": json.loads(cmp.shifts.to_json(orient="records")),
            "metrics": json.loads(cmp.metrics.to_json(orient="records")),
            "units": _units([c[:-2] for c in cmp.metrics.columns if c.endswith("_a")]),
        }
        _say(json.dumps(doc, indent=1))
        return EXIT_OK
    inside = {k: f"; border: {v}" if v else "" for k, v in (("a", cmp.border_a), ("b", cmp.border_b))}
    _say(f"A: {cmp.a} ({a.schedule.status}{inside['a']})\nB: {cmp.b} ({b.schedule.status}{inside['b']})\n")
    moved = cmp.shifts[cmp.shifts["shift"].fillna(1) != 0]
    _say(f"steps reached at a different month (B - A), {len(moved)} of {len(cmp.shifts)}:")
    _print_table(moved[["zone", "track", "state", "date_a", "date_b", "shift"]].rename(columns={"zone": "entity"}))
    _say(f"\nmetrics every {args.every} months:")
    _print_table(_diff_table(cmp, args.every))
    return EXIT_OK


#: The layers a border scenario is computed (and drawn) with.
#: The layers a border is computed from (geo.border.NEEDED, listed here so the command loads no border code early).
_BORDER_LAYERS = (
    "links",
    "territories",
    "line_1967",
    "settlements",
    "settlement_areas",
    "localities",
    "jerusalem",
    "basemap",
    "dead_sea",
    "israeli_localities",
)
#: What ``border -o`` writes, by suffix.
_BORDER_FILES = {".gpkg": "GeoPackage", ".geojson": "GeoJSON", ".json": "GeoJSON"}


def _cmd_border(args: argparse.Namespace) -> int:
    """Measure a border scenario: areas on every denominator, people, the border's length and shape."""
    from . import border  # noqa: PLC0415

    ws = _workspace(args)
    if args.scenario == "diff":
        return _border_diff(args, ws)
    if args.others:
        raise UsageError(
            f"border takes one scenario, not {len(args.others) + 1}; to compare two: landplan border diff A B"
        )
    out, html_out = _border_outputs(args)
    ls = border.load_scenario(_scenario_path(ws, args.scenario))
    ly = _border_layers(ws)
    result = border.compute(ls, ly)
    page = _border_page(result, ly, ls.scenario.description) if html_out is not None else None
    if out is not None:
        _write_border(result, out)
        _say(f"wrote {out}", err=True)
    if html_out is not None and page is not None:
        from .files import atomic_write  # noqa: PLC0415

        atomic_write(html_out, page)
        _say(f"wrote {html_out}", err=True)
    if args.json:
        _say(json.dumps(result.to_json(), indent=1))
        return EXIT_OK
    _say(f"{result.name}: {len(result.settlements)} settlements named")
    _print_table(result.denominators)
    for key, value in result.figures.items():
        _say(f"  {key}: {_cell(value)}")
    return EXIT_OK


def _scenario_path(ws: Workspace, name: str) -> Path:
    """A scenario file: ``name`` itself when it is a path, else ``plans/borders/NAME.yaml``.

    A missing one is an error naming what was looked for, with the closest shipped name.
    """
    import difflib  # noqa: PLC0415

    from .errors import PlanError, PlanIssue  # noqa: PLC0415

    p = Path(name)
    if p.is_file():
        return p
    folder = ws.plans / "borders"
    if name and "/" not in name and os.sep not in name and not p.suffix:
        found = folder / f"{name}.yaml"
        if found.is_file():
            return found
        known = sorted(q.stem for q in folder.glob("*.yaml") if q.is_file()) if folder.is_dir() else []
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        fix = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(known) or '(none)'}"
        raise PlanError([PlanIssue(str(found), 1, 1, f"no border scenario '{name}' in {folder}", fix)])
    raise PlanError([PlanIssue(str(p), 1, 1, "no such border scenario file", "check the path")])


def _border_layers(ws: Workspace) -> dict[str, Any]:
    from . import layers  # noqa: PLC0415

    return {n: layers.load(n, ws.root) for n in _BORDER_LAYERS}


def _border_outputs(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """``-o`` and ``--html`` of ``border``, checked before the work: a wrong suffix is a usage error (exit 2)."""
    out = Path(args.output) if args.output else None
    html_out = Path(args.html) if args.html else None
    if out is not None and out.suffix.lower() not in _BORDER_FILES:
        raise UsageError(f"-o {out}: write the border as .gpkg (GeoPackage) or .geojson (GeoJSON)")
    if html_out is not None and html_out.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"--html {html_out}: the map is a web page; name it .html")
    return (
        _check_output(out) if out is not None else None,
        _check_output(html_out) if html_out is not None else None,
    )


def _border_page(result: Any, ly: dict[str, Any], description: str) -> bytes:
    from .output import border_map  # noqa: PLC0415 - folium loads only for maps

    return border_map.border_html(result, ly, description).encode("utf-8")


def _border_frame(result: Any) -> Any:
    """The scenario's parts (``annexed``, ``swapped``, ``palestine``) in EPSG:4326, with each part's area."""
    from .crs import area_km2  # noqa: PLC0415

    frame = result.frame()
    if "area_km2" not in frame.columns:
        frame["area_km2"] = area_km2(frame, "border").round(2)
    return frame


def _figures_row(result: Any) -> pd.DataFrame:
    """The figures as one row, a column each (a value that is not a number, a flag or a text goes as JSON)."""
    import pandas as pd  # noqa: PLC0415

    row: dict[str, Any] = {"scenario": result.name}
    for key, value in result.figures.items():
        plain = value.item() if hasattr(value, "item") else value
        row[str(key)] = plain if isinstance(plain, bool | int | float | str) else json.dumps(plain, default=str)
    return pd.DataFrame([row])


def _write_border(result: Any, out: Path) -> None:
    """Write ``-o``: GeoJSON (the parts), or a GeoPackage (the parts, figures, denominators and metadata).

    One layer ``border`` with a ``part`` column rather than a layer per part: the GeoPackage then holds the very
    features of the GeoJSON, a GIS styles them by category in one step, and the files of several scenarios share
    one schema, so they can be loaded side by side or merged.  Both are written atomically.
    """
    from .files import atomic_write, writing  # noqa: PLC0415

    frame = _border_frame(result)
    if _BORDER_FILES[out.suffix.lower()] == "GeoJSON":
        with writing(out):
            atomic_write(out, frame.to_json(sort_keys=True).encode("utf-8"))
        return
    import pandas as pd  # noqa: PLC0415
    import pyogrio  # noqa: PLC0415

    from .files import staged_file  # noqa: PLC0415
    from .output.export import WRITE_ERRORS, ExportError, fix_timestamps  # noqa: PLC0415
    from .output.style import ATTRIBUTION  # noqa: PLC0415

    dens = result.denominators.copy()
    dens.insert(0, "scenario", result.name)
    meta = {"scenario": result.name, "crs": "EPSG:4326", "attribution": ATTRIBUTION}
    tables = {
        "border": frame,
        "figures": _figures_row(result),
        "denominators": dens,
        "metadata": pd.DataFrame({"key": list(meta), "value": list(meta.values())}),
    }
    with staged_file(out, ExportError, WRITE_ERRORS) as path:
        for name, table in tables.items():
            pyogrio.write_dataframe(table, path, layer=name, driver="GPKG")
        fix_timestamps(path)


def _cell(value: Any) -> str:
    """A figure as people read it: numbers grouped, flags as yes/no, nothing as '-'."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Real):
        return _figure(value)
    return str(value)


def _ab_table(df: pd.DataFrame) -> pd.DataFrame:
    """A comparison table with its A, B and B - A columns as people read them."""
    shown = df.rename(columns={"a": "A", "b": "B", "b_minus_a": "B - A"})
    for col in ("A", "B"):
        shown[col] = shown[col].map(_cell)
    shown["B - A"] = shown["B - A"].map(lambda x: "-" if x is None else ("+" if x > 0 else "") + _figure(x))
    return shown


def _border_diff(args: argparse.Namespace, ws: Workspace) -> int:
    """``border diff A B``: both scenarios on every denominator, their figures, and the settlements changing side."""
    from . import border  # noqa: PLC0415

    if len(args.others) != 2:
        raise UsageError(f"border diff takes two scenarios, not {len(args.others)}: landplan border diff A B")
    if args.output or args.html:
        raise UsageError("border diff prints tables (or --json); -o and --html draw one scenario: border SCENARIO")
    loaded = [border.load_scenario(_scenario_path(ws, name)) for name in args.others]
    ly = _border_layers(ws)
    a, b = (border.compute(ls, ly) for ls in loaded)
    cmp = border.compare(a, b, ly["settlements"])
    if args.json:
        _say(json.dumps(cmp.to_json(), indent=1))
        return EXIT_OK
    _say(f"A: {cmp.a}\nB: {cmp.b}\n")
    _say("areas on each denominator:")
    _print_table(_ab_table(cmp.denominators))
    _say("\nfigures:")
    _print_table(_ab_table(cmp.figures))
    moved = cmp.settlements
    _say(f"\nsettlements that change side (A -> B): {len(moved)}")
    if len(moved):
        shown = moved.drop(columns=["side_a", "side_b"]).assign(
            **{"A -> B": moved["side_a"] + " -> " + moved["side_b"]}
        )
        if "population" in shown.columns:
            shown["population"] = shown["population"].map(_figure)
        _print_table(shown)
    return EXIT_OK


def _cmd_plan(args: argparse.Namespace) -> int:
    from . import plan  # noqa: PLC0415

    ws = _workspace(args)
    if args.plan_command == "schema":
        from .files import atomic_write  # noqa: PLC0415

        schema_out = _check_output(args.output or ws.plans / plan.SCHEMA_FILE, inputs=not args.output)
        atomic_write(schema_out, plan.schema_text().encode("utf-8"))
        _say(f"wrote {schema_out}")
        if not args.output and (ws.plans / "borders").is_dir():
            from .border import scenario  # noqa: PLC0415

            border_out = ws.plans / "borders" / scenario.SCHEMA_FILE
            atomic_write(border_out, scenario.schema_text().encode("utf-8"))
            _say(f"wrote {border_out}")
        return EXIT_OK
    if args.plan_command == "validate":
        return _validate(ws, args.plan)
    out = _plan_output(args)
    return _solved(args, _run(ws, args.plan, args.time, args.no_cache), out)


def _validate(ws: Workspace, name: str) -> int:
    """Check a plan against the layers it names (zones, crossings, links, sites, obstacles) without solving it."""
    from . import border, layers, plan  # noqa: PLC0415

    path = ws.plan_path(name)
    lp = plan.load(path)
    needed = ["zones", "crossings", "links", "early_warning_sites", "obstacles"]
    if lp.plan.border is not None:
        needed += [n for n in border.NEEDED if n not in needed]
    named, drawn, _ = border.planning_layers(lp, {n: layers.load(n, ws.root) for n in needed})
    crossings = set(named["crossings"]["crossing_id"])
    problem = plan.compile_plan(lp, named["zones"], crossings, plan.LayerRefs.of(named))
    size = f"{len(problem.zones)} zones, {len(problem.tasks)} tasks, horizon {problem.horizon} months"
    inside = f" inside the border '{drawn.name}'" if drawn is not None else ""
    _say(f"{path}: valid - {size}{inside}")
    return EXIT_OK


def _plan_output(args: argparse.Namespace) -> Path | None:
    """``-o`` of ``plan schedule`` (a prefix: ``x``, ``x.csv`` and ``x.json`` all mean ``x``) or ``plan metrics``."""
    if not getattr(args, "output", None):
        return None
    p = Path(args.output)
    if args.plan_command != "schedule":
        return _check_output(p)
    prefix = p.with_suffix("") if p.suffix in (".csv", ".json") else p
    _check_output(prefix.with_name(prefix.name + ".schedule.csv"))
    return prefix


def _solved(args: argparse.Namespace, run: PlanRun, out: Path | None) -> int:
    """Print (and write) what ``plan schedule``, ``metrics``, ``summary`` or ``explain`` says of a scheduled plan."""
    from . import metrics, summary  # noqa: PLC0415

    problem, sched = run.problem, run.schedule
    plain = summary.describe_objective(problem, sched)
    head = {
        "plan": problem.name,
        "status": sched.status,
        "objective": problem.objective,
        "objective_value": sched.objective,
        "bound": sched.bound,
        "objective_in_units": {"value": plain.value, "bound": plain.bound, "unit": plain.unit, "text": plain.text()},
        "makespan": sched.makespan,
    }
    if args.plan_command == "schedule":
        table = metrics.schedule_table(problem, sched, run.timeline)
        if out is not None:
            _write_tables(out, table, metrics.state_table(problem, sched, run.timeline), head)
        if args.json:
            _say(json.dumps({**head, "tasks": table.to_dict(orient="records")}, indent=1))
        else:
            _say(f"{head['plan']}: {sched.status}, last task ends month {sched.makespan}")
            raw = f" ({sched.objective:,} person-months, bound {sched.bound:,})" if plain.people else ""
            _say(f"objective: {plain.text()}{raw}")
            _print_table(table.drop(columns=["zone"]))
        return EXIT_OK
    if args.plan_command == "metrics":
        if out is not None:
            from .files import atomic_write, csv_bytes  # noqa: PLC0415

            atomic_write(out, csv_bytes(run.metrics))
        if args.json:
            doc = {**head, "units": _units(list(run.metrics.columns)), "months": run.metrics.to_dict(orient="records")}
            _say(json.dumps(doc, indent=1))
        else:
            _print_metrics(run.metrics)
        return EXIT_OK
    if args.plan_command == "summary":
        result = summary.summarize(run)
        told = summary.story(run, args.lang)
        if args.json:
            _say(json.dumps({**result.to_dict(), "story": told, "lang": args.lang}, indent=1, ensure_ascii=False))
        else:
            for line in [*(result.lines() if args.lang == "en" else [run.name]), "", *told]:
                _say(line)
        return EXIT_OK
    return _explain(args, run, head)


def _write_tables(prefix: Path, table: pd.DataFrame, states: pd.DataFrame, head: dict[str, object]) -> None:
    """The schedule's CSV, JSON and state CSV, all or none (a failure or Ctrl-C leaves the old set)."""
    from .files import csv_bytes, replace_all  # noqa: PLC0415

    doc = {**head, "tasks": table.to_dict(orient="records")}
    files = {
        f"{prefix.name}.schedule.csv": csv_bytes(table),
        f"{prefix.name}.schedule.json": (json.dumps(doc, indent=1) + "\n").encode(),
        f"{prefix.name}.states.csv": csv_bytes(states),
    }
    replace_all(prefix.parent, files)


def _explain(args: argparse.Namespace, run: PlanRun, head: dict[str, object]) -> int:
    from . import summary  # noqa: PLC0415
    from .schedule import explain as ex  # noqa: PLC0415

    problem, sched = run.problem, run.schedule
    exp = ex.explain(problem, sched)
    doc: dict[str, Any] = {
        **head,
        "critical_path": [{"task": t, "start": sched.start[t], "end": sched.end[t]} for t in exp.critical_path],
        "binding": [{"resource": b.resource, "from": b.first, "to": b.last} for b in exp.binding],
        "slack": exp.slack,
    }
    if args.delay:
        doc["what_if"] = summary.what_if(run, *args.delay)
    if args.json:
        _say(json.dumps(doc, indent=1))
        return EXIT_OK
    _say(f"{head['plan']}: {sched.status}, last task ends month {exp.makespan}")
    _say("\ncritical path (what fixes the end date):")
    for t in exp.critical_path:
        _say(f"  {sched.start[t]:>4} -> {sched.end[t]:<4} {t}")
    _say("\nbinding resource periods:")
    for b in exp.binding or []:
        _say(f"  {b.resource}: months {b.first}-{b.last}")
    if not exp.binding:
        _say("  none")
    _say("\nleast slack (months a task can slip without moving the end):")
    for v, t in sorted((v, t) for t, v in exp.slack.items())[:10]:
        _say(f"  {v:>4}  {t}")
    if "what_if" in doc:
        _print_what_if(doc["what_if"])
    return EXIT_OK


def _print_what_if(w: dict[str, Any]) -> None:
    """The what-if: the tasks that move, then the key metrics that change (at the months compared)."""
    import pandas as pd  # noqa: PLC0415

    _say(f"\nwhat if {w['delay']} slips {w['months']} months: {len(w['moved'])} tasks move")
    for r in w["moved"]:
        _say(f"  {r['task']}: month {r['from']} -> {r['to']}")
    ends = w["makespan"]
    _say(f"\nlast task ends month {ends['before']} before, {ends['after']} after")
    table = pd.DataFrame(w["metrics"], columns=["month", "metric", "unit", "before", "after", "change"])
    changed = table[table["change"] != 0]
    months = ", ".join(str(m) for m in w["at_months"])
    if changed.empty:
        _say(f"key metrics at months {months}: no change")
        return
    _say(f"key metrics that change at months {months} (the others stay as they were):")
    shown = changed.assign(
        before=changed["before"].map(_grouped),
        after=changed["after"].map(_grouped),
        change=changed["change"].map(lambda x: ("+" if x > 0 else "") + _grouped(x)),
    )
    _print_table(shown)


def _grouped(x: float) -> str:
    """A number with thousands separators: ``5,238,885``, ``43.51``."""
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.2f}"


# -- entry points ---------------------------------------------------------------------------------------------------
_HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "init": _cmd_init,
    "layers": _cmd_layers,
    "map": _cmd_map,
    "atlas": _cmd_atlas,
    "plan": _cmd_plan,
    "export": _cmd_export,
    "diff": _cmd_diff,
    "border": _cmd_border,
    "serve": _cmd_serve,
}


def _report(exc: BaseException) -> int:
    """One clear message for a failure, and its exit code."""
    if isinstance(exc, PlanError):
        for issue in exc.issues[:MAX_ISSUES_SHOWN]:
            _say(str(issue), err=True)
        if len(exc.issues) > MAX_ISSUES_SHOWN:
            _say(f"... and {len(exc.issues) - MAX_ISSUES_SHOWN} more problems like these", err=True)
        return EXIT_DATA
    codes: tuple[tuple[type[BaseException], int], ...] = (
        (UsageError, EXIT_USAGE),
        (WorkspaceError, EXIT_NOINPUT),
        (OutputError, EXIT_IOERR),
        (LandplanError, EXIT_DATA),
    )
    for cls, code in codes:
        if isinstance(exc, cls):
            _say(f"landplan: error: {exc}", err=True)
            return code
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        _say(f"landplan: error: could not read or write{where}: {exc.strerror or exc}", err=True)
        return EXIT_IOERR
    log.debug("internal error", exc_info=exc)
    _say(
        f"landplan: internal error: {type(exc).__name__}: {exc}. This is a bug in landplan; please report it with "
        "the command and its input files (run again with -vv to log where it happened).",
        err=True,
    )
    return EXIT_SOFTWARE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code (see the module docstring and the README).
    """
    if sys.stdout is None or sys.stdout.closed:
        _say("landplan: error: could not write to standard output: it is closed. Run again with it open "
             "(send it to a file or to /dev/null to discard it).", err=True)  # fmt: skip
        return EXIT_IOERR
    try:
        args = _parse(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        _say("interrupted", err=True)
        return EXIT_INTERRUPTED
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return _HANDLERS[args.command](args)
    except KeyboardInterrupt:
        _say("\ninterrupted; nothing was written", err=True)
        # An interrupted CP-SAT solver must be freed now: left to the interpreter's teardown, its destructor
        # aborts the process (SIGABRT, exit 134) instead of letting it exit with 130.
        gc.collect()
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        raise
    except Exception as exc:  # every failure becomes one message and an exit code, never a traceback
        if _caused_by_interrupt(exc) or _INTERRUPTS:
            _say("\ninterrupted; nothing was written", err=True)
            return EXIT_INTERRUPTED
        return _report(exc)


#: Ctrl-C presses seen by :func:`_on_interrupt` (a library may swallow the KeyboardInterrupt it raises).
_INTERRUPTS: list[int] = []


def _on_interrupt(signum: int, frame: object) -> None:
    """Python's own Ctrl-C handler, counting: a command that then fails is reported as interrupted."""
    _INTERRUPTS.append(signum)
    raise KeyboardInterrupt


def _quiet_interrupt(hook: Callable[..., Any]) -> Callable[..., Any]:
    """``hook`` (sys.excepthook or sys.unraisablehook), silent for an interrupt a library prints instead of raising."""

    def quiet(*args: Any) -> Any:
        kind = args[0] if args and isinstance(args[0], type) else getattr(args[0], "exc_type", None)
        if isinstance(kind, type) and issubclass(kind, KeyboardInterrupt):
            _INTERRUPTS.append(signal.SIGINT)
            return None
        return hook(*args)

    return quiet


def _caused_by_interrupt(exc: BaseException) -> bool:
    """Whether a Ctrl-C lies behind ``exc``.

    Python wraps an interrupt that lands while a class is being made (``__set_name__``) in a RuntimeError, and a
    library may wrap it in its own error.
    """
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, KeyboardInterrupt):
            return True
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return False


def main_entry() -> None:
    """Console-script entry point: run :func:`main` and exit with its code.

    A reader that closes the pipe early (``landplan ... | head -1``) ends the command quietly with 141, as a shell
    reports a process ended by SIGPIPE.
    """
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_interrupt)
    sys.excepthook = _quiet_interrupt(sys.excepthook)
    sys.unraisablehook = _quiet_interrupt(sys.unraisablehook)
    try:
        code = main()
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        # stdout is gone: point it at /dev/null so the interpreter's final flush cannot fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = EXIT_PIPE
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    if code == EXIT_INTERRUPTED:
        _exit_now(code)
    sys.exit(code)


def _exit_now(code: int) -> None:
    """End the process with ``code`` at once, past the interpreter's teardown.

    An interrupt that lands while an extension module runs Python source through ``PyRun_*`` (some do so as they
    import) leaves CPython convinced the interrupt went unhandled, and it then ends the process by SIGINT whatever
    code ``sys.exit`` was given. Nothing is left half-written at this point: every output is written atomically.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and not stream.closed:
            with contextlib.suppress(OSError):
                stream.flush()
    os._exit(code)
