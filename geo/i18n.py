"""The interface's words in Arabic, Hebrew and English, from one message catalogue.

The catalogue is a pair of gettext PO files, ``geo/locale/ar.po`` and ``geo/locale/he.po``, read with Babel; the
message ids are the English texts themselves, so English needs no file and a missing translation falls back to
English rather than to a key.  The phase map carries the catalogue in its payload and switches language in the
page; the atlas, ``plan summary`` and ``landplan map --lang`` read it here.

A message may hold named slots such as ``{month}``.  They are filled by :func:`fill`, a plain substitution of
``{name}`` by text: a message is never used as a format string, so neither a translation nor a value from a plan
can reach Python's formatting machinery.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources

from .errors import UsageError

#: The languages of the interface, English first (the language of the message ids).
LANGUAGES: tuple[str, ...] = ("en", "ar", "he")
#: Each language's name in itself, as the language switch shows it.
LANGUAGE_NAMES: Mapping[str, str] = {"en": "English", "ar": "العربية", "he": "עברית"}
#: The languages written right to left.
RTL: frozenset[str] = frozenset({"ar", "he"})

_SLOT = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def check_language(lang: str) -> str:
    """``lang`` if the interface speaks it; otherwise a :class:`UsageError` that lists the choices.

    Parameters
    ----------
    lang : str
        A language code such as ``ar``.

    Returns
    -------
    str
    """
    if lang not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    return lang


@cache
def catalogue(lang: str) -> Mapping[str, str]:
    """The translated messages of ``lang``, by their English text; empty for English.

    Fuzzy and empty translations are left out, so they fall back to English instead of showing a guess.

    Parameters
    ----------
    lang : str
        One of :data:`LANGUAGES`.

    Returns
    -------
    Mapping[str, str]
    """
    if check_language(lang) == "en":
        return {}
    from babel.messages.pofile import read_po  # noqa: PLC0415 - Babel loads only when a catalogue is read

    with resources.files("geo").joinpath("locale", f"{lang}.po").open("rb") as f:
        po = read_po(f, locale=lang)
    out: dict[str, str] = {}
    for msg in po:
        if msg.id and isinstance(msg.id, str) and isinstance(msg.string, str) and msg.string and not msg.fuzzy:
            out[msg.id] = msg.string
    return out


def slots(text: str) -> frozenset[str]:
    """The names of the slots (``{name}``) in a message: a translation must keep the same ones.

    Parameters
    ----------
    text : str

    Returns
    -------
    frozenset of str
    """
    return frozenset(_SLOT.findall(text))


def fill(text: str, **values: object) -> str:
    """Put ``values`` into the slots of ``text``; a slot without a value is left as it is.

    Parameters
    ----------
    text : str
        A message (trusted: from the catalogue).
    **values : object
        The slot values, used as plain text.

    Returns
    -------
    str
    """
    return _SLOT.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text)


def translate(lang: str, msgid: str, **values: object) -> str:
    """The message ``msgid`` in ``lang``, its slots filled with ``values``.

    Parameters
    ----------
    lang : str
        One of :data:`LANGUAGES`.
    msgid : str
        The English text.
    **values : object
        The slot values.

    Returns
    -------
    str
    """
    return fill(catalogue(lang).get(msgid, msgid), **values)
