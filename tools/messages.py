"""Bring the message catalogue up to date: every message the pages ask for, in each language's PO file.

    python tools/messages.py            # add new messages (untranslated) to geo/locale/*.po, mark gone ones obsolete
    python tools/messages.py --check    # exit 1 and list what is missing or untranslated; change nothing

The template is built in memory from :func:`geo.output.messages.interface_messages` (the scripts' ``t('...')``
calls and the payload's tables, with the field names of the shipped plans' maps) and merged into each PO file
with Babel's ``Catalog.update``, which keeps every existing translation.  Translate the new entries, then run the
tests (``tests/test_i18n.py`` checks that every message is translated, with the same slots).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from geo import i18n
from geo.output.messages import interface_messages
from geo.output.phase_map import MapInputs, build_payload
from geo.run import run_plan
from geo.workspace import find

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "geo" / "locale"
PLANS = ("reference", "clinton-timeline", "geneva-timeline")


_HEADER = "# The landplan interface's messages; the ids are the English texts. Updated by tools/messages.py."


def _template() -> Catalog:
    ws = find(ROOT)
    payloads = [build_payload(MapInputs.from_run(run, "0" * 12, "2026-01-01")) for run in
                (run_plan(ws, name, None) for name in PLANS)]  # fmt: skip
    tpl = Catalog(project="landplan", charset="utf-8")
    for msg in sorted(interface_messages(payloads)):
        tpl.add(msg)  # no source lines: they would change the PO files at every edit of the script
    return tpl


def main() -> int:
    """Merge the template into each language's PO file (or, with --check, report what is untranslated)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="report what is missing; change nothing")
    args = ap.parse_args()
    tpl = _template()
    missing = 0
    for lang in i18n.LANGUAGES[1:]:
        path = LOCALE / f"{lang}.po"
        if path.exists():
            with path.open("rb") as f:
                cat = read_po(f, locale=lang)
        else:
            cat = Catalog(locale=lang, project="landplan", charset="utf-8", header_comment=_HEADER)
        cat.update(tpl, no_fuzzy_matching=True)
        todo = [m.id for m in cat if m.id and not m.string]
        missing += len(todo)
        print(f"{lang}: {len(todo)} message(s) untranslated")
        for msg in todo:
            print(f"  {msg!r}")
        if not args.check:
            with path.open("wb") as f:
                write_po(f, cat, width=120, omit_header=False, ignore_obsolete=True, sort_output=True)
    return 1 if args.check and missing else 0


if __name__ == "__main__":
    sys.exit(main())
