"""Exception hierarchy for landplan.

Every error derives from :class:`LandplanError` and from the built-in exception
it refines, so callers can catch either.  Messages say what went wrong *and*
how to fix it.
"""

from __future__ import annotations

__all__ = [
    "CRSError",
    "LandplanError",
    "LayerError",
    "SourceError",
    "WorkspaceError",
]


class LandplanError(Exception):
    """Base class of every error raised by landplan."""


class SourceError(LandplanError, ValueError):
    """A source dataset cannot be used to build the layers."""


class CRSError(LandplanError, ValueError):
    """A coordinate reference system is missing, wrong, or unfit for the operation."""


class LayerError(LandplanError, ValueError):
    """A shipped layer does not meet its schema or fails validation."""


class WorkspaceError(LandplanError, FileNotFoundError):
    """No usable workspace (folder with ``layers/``, ``plans/`` and ``maps/``)."""
