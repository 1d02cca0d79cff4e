"""Safe file output: a failed or killed run never leaves a half-written, clobbered or mixed output.

Every writer goes through one helper, :func:`staging`: the new content is written into a temporary folder
(named ``.landplan-*``) beside the destination and renamed into place only when complete.  A single file (a
map, a PDF, a GeoPackage written by GDAL) is renamed over the old one (:func:`staged_file`,
:func:`atomic_write`); a set of files in a folder is renamed in once every one is written (:func:`replace_all`);
a folder output (an export of GeoJSON, GeoParquet or CSV files, the atlas's PNG pages) is swapped in whole
(:func:`staged_folder`, :func:`replace_folder`), so the destination is always either the old folder or the new
one, never a mix of two runs.

A run that is killed leaves its temporary behind.  Each write into a folder first removes the ``.landplan-*``
entries there that have not changed for :data:`STALE_AFTER` seconds: a live write touches its temporary within
seconds (temporaries are made only once the content is ready), so an hour-old one belongs to a run that died,
and two runs writing into the same folder at the same time never remove each other's temporaries.

Every failure surfaces as :class:`~geo.errors.OutputError` reading ``could not write PATH: reason. Fix: ...``.
:func:`check_output` finds the usual ones (a missing folder, a file in the way, a name too long) before any
long work starts.  CSV text goes out through :func:`csv_bytes`, which neutralises spreadsheet formulas.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import logging
import os
import re
import secrets
import shutil
import stat
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import OutputError

__all__ = [
    "FOLDER_MARKER",
    "OUTPUT_SUFFIXES",
    "STALE_AFTER",
    "TEMP_PREFIX",
    "atomic_write",
    "check_output",
    "csv_bytes",
    "describe_failure",
    "guard_csv",
    "is_output_folder",
    "remove_stale",
    "replace_all",
    "replace_folder",
    "staged_file",
    "staged_folder",
    "staging",
    "write_new",
    "writing",
]

log = logging.getLogger(__name__)

#: Every temporary file or folder starts with this.
TEMP_PREFIX = ".landplan-"
#: Seconds after which an untouched temporary counts as left behind by a dead run.
STALE_AFTER = 3600.0
#: A folder holding this file (and only output files) is an earlier output that a new one may replace.
FOLDER_MARKER = "metadata.json"
#: What a folder output holds.
OUTPUT_SUFFIXES = (".csv", ".geojson", ".parquet", ".json")
#: A quoted CSV cell (kept as is) or a row end.
_ROW_END = re.compile(r'("[^"]*(?:""[^"]*)*")|\r\n')
#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EPERM}
_SPACE = "free some disk space, or write to another disk"
_PERMISSION = "choose a folder you can write to, or change its permissions"
_FIXES = {
    errno.ENOSPC: _SPACE,
    errno.EDQUOT: _SPACE,
    errno.EFBIG: "write to a disk with room for larger files",
    errno.EACCES: _PERMISSION,
    errno.EPERM: _PERMISSION,
    errno.EROFS: "the disk is read-only: choose a folder on a writable disk",
    errno.ENOENT: "create the folder first, or choose an existing one",
    errno.ENOTDIR: "part of the path is a file, not a folder: choose another path",
    errno.EISDIR: "a folder has that name: give a file name, or move the folder away",
    errno.ENOTEMPTY: "a folder has that name: choose another name, or move the folder away",
    errno.ENAMETOOLONG: "choose a shorter name",
}
_DEFAULT_FIX = "check the path and the disk, then run again"
#: Names this module gives its temporaries (and that ``tempfile`` gave them before): nothing else is removed.
_TEMP_NAME = re.compile(r"\.landplan-(?:[a-z0-9_]{8}|[0-9a-f]{12})(?:(?:\.[^/]*)?\.tmp)?")


# -- errors ------------------------------------------------------------------------------------------------------
def describe_failure(path: Path | str, exc: BaseException) -> str:
    """``could not write PATH: reason. Fix: ...`` for a failed write.

    One wording for every output, so the command line can report any write failure alike.

    Parameters
    ----------
    path : path
        The output the user asked for (not the temporary that failed).
    exc : exception
        The failure; an :class:`OSError`'s ``strerror`` is used as the reason when it has one.

    Returns
    -------
    str
    """
    code = exc.errno if isinstance(exc, OSError) else None
    reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
    if code is None and "No space left" in reason:
        code = errno.ENOSPC  # GDAL reports a full disk as text
    fix = _FIXES.get(code, _DEFAULT_FIX) if code is not None else _DEFAULT_FIX
    return f"could not write {path}: {reason.rstrip('.')}. Fix: {fix}; the previous output, if any, is unchanged."


@contextlib.contextmanager
def writing(
    path: Path | str,
    error: type[OutputError] = OutputError,
    also: tuple[type[BaseException], ...] = (),
) -> Iterator[None]:
    """Turn any :class:`OSError` (and the exception types in ``also``) raised inside into ``error`` for ``path``.

    Parameters
    ----------
    path : path
        The output being written, named in the message.
    error : type, optional
        The :class:`~geo.errors.OutputError` subclass to raise.
    also : tuple of exception types, optional
        Further failures that mean the write failed (for example a GDAL driver's errors).

    Raises
    ------
    OutputError
        ``could not write PATH: reason. Fix: ...``.
    """
    try:
        yield
    except OutputError as exc:
        if isinstance(exc, error):
            raise
        raise error(str(exc)) from exc
    except Exception as exc:
        if not isinstance(exc, (OSError, *also)):
            raise
        raise error(describe_failure(path, exc)) from exc


def _fail(path: Path | str, reason: str, fix: str) -> OutputError:
    return OutputError(f"could not write {path}: {reason}. Fix: {fix}.")


# -- checking before the work ------------------------------------------------------------------------------------
def _first_existing(p: Path) -> Path:
    while not os.path.lexists(p) and p != p.parent:
        p = p.parent
    return p


def _name_max(folder: Path) -> tuple[int, int]:
    try:
        return os.pathconf(folder, "PC_NAME_MAX"), os.pathconf(folder, "PC_PATH_MAX")
    except (OSError, ValueError):
        return 255, 4096


def is_output_folder(folder: Path) -> bool:
    """Whether ``folder`` may be replaced whole: it is empty, or it is an earlier folder output.

    A folder output replaces the whole folder, so only a folder that holds nothing but what an output
    writes (:data:`FOLDER_MARKER` and files of the :data:`OUTPUT_SUFFIXES`) is taken for one: never a
    workspace, a home folder, or an export folder someone has since saved a project or notes into.
    """
    entries = list(os.scandir(folder))
    if not entries:
        return True
    return any(e.name == FOLDER_MARKER for e in entries) and all(
        e.is_file(follow_symlinks=False) and Path(e.name).suffix in OUTPUT_SUFFIXES for e in entries
    )


def check_output(path: Path | str, *, folder: bool = False, replaceable: Callable[[Path], bool] | None = None) -> None:
    """Fail now, before any long work, if ``path`` cannot be written.

    Checks that the parent folder exists and is a writable folder, that nothing of the wrong kind is in
    the way (a folder where a file is wanted, a file where a folder is wanted, or a folder holding other
    things where a folder output would replace it), and that the name fits the file system.

    Parameters
    ----------
    path : path
        The output file, or folder when ``folder``.
    folder : bool, optional
        Whether the output is a folder, replaced whole.
    replaceable : callable, optional
        Says whether an existing folder at ``path`` may be replaced (default :func:`is_output_folder`).

    Raises
    ------
    OutputError
        Naming the path, the reason and the fix.
    """
    try:
        _check(Path(path), folder, replaceable or is_output_folder)
    except (OSError, ValueError) as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(describe_failure(path, exc)) from exc


def _check(path: Path, folder: bool, replaceable: Callable[[Path], bool]) -> None:
    target = Path(os.path.abspath(path))
    parent = target.parent
    if target == parent:
        raise _fail(path, "it is the root of the file system", "choose a file or folder inside it")
    if not parent.is_dir():
        there = _first_existing(parent)
        if os.path.lexists(there) and not there.is_dir():
            raise _fail(path, f"{there} is a file, not a folder", "choose a path inside a folder")
        raise _fail(
            path, f"the folder {parent} does not exist", f"create it first (mkdir -p {parent}) or choose another"
        )
    name_max, path_max = _name_max(parent)
    if len(os.fsencode(target.name)) > name_max:
        raise _fail(
            path,
            f"the name is {len(os.fsencode(target.name))} bytes, over the {name_max} allowed",
            "use a shorter name",
        )
    if len(os.fsencode(str(target))) >= path_max:
        raise _fail(path, f"the path is over the {path_max} bytes allowed", "use a shorter path")
    if target.is_dir() and not folder:
        raise _fail(path, "it is a folder", "give a file name, or move the folder away")
    if not folder and target.exists() and not target.is_file():
        # a device or FIFO would be replaced by a regular file on rename (as root, even /dev/null)
        raise _fail(path, "it is not a regular file (a device, FIFO or socket)", "give the name of a file to write")
    if folder and os.path.lexists(target) and not target.is_dir():
        raise _fail(path, "a file has that name and a folder is wanted", "choose another name, or move the file away")
    if folder and target.is_dir() and not replaceable(target):
        raise _fail(
            path,
            "the folder holds other things and would be replaced whole",
            "choose a new or empty folder, or the folder of an earlier export",
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _fail(path, f"the folder {parent} is not writable", _PERMISSION)


# -- temporaries -------------------------------------------------------------------------------------------------
def _now() -> float:
    return time.time()


def remove_stale(folder: Path | str, older_than: float = STALE_AFTER) -> int:
    """Remove the ``.landplan-*`` temporaries in ``folder`` left by runs that died.

    An entry counts as left behind when neither its content nor its metadata changed for ``older_than``
    seconds (the later of its modification and change times: a rename refreshes the change time, so a
    folder a live run has just moved aside is never taken).  Failures are logged, not raised: cleaning up
    must never stop a write.

    Parameters
    ----------
    folder : path
        The folder to clean (not recursive).
    older_than : float, optional
        Age in seconds.

    Returns
    -------
    int
        How many entries were removed.
    """
    removed = 0
    cutoff = _now() - older_than
    try:
        entries = [e for e in os.scandir(folder) if _TEMP_NAME.fullmatch(e.name)]
    except OSError:
        return 0
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
            if max(st.st_mtime, st.st_ctime) >= cutoff:
                continue
            if stat.S_ISDIR(st.st_mode):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed += 1
            log.info("removed %s, left behind by an interrupted run", entry.path)
        except OSError as exc:
            log.debug("could not remove %s: %s", entry.path, exc)
    return removed


def _temp_path(folder: Path, suffix: str = "") -> Path:
    return folder / f"{TEMP_PREFIX}{secrets.token_hex(6)}{suffix}"


def _make_temp_dir(folder: Path) -> Path:
    for _ in range(100):
        tmp = _temp_path(folder)
        try:
            os.mkdir(tmp)  # honours the umask, as a folder made by hand would
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def write_new(path: Path, data: bytes) -> None:
    """Create the file ``path`` (it must not exist) holding ``data``, flushed to disk.

    Meant for filling a temporary (see :func:`staged_folder`).  Written with ``os.write``, retrying short
    writes, so a full disk surfaces as the ``OSError`` it is.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o644)  # as a file saved by hand, whatever the umask
    finally:
        os.close(fd)


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


