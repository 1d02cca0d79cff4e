"""The ``landplan`` command line.  The only module that prints.

Exit codes: 0 success, 1 validation problems found, 2 usage error,
65 bad input data (source or layer), 66 no workspace.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from . import __version__, build, layers, sources, workspace
from .errors import LandplanError, WorkspaceError

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
    mp = sub.add_parser("map", help="write the overview map of the layers")
    mp.add_argument("-o", "--output", metavar="PATH", help="HTML file (default: maps/overview.html)")
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
    from . import render  # noqa: PLC0415 - folium is imported only when a map is drawn

    ws = workspace.find(args.workspace)
    out = Path(args.output) if args.output else ws.maps / "overview.html"
    loaded = layers.load_all(ws.root)
    render.write_overview(loaded, out)
    _print_table(layers.summary(loaded))
    print(f"\nwrote {out}")
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
    handlers = {"init": _cmd_init, "layers": _cmd_layers, "map": _cmd_map}
    try:
        return handlers[args.command](args)
    except WorkspaceError as exc:
        print(f"landplan: error: {exc}", file=sys.stderr)
        return EXIT_NOINPUT
    except LandplanError as exc:
        print(f"landplan: error: {exc}", file=sys.stderr)
        return EXIT_DATA


def main_entry() -> None:
    """Console-script entry point: run :func:`main` and exit with its code."""
    sys.exit(main())
