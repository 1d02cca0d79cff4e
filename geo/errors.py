"""Exception hierarchy for landplan.

Every error derives from :class:`LandplanError` and from the built-in exception
it refines, so callers can catch either.  Messages say what went wrong *and*
how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CRSError",
    "LandplanError",
    "LayerError",
    "OutputError",
    "PlanError",
    "PlanIssue",
    "SourceError",
    "UsageError",
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


class OutputError(LandplanError, OSError):
    """An output cannot be written (missing or read-only folder, a folder in the way, disk full, ...).

    The message reads ``could not write PATH: reason`` and says how to fix it; the previous
    output, if any, is left as it was.  The command line exits 74 (``EX_IOERR``).
    """


class UsageError(LandplanError, ValueError):
    """A command-line argument is out of range or malformed (the command line exits 2)."""


@dataclass(frozen=True)
class PlanIssue:
    """One problem in a plan file, at a position."""

    file: str
    line: int
    col: int
    message: str
    fix: str

    @classmethod
    def at(cls, origin: tuple[str, int, int], message: str, fix: str) -> PlanIssue:
        """The issue at ``origin`` (``(file, line, col)``, as every plan value carries it).

        Parameters
        ----------
        origin : tuple of (str, int, int)
            Where the offending value is.
        message : str
            What is wrong.
        fix : str
            How to fix it.

        Returns
        -------
        PlanIssue
        """
        return cls(origin[0], origin[1], origin[2], message, fix)

    def __str__(self) -> str:
        fix = self.fix if self.fix.endswith((".", "?", ":")) else self.fix + "."
        return f"{self.file}:{self.line}:{self.col}: {self.message}. Fix: {fix}"


class PlanError(LandplanError, ValueError):
    """A plan file is invalid; carries every issue found, each with ``file:line:col``."""

    def __init__(self, issues: list[PlanIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))