# -- the one way to write ---------------------------------------------------------------------------------------
@contextlib.contextmanager
def staging(
    dest: Path | str,
    where: Path | str | None = None,
    error: type[OutputError] = OutputError,
    also: tuple[type[BaseException], ...] = (),
) -> Iterator[Path]:
    """Yield a new, empty temporary folder to build the output ``dest`` in; remove it however the block ends.

    Every writer of this module stages through here, so they all clean up alike, sweep the temporaries of
    killed runs alike and fail alike.  Moving the finished content into place is the caller's last step
    inside the block: the folder lies beside ``dest`` (in ``where``), so that move is a rename.

    Parameters
    ----------
    dest : path
        The output being written: named in the error message.
    where : path, optional
        The folder to make the temporary in (default: ``dest``'s folder).  It is swept of the temporaries of
        killed runs first (see :func:`remove_stale`).
    error : type, optional
        The :class:`~geo.errors.OutputError` subclass raised on failure.
    also : tuple of exception types, optional
        Further failures inside the block that mean the write failed (for example a GDAL driver's errors).

    Yields
    ------
    pathlib.Path
        The temporary folder.

    Raises
    ------
    OutputError
        When the output cannot be written (``dest`` is then left as it was).
    """
    target = Path(dest)
    folder = Path(where) if where is not None else target.parent
    with writing(target, error, also):
        remove_stale(folder)
        tmp = _make_temp_dir(folder)
        try:
            yield tmp
        finally:
            _discard(tmp)


