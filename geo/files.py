"""Atomic file output: a failed run never leaves a half-written or clobbered file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = ["atomic_write", "replace_all"]


@contextlib.contextmanager
def _temp_in(folder: Path, suffix: str) -> Iterator[Path]:
    fd, name = tempfile.mkstemp(prefix=".landplan-", suffix=suffix, dir=folder)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically.

    The bytes go to a temporary file in the same folder, are flushed to disk and
    then renamed over ``path``.  If anything fails, ``path`` keeps its old
    content and no temporary file is left behind.

    Parameters
    ----------
    path : path
        Destination file; its folder must exist.
    data : bytes
        The complete new content.
    """
    dest = Path(path)
    with _temp_in(dest.parent, dest.suffix + ".tmp") as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)


def replace_all(folder: Path | str, files: Mapping[str, bytes]) -> None:
    """Write several files into ``folder``, all or nothing.

    Every file is first written in full to a temporary name in ``folder``; only
    when all are written are they renamed into place.  A failure before that
    point leaves ``folder`` untouched.

    Parameters
    ----------
    folder : path
        Destination folder (created if missing).
    files : mapping of str to bytes
        File names (relative to ``folder``) and their content.
    """
    dest = Path(folder)
    dest.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, data in files.items():
            fd, tmpname = tempfile.mkstemp(prefix=".landplan-", suffix=".tmp", dir=dest)
            staged.append((Path(tmpname), dest / name))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmpname, 0o644)
        for tmp, final in staged:
            os.replace(tmp, final)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
