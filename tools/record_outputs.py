"""Record, or compare with a record, the hashes of what the shipped plans produce.

A refactoring that must not change behaviour is checked with it: record before moving code, compare after.

    python tools/record_outputs.py record outputs.json     # before
    python tools/record_outputs.py compare outputs.json    # after: exit 1 and the differences if any output changed

For each shipped plan it runs, through the command line, ``plan schedule --json``, ``map``, ``export --format gpkg``
and ``atlas``, with ``SOURCE_DATE_EPOCH`` fixed so build dates do not differ, and hashes each output with SHA-256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLANS = ("reference", "clinton-timeline", "geneva-timeline")
EPOCH = "1767225600"  # 2026-01-01


def _landplan(*argv: str, stdout: Path | None = None) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    cmd = [sys.executable, "-m", "geo", "--workspace", str(ROOT), *argv]
    with open(stdout, "wb") if stdout else open(os.devnull, "wb") as out:
        subprocess.run(cmd, check=True, env=env, stdout=out)  # noqa: S603 - our own command line, fixed arguments


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record() -> dict[str, str]:
    """Run every output of every shipped plan; return ``{plan/output: sha256}``."""
    hashes: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for plan in PLANS:
            _landplan("plan", "schedule", plan, "--json", stdout=d / f"{plan}.json")
            _landplan("map", plan, "-o", str(d / f"{plan}.html"))
            _landplan("export", plan, "--format", "gpkg", "-o", str(d / f"{plan}.gpkg"))
            _landplan("atlas", plan, "-o", str(d / f"{plan}.pdf"))
            for suffix, what in ((".json", "schedule"), (".html", "map"), (".gpkg", "export"), (".pdf", "atlas")):
                hashes[f"{plan}/{what}"] = _sha(d / f"{plan}{suffix}")
                print(f"{plan}/{what}: {hashes[f'{plan}/{what}'][:16]}", flush=True)
    return hashes


def main() -> int:
    """Record or compare; exit 1 when a compared output differs."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("action", choices=["record", "compare"])
    ap.add_argument("file", type=Path)
    args = ap.parse_args()
    now = record()
    if args.action == "record":
        args.file.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
        return 0
    before = json.loads(args.file.read_text())
    changed = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
    for k in changed:
        print(f"CHANGED {k}: {before.get(k, '-')[:16]} -> {now.get(k, '-')[:16]}")
    print(f"{len(before) - len(changed)} of {len(before)} outputs byte-identical")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