def _seal(path: Path) -> None:
    """Flush a staged file to disk and give it the mode of a file saved by hand, before it is renamed in."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        os.fsync(fd)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o644)
    finally:
        os.close(fd)


# -- single files ------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def staged_file(
    path: Path | str, error: type[OutputError] = OutputError, also: tuple[type[BaseException], ...] = ()
) -> Iterator[Path]:
    """Yield a path to write ``path``'s new content to (by any means, e.g. a GDAL driver); then rename it in.

    The yielded path lies in a temporary folder beside ``path`` (see :func:`staging`), so whatever side files
    the writer makes (journals, indexes) go with it.  When the block ends normally the file is flushed to disk
    and replaces ``path``; when it raises, ``path`` is left as it was and the temporary folder is removed.

    Parameters
    ----------
    path : path
        The destination file; its folder must exist.
    error : type, optional
        The :class:`~geo.errors.OutputError` subclass raised on failure.
    also : tuple of exception types, optional
        Further failures of the writer that mean the write failed.

    Yields
    ------
    pathlib.Path
        Where to write.  Its name is short and keeps ``path``'s suffix, so it fits wherever ``path`` does.

    Raises
    ------
    OutputError
        When the file cannot be written.
    """
    dest = Path(path)
    with staging(dest, dest.parent, error, also) as tmp:
        staged = tmp / f"new{dest.suffix[:16]}"
        yield staged
        _seal(staged)
        os.replace(staged, dest)


def atomic_write(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically.

    The bytes go to a temporary file beside ``path`` (see :func:`staged_file`), are flushed to disk and then
    renamed over ``path``.  If anything fails, ``path`` keeps its old content and no temporary is left behind.

    Parameters
    ----------
    path : path
        Destination file; its folder must exist.
    data : bytes
        The complete new content.

    Raises
    ------
    OutputError
        When the file cannot be written (``path`` is left as it was).
    """
    with staged_file(path) as tmp:
        write_new(tmp, data)


