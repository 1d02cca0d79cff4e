"""Workspaces: the folder holding ``layers/``, ``plans/`` and ``maps/``.

Commands find their workspace as the nearest such folder at or above the
current directory, unless one is named.  :func:`init` creates a new workspace
from the layers and plans shipped with the package, so the tool works when it is
installed from a wheel, far from this project's checkout.
"""

from __future__ import annotations

import logging
import os
import shutil
from importlib import resources
from pathlib import Path

from .errors import OutputError, WorkspaceError

__all__ = ["Workspace", "find", "init", "shipped_root"]

log = logging.getLogger(__name__)

_FOLDERS = ("layers", "plans", "maps")


class Workspace:
    """A landplan workspace rooted at ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    @property
    def layers(self) -> Path:
        """Folder of the shipped layers."""
        return self.root / "layers"

    @property
    def plans(self) -> Path:
        """Folder of the plan files."""
        return self.root / "plans"

    @property
    def maps(self) -> Path:
        """Folder of generated output."""
        return self.root / "maps"

    def plan_path(self, name: str) -> Path:
        """A plan given as a path, or as a name in ``plans/`` (with or without ``.yaml``).

        A name that matches nothing comes back as given, so the plan reader reports it as not found.
        """
        p = Path(name)
        if p.is_file():
            return p
        for cand in (self.plans / name, self.plans / f"{name}.yaml"):
            if os.path.lexists(cand):
                return cand  # a folder, FIFO or device too: the plan reader says what it is, not "not found"
        return p

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"


def _is_workspace(path: Path) -> bool:
    return all((path / name).is_dir() for name in _FOLDERS[:2])


def find(start: Path | str | None = None) -> Workspace:
    """Find the workspace at or above ``start``.

    Parameters
    ----------
    start : path, optional
        Where to start looking (default: the current directory).  If ``start``
        is given explicitly and is not itself a workspace, it is an error.

    Returns
    -------
    Workspace

    Raises
    ------
    WorkspaceError
        If no folder holding ``layers/`` and ``plans/`` is found.
    """
    if start is not None:
        root = Path(start).resolve()
        if not _is_workspace(root):
            raise WorkspaceError(
                f"{root} is not a landplan workspace (it needs layers/ and plans/ folders). "
                f"Create one with `landplan init {start}`."
            )
        return Workspace(root)
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if _is_workspace(candidate):
            return Workspace(candidate)
    raise WorkspaceError(
        f"no landplan workspace at or above {here}. Run the command inside a workspace, "
        "pass --workspace DIR, or create one with `landplan init DIR`."
    )


def shipped_root() -> Path:
    """Folder holding the layers and plans shipped with the package.

    In a wheel they are package data under ``geo/_workspace``; in a source
    checkout they are the checkout's own ``layers/`` and ``plans/``.
    """
    packaged = Path(str(resources.files("geo"))) / "_workspace"
    if _is_workspace(packaged):
        return packaged
    checkout = Path(__file__).resolve().parent.parent
    if _is_workspace(checkout):
        return checkout
    raise WorkspaceError(
        "this installation of landplan ships no layers; reinstall it from a wheel or a source checkout."
    )


def init(target: Path | str) -> Workspace:
    """Create a new workspace at ``target`` with the shipped layers and plans.

    Parameters
    ----------
    target : path
        Folder to create; it may exist but must not already hold ``layers/`` or ``plans/``.

    Returns
    -------
    Workspace

    Raises
    ------
    WorkspaceError
        If ``target`` already holds a workspace.
    OutputError
        If ``target`` is a file, or the folders cannot be written (nothing is left half-made).
    """
    root = Path(target).resolve()
    if root.exists() and not root.is_dir():
        raise OutputError(f"could not write {root}: a file is in the way. Choose a new folder name for the workspace.")
    for name in ("layers", "plans"):
        if (root / name).exists():
            raise OutputError(
                f"could not write {root}: {root / name} already exists and `landplan init` never overwrites. "
                "Choose an empty folder or remove the old workspace first."
            )
    src = shipped_root()
    made = [p for p in (root, root / "maps") if not p.exists()] + [root / "layers", root / "plans"]
    try:
        root.mkdir(parents=True, exist_ok=True)
        for name in ("layers", "plans"):
            shutil.copytree(src / name, root / name, ignore=shutil.ignore_patterns(".*", "__pycache__"))
        (root / "maps").mkdir(exist_ok=True)
    except OSError as exc:
        for folder in reversed(made):  # only what this call created
            shutil.rmtree(folder, ignore_errors=True)
        reason = exc.strerror or str(exc)
        raise OutputError(f"could not write {root}: {reason}. Choose a writable folder for the workspace.") from exc
    log.info("created workspace %s from %s", root, src)
    return Workspace(root)
