"""Every message the pages put before a reader, gathered for the catalogue (``geo/locale/*.po``).

The page's script asks for its words with ``t('...')``; Babel's JavaScript extractor finds those calls, so a new
string in ``landplan.js`` cannot slip past the catalogue.  The rest come from the tables the payload is built
from: layer names, legend texts, figure labels, milestone captions, and the field names of the layers' facts.
``tools/messages.py`` writes the template from here and merges it into each language's PO file; the tests check
that every message has a translation in every language, with the same slots.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from babel.messages.extract import extract_javascript, extract_python

from ..figures import messages as figure_messages
from ..figures import milestone_messages
from .style import BORDER_MESSAGES, MAP_LAYERS, MAP_LEGEND

#: The scripts whose ``t('...')`` calls are messages.
SCRIPTS: tuple[str, ...] = ("landplan.js", "border.js")
#: The Python modules whose ``_w('...')`` and ``translate(lang, '...')`` calls are messages.
MODULES: tuple[str, ...] = ("output/atlas.py", "output/style.py", "summary.py", "figures.py")


def script_messages() -> dict[str, str]:
    """The messages of the page's scripts, each with where it is first asked for (``file:line``).

    Returns
    -------
    dict
    """
    out: dict[str, str] = {}
    for name in SCRIPTS:
        with (resources.files("geo.output") / "static" / name).open("rb") as f:
            for lineno, _func, found, _comments in extract_javascript(f, {"t": None}, [], {}):
                # t('text', {slots}) comes as ('text', None): the message is the first argument
                msg = found[0] if isinstance(found, tuple) and found else found
                if isinstance(msg, str) and msg:
                    out.setdefault(msg, f"geo/output/static/{name}:{lineno}")
    return out


def module_messages() -> dict[str, str]:
    """The messages the atlas, the summary and the figures ask for by a literal text (Babel's Python extractor).

    Returns
    -------
    dict
    """
    out: dict[str, str] = {}
    for name in MODULES:
        with resources.files("geo").joinpath(*name.split("/")).open("rb") as f:
            for lineno, func, found, _comments in extract_python(f, {"_w": None, "translate": (2,)}, [], {}):
                at = 1 if func == "translate" else 0  # translate(lang, text, ...): the text is the second argument
                args = found if isinstance(found, tuple) else (found,)
                msg = args[at] if len(args) > at else None
                if isinstance(msg, str) and msg:
                    out.setdefault(msg, f"geo/{name}:{lineno}")
    return out


def field_messages(payload: Mapping[str, Any]) -> set[str]:
    """The field names a page's tooltips label (``population_year`` is asked for as ``population year``).

    Parameters
    ----------
    payload : mapping
        A phase map's payload (:func:`geo.output.phase_map.build_payload`).

    Returns
    -------
    set of str
    """
    out = set()
    for value in payload.values():
        if isinstance(value, Mapping) and isinstance(value.get("fields"), list):
            out |= {str(f).replace("_", " ") for f in value["fields"] if not str(f).startswith("name")}
    return out


def table_messages() -> set[str]:
    """The messages of the payload's tables: layer names, legend texts, figures and milestones.

    Returns
    -------
    set of str
    """
    out = {name for _, name, _ in MAP_LAYERS} | {"OpenStreetMap tiles (online)"}
    out |= {text for entries in MAP_LEGEND.values() for _, text in entries} | set(BORDER_MESSAGES)
    return out | figure_messages() | milestone_messages()


def interface_messages(payloads: Iterable[Mapping[str, Any]] = ()) -> dict[str, str]:
    """Every message, with where it comes from.

    Parameters
    ----------
    payloads : iterable of mappings, optional
        Payloads whose layers' field names are added.

    Returns
    -------
    dict
        Message id -> origin (a ``file:line``, ``tables`` or ``fields``).
    """
    out = script_messages()
    for msg, origin in module_messages().items():
        out.setdefault(msg, origin)
    for msg in sorted(table_messages()):
        out.setdefault(msg, "tables")
    for payload in payloads:
        for msg in sorted(field_messages(payload)):
            out.setdefault(msg, "fields")
    return out