def replace_all(folder: Path | str, files: Mapping[str, bytes]) -> None:
    """Write several files into ``folder``, all or nothing, leaving its other files alone.

    Every file is first written in full into a temporary folder inside ``folder``; only when all are written
    are they renamed into place.  A failure before that point leaves ``folder`` untouched.  (To replace a
    whole folder output, use :func:`replace_folder`.)

    Parameters
    ----------
    folder : path
        Destination folder (created if missing).
    files : mapping of str to bytes
        File names (relative to ``folder``) and their content.

    Raises
    ------
    OutputError
        When a file cannot be written.
    """
    dest = Path(folder)
    with writing(dest):
        dest.mkdir(parents=True, exist_ok=True)
    with staging(dest, dest) as tmp:
        staged = [(tmp / f"{k}.new", dest / name) for k, name in enumerate(files)]
        for (new, _), data in zip(staged, files.values(), strict=True):
            write_new(new, data)
        for new, final in staged:
            os.replace(new, final)


# -- whole folders -----------------------------------------------------------------------------------------------
@functools.cache
def _renameat2() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError, TypeError):
        return None


def _exchange(a: Path, b: Path) -> bool:
    """Swap ``a`` and ``b`` in one step (Linux ``renameat2``); ``False`` where the system cannot."""
    fn = _renameat2()
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in _UNSUPPORTED:
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(new: Path, dest: Path) -> None:
    """Put folder ``new`` at ``dest``; the old ``dest`` (if any) is removed afterwards."""
    if not os.path.lexists(dest):
        os.rename(new, dest)
        return
    if _exchange(new, dest):
        old = new
    else:  # two renames: for an instant there is no ``dest``; the old folder is kept until the new one is in
        old = _temp_path(dest.parent)
        os.rename(dest, old)
        try:
            os.rename(new, dest)
        except OSError:
            os.rename(old, dest)
            raise
    _discard(old)


