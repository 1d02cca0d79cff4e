"""The ``landplan`` command line.  The only module that prints.

Exit codes: 0 success, 1 validation problems found, 2 usage error,
65 bad input data (source, layer or plan), 66 no workspace.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__, build, layers, sources, workspace
from .errors import LandplanError, PlanError, WorkspaceError
from .files import atomic_write
from .run import plan_path

__all__ = ["main", "main_entry"]

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_DATA, EXIT_NOINPUT = 0, 1, 2, 65, 66


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="landplan", description="Geospatial mapping and phasing planner.")
    p.add_argument("--version", action="version", version=f"landplan {__version__}")
    p.add_argument("--workspace", metavar="DIR", help="workspace folder (default: nearest above the current one)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = p.add_subparsers(dest="command", required=True)
    sp = sub.add_parser("init", help="create a new workspace with the shipped layers and plans")
    sp.add_argument("dir", help="folder to create")
    lp = sub.add_parser("layers", help="build or check the layers")
    lsub = lp.add_subparsers(dest="layers_command", required=True)
    bp = lsub.add_parser("build", help="rebuild every layer from the source datasets")
    bp.add_argument("--source", metavar="DIR", help="folder of source datasets (default: ../shared/data)")
    lsub.add_parser("check", help="validate the layers and print their summary")
    pp = sub.add_parser("plan", help="validate, schedule and explain a phase plan")
    psub = pp.add_subparsers(dest="plan_command", required=True)
    for name, text in (
        ("validate", "check a plan (syntax, references, cycles, windows, troops)"),
        ("schedule", "schedule a plan with CP-SAT and print the schedule"),
        ("explain", "critical path, slack, binding resources; --delay for a what-if"),
        ("metrics", "metrics per month of the scheduled plan"),
    ):
        c = psub.add_parser(name, help=text)
        c.add_argument("plan", help="plan file, or a name in plans/ (e.g. reference)")
        if name != "validate":
            c.add_argument("--json", action="store_true", help="print JSON instead of a table")
            c.add_argument(
                "--time",
                type=float,
                default=None,
                metavar="UNITS",
                help="solver work budget per phase (CP-SAT deterministic time units)",
            )
        if name in ("schedule", "metrics"):
            c.add_argument("-o", "--output", metavar="PATH", help="also write CSV (and JSON) files")
        if name == "explain":
            c.add_argument("--delay", metavar="TASK=MONTHS", help="what-if: delay a task or gate")
    sc = psub.add_parser("schema", help="write the plan format's JSON Schema")
    sc.add_argument("-o", "--output", metavar="PATH", help="default: plans/plan.schema.json")
    ep = sub.add_parser("export", help="export a scheduled plan for GIS and spreadsheets")
    ep.add_argument("plan", help="plan file or name in plans/")
    ep.add_argument("--format", default="gpkg", choices=["gpkg", "geojson", "parquet", "csv", "kml"])
    ep.add_argument("-o", "--output", metavar="PATH", required=True, help="file (gpkg, kml) or folder")
    ep.add_argument("--wkt", action="store_true", help="csv: also write the layers with WKT geometry")
    ep.add_argument("--time", type=float, default=None, metavar="UNITS", help="solver budget per phase")
    ap = sub.add_parser("atlas", help="write a printable PDF atlas of a plan")
    ap.add_argument("plan", help="plan file or name in plans/")
    ap.add_argument("-o", "--output", metavar="PATH", help="PDF file (default: maps/PLAN.pdf)")
    ap.add_argument("--png", action="store_true", help="also write one PNG per page")
    ap.add_argument("--time", type=float, default=None, metavar="UNITS", help="solver budget per phase")
    dp = sub.add_parser("diff", help="compare two plans: date shifts per zone and metrics side by side")
    dp.add_argument("plan_a")
    dp.add_argument("plan_b")
    dp.add_argument("--json", action="store_true", help="print JSON instead of tables")
    dp.add_argument("--every", type=int, default=12, metavar="MONTHS", help="metrics every N months (default 12)")
    dp.add_argument("--html", metavar="PATH", help="also write a side-by-side comparison map")
    dp.add_argument("--time", type=float, default=None, metavar="UNITS", help="solver budget per phase")
    mp = sub.add_parser("map", help="write the interactive phase map of a plan")
    mp.add_argument("plan", nargs="?", default="reference", help="plan file or name in plans/ (default: reference)")
    mp.add_argument("-o", "--output", metavar="PATH", help="HTML file (default: maps/PLAN.html)")
    mp.add_argument("--cdn", action="store_true", help="link Leaflet from a CDN (with SRI) instead of inlining it")
    mp.add_argument("--no-tiles", action="store_true", help="do not offer online tiles as an optional layer")
    mp.add_argument("--time", type=float, default=None, metavar="UNITS", help="solver budget per phase")
    return p


def _print_table(df: pd.DataFrame) -> None:
    print(df.astype(object).where(df.notna(), "-").to_string(index=False))


def _cmd_init(args: argparse.Namespace) -> int:
    ws = workspace.init(args.dir)
    print(f"created workspace {ws.root} (layers/, plans/, maps/)")
    return EXIT_OK


def _cmd_layers(args: argparse.Namespace) -> int:
    ws = workspace.find(args.workspace)
    if args.layers_command == "build":
        src = Path(args.source) if args.source else sources.default_source_dir(ws.root)
        result = build.build_layers(src)
        build.write_layers(result, ws.layers)
        report = result.match_report
        unmatched = report[report["status"] != "matched"]
        print(f"built {len(result.layers)} layers from {src} into {ws.layers}")
        print(
            f"settlement lists: {int((report['status'] == 'matched').sum() // 2)} pairs matched, "
            f"{len(unmatched)} rows unmatched (listed in layers/{build.MATCH_REPORT}):"
        )
        _print_table(unmatched[["list", "name", "status"]])
        return EXIT_OK
    res = layers.check(ws.root)
    if res.summary is not None and len(res.summary):
        _print_table(res.summary)
        print()
        _print_table(res.details["territories"])
        print()
        _print_table(res.details["oslo_areas"])
    if res.problems:
        print(f"\n{len(res.problems)} problem(s):", file=sys.stderr)
        for line in res.problems:
            print(f"  {line}", file=sys.stderr)
        return EXIT_PROBLEMS
    print("\nall layers valid")
    return EXIT_OK


def _cmd_map(args: argparse.Namespace) -> int:
    from . import render  # noqa: PLC0415 - folium and OR-Tools load only here
    from .run import run_plan  # noqa: PLC0415

    ws = workspace.find(args.workspace)
    run = run_plan(ws, args.plan, args.time, progress=_progress())
    out = Path(args.output) if args.output else ws.maps / f"{run.path.stem}.html"
    inp = render.MapInputs(
        run.layers,
        run.problem,
        run.schedule,
        run.metrics,
        run.name,
        render.digest(run.input_files(ws)),
        render.build_date(),
    )
    render.write_phase_map(inp, out, cdn=args.cdn, tiles=not args.no_tiles)
    _print_table(layers.summary(run.layers))
    print(f"\n{run.name}: {run.schedule.status}, last task ends month {run.schedule.makespan}")
    print(f"wrote {out}")
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from . import export, render  # noqa: PLC0415
    from .run import run_plan  # noqa: PLC0415

    ws = workspace.find(args.workspace)
    run = run_plan(ws, args.plan, args.time, progress=_progress())
    out = export.export(run, args.format, Path(args.output), render.digest(run.input_files(ws)), wkt=args.wkt)
    print(f"{run.name}: {run.schedule.status}; wrote {args.format} to {out}")
    return EXIT_OK


def _cmd_atlas(args: argparse.Namespace) -> int:
    from . import atlas, render  # noqa: PLC0415 - matplotlib loads only here
    from .run import run_plan  # noqa: PLC0415

    ws = workspace.find(args.workspace)
    run = run_plan(ws, args.plan, args.time, progress=_progress())
    out = Path(args.output) if args.output else ws.maps / f"{run.path.stem}.pdf"
    written = atlas.write_atlas(run, out, render.digest(run.input_files(ws)), render.build_date(), png=args.png)
    print(
        f"{run.name}: {run.schedule.status}; wrote {out} ({len(atlas.milestones(run)) + 1} pages)"
        + (f" and {len(written) - 1} PNG pages" if args.png else "")
    )
    return EXIT_OK


def _cmd_diff(args: argparse.Namespace) -> int:
    from .compare import compare  # noqa: PLC0415
    from .run import run_plan  # noqa: PLC0415

    ws = workspace.find(args.workspace)
    a = run_plan(ws, args.plan_a, args.time, progress=_progress())
    b = run_plan(ws, args.plan_b, args.time, progress=_progress())
    cmp = compare(a, b)
    if args.html:
        from . import render  # noqa: PLC0415

        def inputs(run: Any) -> Any:
            return render.MapInputs(
                run.layers,
                run.problem,
                run.schedule,
                run.metrics,
                run.name,
                render.digest(run.input_files(ws)),
                render.build_date(),
            )

        render.write_comparison_map(inputs(a), inputs(b), Path(args.html))
        print(f"wrote {args.html}", file=sys.stderr)
    if args.json:
        print(
            json.dumps(
                {
                    "a": cmp.a,
                    "b": cmp.b,
                    "shifts": json.loads(cmp.shifts.to_json(orient="records")),
                    "metrics": json.loads(cmp.metrics.to_json(orient="records")),
                },
                indent=1,
            )
        )
        return EXIT_OK
    print(f"A: {cmp.a} ({a.schedule.status})\nB: {cmp.b} ({b.schedule.status})\n")
    moved = cmp.shifts[cmp.shifts["shift"].fillna(1) != 0]
    print(f"steps reached at a different month (B - A), {len(moved)} of {len(cmp.shifts)}:")
    _print_table(moved[["zone", "track", "state", "date_a", "date_b", "shift"]])
    print(f"\nmetrics every {args.every} months:")
    rows = []
    for _, r in cmp.metrics[cmp.metrics["month"] % max(1, args.every) == 0].iterrows():
        for col in [c[:-2] for c in cmp.metrics.columns if c.endswith("_a")]:
            rows.append(
                {
                    "month": int(r["month"]),
                    "metric": col,
                    "A": r[f"{col}_a"],
                    "B": r[f"{col}_b"],
                    "B - A": r[f"{col}_delta"],
                }
            )
    _print_table(pd.DataFrame(rows))
    return EXIT_OK


def _progress() -> Callable[[str], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(line: str) -> None:
        if line.startswith("#"):
            print(f"\rsolving: {line[:70]:70s}", end="", file=sys.stderr, flush=True)

    return show


def _cmd_plan(args: argparse.Namespace) -> int:
    from . import explain as ex  # noqa: PLC0415 - OR-Tools loads only for plan commands
    from . import metrics, plan, schedule, tasks  # noqa: PLC0415

    ws = workspace.find(args.workspace)
    if args.plan_command == "schema":
        out = Path(args.output) if args.output else ws.plans / plan.SCHEMA_FILE
        atomic_write(out, plan.schema_text().encode("utf-8"))
        print(f"wrote {out}")
        return EXIT_OK
    path = plan_path(ws, args.plan)
    lp = plan.load(path)
    zones = layers.load("zones", ws.root)
    crossing_ids = set(layers.load("crossings", ws.root)["crossing_id"])
    problem = tasks.compile_plan(lp, zones, crossing_ids)
    if args.plan_command == "validate":
        print(
            f"{path}: valid - {len(problem.zones)} zones, {len(problem.tasks)} tasks, horizon {problem.horizon} months"
        )
        return EXIT_OK
    budget = args.time if args.time is not None else schedule.DEFAULT_DETERMINISTIC_TIME
    sched = schedule.solve(problem, budget, progress=_progress())
    if sys.stderr.isatty():
        print("", file=sys.stderr)
    head = {
        "plan": lp.plan.meta.name,
        "status": sched.status,
        "objective": problem.objective,
        "objective_value": sched.objective,
        "bound": sched.bound,
        "makespan": sched.makespan,
    }
    if args.plan_command == "schedule":
        table = metrics.schedule_table(problem, sched)
        if args.output:
            _write_tables(Path(args.output), table, metrics.state_table(problem, sched), head)
        if args.json:
            print(json.dumps({**head, "tasks": table.to_dict(orient="records")}, indent=1))
        else:
            print(
                f"{head['plan']}: {sched.status} ({problem.objective} = {sched.objective}, bound {sched.bound}), "
                f"last task ends month {sched.makespan}"
            )
            _print_table(table.drop(columns=["zone"]))
        return EXIT_OK
    if args.plan_command == "metrics":
        obstacles = layers.load("obstacles", ws.root)
        table = metrics.monthly_metrics(problem, sched, zones, obstacles)
        if args.output:
            atomic_write(Path(args.output), table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
        if args.json:
            print(json.dumps({**head, "months": table.to_dict(orient="records")}, indent=1))
        else:
            _print_table(table)
        return EXIT_OK
    return _explain(args, problem, sched, head, ex)


def _write_tables(prefix: Path, table: pd.DataFrame, states: pd.DataFrame, head: dict[str, object]) -> None:
    base = prefix.with_suffix("") if prefix.suffix in (".csv", ".json") else prefix
    atomic_write(base.with_name(base.name + ".schedule.csv"), table.to_csv(index=False, lineterminator="\n").encode())
    doc = {**head, "tasks": table.to_dict(orient="records")}
    atomic_write(base.with_name(base.name + ".schedule.json"), (json.dumps(doc, indent=1) + "\n").encode())
    atomic_write(base.with_name(base.name + ".states.csv"), states.to_csv(index=False, lineterminator="\n").encode())


def _explain(args: argparse.Namespace, problem: Any, sched: Any, head: dict[str, object], ex: Any) -> int:
    exp = ex.explain(problem, sched)
    doc: dict[str, Any] = {
        **head,
        "critical_path": [{"task": t, "start": sched.start[t], "end": sched.end[t]} for t in exp.critical_path],
        "binding": [{"resource": b.resource, "from": b.first, "to": b.last} for b in exp.binding],
        "slack": exp.slack,
    }
    if args.delay:
        name, _, k = args.delay.rpartition("=")
        if not name or not k.lstrip("-").isdigit():
            print("landplan: error: --delay takes TASK=MONTHS, e.g. gate/security-review=3", file=sys.stderr)
            return EXIT_USAGE
        _, moved = ex.what_if(problem, sched, name, int(k))
        doc["what_if"] = {
            "delay": name,
            "months": int(k),
            "moved": [{"task": t, "from": a, "to": b} for t, a, b in moved],
        }
    if args.json:
        print(json.dumps(doc, indent=1))
        return EXIT_OK
    print(f"{head['plan']}: {sched.status}, last task ends month {exp.makespan}")
    print("\ncritical path (what fixes the end date):")
    for t in exp.critical_path:
        print(f"  {sched.start[t]:>4} -> {sched.end[t]:<4} {t}")
    print("\nbinding resource periods:")
    for b in exp.binding or []:
        print(f"  {b.resource}: months {b.first}-{b.last}")
    if not exp.binding:
        print("  none")
    tight = sorted((v, t) for t, v in exp.slack.items())[:10]
    print("\nleast slack (months a task can slip without moving the end):")
    for v, t in tight:
        print(f"  {v:>4}  {t}")
    if "what_if" in doc:
        w = doc["what_if"]
        print(f"\nwhat if {w['delay']} slips {w['months']} months: {len(w['moved'])} tasks move")
        for r in w["moved"]:
            print(f"  {r['task']}: month {r['from']} -> {r['to']}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    handlers = {
        "init": _cmd_init,
        "layers": _cmd_layers,
        "map": _cmd_map,
        "atlas": _cmd_atlas,
        "plan": _cmd_plan,
        "export": _cmd_export,
        "diff": _cmd_diff,
    }
    try:
        return handlers[args.command](args)
    except WorkspaceError as exc:
        print(f"landplan: error: {exc}", file=sys.stderr)
        return EXIT_NOINPUT
    except PlanError as exc:
        for issue in exc.issues:
            print(str(issue), file=sys.stderr)
        return EXIT_DATA
    except LandplanError as exc:
        print(f"landplan: error: {exc}", file=sys.stderr)
        return EXIT_DATA


def main_entry() -> None:
    """Console-script entry point: run :func:`main` and exit with its code."""
    sys.exit(main())