@contextlib.contextmanager
def staged_folder(
    folder: Path | str, replaceable: Callable[[Path], bool] | None = None, error: type[OutputError] = OutputError
) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``folder``; on success it replaces ``folder`` whole.

    Fill the yielded folder inside the ``with`` block.  When the block ends normally the folder is swapped
    in (atomically where the system can exchange two names, Linux; otherwise with two renames), so
    ``folder`` holds exactly what this run wrote and nothing of an earlier one.  When the block raises,
    the temporary is removed and ``folder`` is left as it was.

    Parameters
    ----------
    folder : path
        The destination folder; it must not exist, be empty, or be an earlier output (see ``replaceable``).
    replaceable : callable, optional
        Says whether an existing folder may be replaced (default :func:`is_output_folder`).
    error : type, optional
        The :class:`~geo.errors.OutputError` subclass raised on failure.

    Yields
    ------
    pathlib.Path
        The temporary folder to fill.

    Raises
    ------
    OutputError
        When the folder cannot be written or may not be replaced.
    """
    dest = Path(folder)
    if dest.is_symlink():
        dest = dest.resolve()  # replace what the link points at, and keep the link
    try:
        check_output(dest, folder=True, replaceable=replaceable)
    except OutputError as exc:
        raise error(str(exc)) from exc
    with staging(dest, dest.parent, error) as tmp:
        yield tmp
        _swap_in(tmp, dest)


def replace_folder(
    folder: Path | str, files: Mapping[str, bytes], replaceable: Callable[[Path], bool] | None = None
) -> None:
    """Replace the folder ``folder`` by one holding exactly ``files``, all or nothing.

    Parameters
    ----------
    folder : path
        Destination folder: missing, empty, or an earlier output (see :func:`is_output_folder`).
    files : mapping of str to bytes
        Plain file names (no folders) and their content.
    replaceable : callable, optional
        Says whether an existing folder may be replaced (default :func:`is_output_folder`).

    Raises
    ------
    OutputError
        When the folder cannot be written, or holds other things; ``folder`` is then left as it was.
    """
    for name in files:
        if not name or name in (".", "..") or "/" in name or os.sep in name or "\0" in name:
            raise ValueError(f"not a plain file name: {name!r}")
    with staged_folder(folder, replaceable) as tmp:
        for name, data in files.items():
            write_new(tmp / name, data)


# -- CSV ---------------------------------------------------------------------------------------------------------
def guard_csv(value: Any) -> Any:
    """Neutralise a spreadsheet formula: text starting with ``= + - @``, tab or CR gets a leading quote.

    Only text is touched: a negative number stays a number.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _is_text_column(s: pd.Series) -> bool:
    dt = s.dtype
    if isinstance(dt, pd.CategoricalDtype):
        return True
    return not (
        pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_datetime64_any_dtype(dt) or pd.api.types.is_bool_dtype(dt)
    )


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The CSV every output writes: UTF-8, LF line ends, no index, formulas neutralised.

    Guarding goes by value, not by column type, so it holds whatever the pandas version calls its text
    columns (``object``, ``string``, ``str``, categorical): every text cell and every column name that
    would start a formula gets a leading ``'`` (see :func:`guard_csv`).  Numbers are written as numbers.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.

    Returns
    -------
    bytes
    """
    columns: list[pd.Series] = []
    for k in range(df.shape[1]):
        col = df.iloc[:, k].reset_index(drop=True)
        if _is_text_column(col):
            # built as object values: pandas would re-infer text (and reject what UTF-8 cannot hold)
            col = pd.Series([guard_csv(v) for v in col.astype(object)], dtype=object)
        columns.append(col)
    safe = pd.concat(columns, axis=1, keys=range(len(columns))) if columns else df.reset_index(drop=True)
    safe.columns = pd.Index([guard_csv(c) for c in df.columns], dtype=object)
    # "\r\n" makes the writer quote every cell holding a CR or an LF (with "\n" alone, a bare CR would end
    # the row for many readers, and what follows it would start a new, unguarded cell); rows then end in "\n".
    text = safe.to_csv(index=False, lineterminator="\r\n")
    return _ROW_END.sub(lambda m: m.group(1) or "\n", text).encode("utf-8", "replace")
