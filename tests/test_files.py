"""Safe output: atomic files, whole-folder swaps, stale temporaries, write errors, the CSV writer."""

import csv
import errno
import io
import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from geo import files
from geo.errors import OutputError

FORMULAS = ["=1+1", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx", "\r\n=1", '=HYPERLINK("http://x")', "-", "=\n"]


def _entries(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


# -- atomic files ------------------------------------------------------------------------------------------------
def test_atomic_write_replaces_content(tmp_path: Path):
    p = tmp_path / "out.txt"
    p.write_bytes(b"old")
    files.atomic_write(p, b"new")
    assert p.read_bytes() == b"new"
    assert _entries(tmp_path) == ["out.txt"]


def test_failed_atomic_write_keeps_old_file_and_leaves_no_temp(tmp_path: Path, monkeypatch):
    p = tmp_path / "out.txt"
    p.write_bytes(b"old")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        files.atomic_write(p, b"new")
    assert p.read_bytes() == b"old"
    assert _entries(tmp_path) == ["out.txt"]


def test_replace_all_is_all_or_nothing(tmp_path: Path, monkeypatch):
    (tmp_path / "a.txt").write_bytes(b"A0")
    (tmp_path / "b.txt").write_bytes(b"B0")
    real_fsync = os.fsync
    calls = {"n": 0}

    def fsync_fails_on_second(fd):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("write failed")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_fails_on_second)
    with pytest.raises(OSError, match="write failed"):
        files.replace_all(tmp_path, {"a.txt": b"A1", "b.txt": b"B1"})
    assert (tmp_path / "a.txt").read_bytes() == b"A0"
    assert (tmp_path / "b.txt").read_bytes() == b"B0"
    assert _entries(tmp_path) == ["a.txt", "b.txt"]


def test_replace_all_writes_every_file(tmp_path: Path):
    files.replace_all(tmp_path / "new", {"a.txt": b"A", "b.txt": b"B"})
    assert (tmp_path / "new" / "a.txt").read_bytes() == b"A"
    assert (tmp_path / "new" / "b.txt").read_bytes() == b"B"


# -- write errors become OutputError -----------------------------------------------------------------------------
def _disk_full(monkeypatch, after: int = 0) -> None:
    """Make ``os.write`` write one byte at a time (short writes), then fail with ENOSPC after ``after`` calls."""
    real = os.write
    calls = {"n": 0}

    def write(fd, data):
        calls["n"] += 1
        if calls["n"] > after:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, bytes(data[:1]))

    monkeypatch.setattr(os, "write", write)


def _assert_output_error(exc: pytest.ExceptionInfo[OutputError], path: Path, reason: str) -> None:
    msg = str(exc.value)
    assert msg.startswith(f"could not write {path}: "), msg
    assert reason in msg and "Fix: " in msg, msg


@pytest.mark.parametrize("after", [0, 1, 5])
def test_disk_full_in_atomic_write_is_an_output_error(tmp_path: Path, monkeypatch, after):
    p = tmp_path / "out.csv"
    p.write_bytes(b"old")
    _disk_full(monkeypatch, after)
    with pytest.raises(OutputError) as exc:
        files.atomic_write(p, b"x" * 10 + b"y" * (1 << 20))
    _assert_output_error(exc, p, "No space left on device")
    assert "free some disk space" in str(exc.value)
    assert p.read_bytes() == b"old"
    assert _entries(tmp_path) == ["out.csv"]


def test_disk_full_in_replace_all_and_replace_folder(tmp_path: Path, monkeypatch):
    folder = tmp_path / "out"
    files.replace_folder(folder, {"metadata.json": b"{}", "a.csv": b"A0"})
    _disk_full(monkeypatch, after=1)
    with pytest.raises(OutputError) as exc:
        files.replace_all(folder, {"a.csv": b"A1", "b.csv": b"B1"})
    _assert_output_error(exc, folder, "No space left on device")
    with pytest.raises(OutputError) as exc:
        files.replace_folder(folder, {"metadata.json": b"{1}", "b.csv": b"B1"})
    _assert_output_error(exc, folder, "No space left on device")
    assert _entries(folder) == ["a.csv", "metadata.json"]
    assert (folder / "a.csv").read_bytes() == b"A0"
    assert _entries(tmp_path) == ["out"]


def test_atomic_write_errors_name_the_path_and_a_fix(tmp_path: Path):
    (tmp_path / "plain").write_text("x")
    (tmp_path / "folder").mkdir()
    cases = {
        tmp_path / "missing" / "out.csv": "No such file or directory",
        tmp_path / "plain" / "out.csv": "Not a directory",
        tmp_path / "folder": "Is a directory",
        tmp_path / ("n" * 300 + ".csv"): "File name too long",
    }
    for path, reason in cases.items():
        with pytest.raises(OutputError) as exc:
            files.atomic_write(path, b"data")
        _assert_output_error(exc, path, reason)
    assert _entries(tmp_path) == ["folder", "plain"]


# -- checking an output before the work --------------------------------------------------------------------------
def _check_cases(tmp_path: Path) -> list[tuple[Path, bool, str]]:
    (tmp_path / "plain").write_text("x")
    (tmp_path / "folder").mkdir()
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    (tmp_path / "busy-export").mkdir()
    (tmp_path / "busy-export" / "metadata.json").write_text("{}")
    (tmp_path / "busy-export" / "sub").mkdir()
    return [
        (tmp_path / "missing" / "out.gpkg", False, f"the folder {tmp_path / 'missing'} does not exist"),
        (tmp_path / "a" / "b" / "c", True, "does not exist"),
        (tmp_path / "plain" / "out.gpkg", False, f"{tmp_path / 'plain'} is a file, not a folder"),
        (tmp_path / "plain" / "deeper" / "out", True, "is a file, not a folder"),
        (tmp_path / "folder", False, "it is a folder"),
        (tmp_path / "plain", True, "a file has that name and a folder is wanted"),
        (tmp_path / "busy", True, "holds other things"),
        (tmp_path / "busy-export", True, "holds other things"),
        (tmp_path / ("n" * 256), False, "over the 255 allowed"),
        (tmp_path / ("é" * 200), True, "the name is 400 bytes"),
        (Path("/"), True, "root of the file system"),
    ]


def test_check_output_refuses_each_unwritable_path(tmp_path: Path):
    for path, folder, reason in _check_cases(tmp_path):
        with pytest.raises(OutputError) as exc:
            files.check_output(path, folder=folder)
        _assert_output_error(exc, path, reason)


def test_check_output_accepts_writable_paths(tmp_path: Path):
    (tmp_path / "old.gpkg").write_bytes(b"x")
    (tmp_path / "empty").mkdir()
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "metadata.json").write_text("{}")
    (tmp_path / "export" / "zones.csv").write_text("a")
    for path, folder in [
        (tmp_path / "new.gpkg", False),
        (tmp_path / "old.gpkg", False),
        (tmp_path / "new", True),
        (tmp_path / "empty", True),
        (tmp_path / "export", True),
        (tmp_path / ("n" * 255), False),
    ]:
        files.check_output(path, folder=folder)


def test_check_output_refuses_a_read_only_folder(tmp_path: Path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as root: a read-only folder is still writable here (other cases cover the rest)")
        with pytest.raises(OutputError) as exc:
            files.check_output(ro / "out.pdf")
        _assert_output_error(exc, ro / "out.pdf", "is not writable")
    finally:
        ro.chmod(0o755)


def test_a_folder_the_user_may_not_write_is_refused(tmp_path: Path, monkeypatch):
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == tmp_path else real_access(p, mode))
    with pytest.raises(OutputError) as exc:
        files.check_output(tmp_path / "out.pdf")
    _assert_output_error(exc, tmp_path / "out.pdf", f"the folder {tmp_path} is not writable")


@pytest.mark.parametrize(
    ("code", "fix"),
    [
        (errno.EACCES, "choose a folder you can write to"),
        (errno.EPERM, "choose a folder you can write to"),
        (errno.EROFS, "the disk is read-only"),
        (errno.EDQUOT, "free some disk space"),
        (errno.EIO, "check the path and the disk"),
    ],
)
def test_each_refusal_of_the_system_is_an_output_error_with_its_fix(tmp_path: Path, monkeypatch, code, fix):
    p = tmp_path / "out.csv"

    real_open = os.open

    def refuse(path, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise OSError(code, os.strerror(code))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(OutputError) as exc:
        files.atomic_write(p, b"x")
    _assert_output_error(exc, p, os.strerror(code))
    assert fix in str(exc.value)
    with pytest.raises(OutputError) as exc:
        files.replace_folder(tmp_path / "out", {"metadata.json": b"x"})
    _assert_output_error(exc, tmp_path / "out", os.strerror(code))
    assert _entries(tmp_path) == []


def test_check_output_reports_a_custom_refusal(tmp_path: Path):
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "p1.png").write_bytes(b"")
    files.check_output(tmp_path / "pages", folder=True, replaceable=lambda p: True)
    with pytest.raises(OutputError, match="holds other things"):
        files.check_output(tmp_path / "pages", folder=True, replaceable=lambda p: False)


# -- whole folders -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_replace_folder_leaves_exactly_the_new_files(tmp_path: Path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(files, "_renameat2", lambda: None)
    out = tmp_path / "out"
    files.replace_folder(out, {"metadata.json": b"1", "a.csv": b"A", "b.csv": b"B", "c.csv": b"C"})
    files.replace_folder(out, {"metadata.json": b"2", "a.csv": b"A2"})
    assert _entries(out) == ["a.csv", "metadata.json"]
    assert (out / "a.csv").read_bytes() == b"A2" and (out / "metadata.json").read_bytes() == b"2"
    assert _entries(tmp_path) == ["out"]


def test_replace_folder_through_a_link_keeps_the_link(tmp_path: Path):
    real = tmp_path / "real"
    files.replace_folder(real, {"metadata.json": b"1", "old.csv": b"o"})
    link = tmp_path / "link"
    link.symlink_to(real)
    files.replace_folder(link, {"metadata.json": b"2"})
    assert link.is_symlink() and _entries(real) == ["metadata.json"]
    assert _entries(tmp_path) == ["link", "real"]


@pytest.mark.parametrize("fail_at", [1, 3])
def test_a_failed_folder_write_leaves_the_old_folder(tmp_path: Path, monkeypatch, fail_at):
    out = tmp_path / "out"
    files.replace_folder(out, {"metadata.json": b"1", "a.csv": b"A"})
    real = files.write_new
    calls = {"n": 0}

    def flaky(path, data):
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise KeyboardInterrupt  # interrupted mid-write: the folder must stay the old one
        real(path, data)

    monkeypatch.setattr(files, "write_new", flaky)
    with pytest.raises(KeyboardInterrupt):
        files.replace_folder(out, {"metadata.json": b"2", "b.csv": b"B", "c.csv": b"C"})
    assert _entries(out) == ["a.csv", "metadata.json"]
    assert (out / "metadata.json").read_bytes() == b"1"
    assert _entries(tmp_path) == ["out"]


@pytest.mark.parametrize(
    "content",
    [
        {"notes.txt": "mine"},
        {"metadata.json": "{}", "sub/": ""},
        {"a.csv": "x"},
        {"metadata.json": "{}", "zones.csv": "x", "project.qgz": "saved since"},
    ],
)
def test_replace_folder_never_replaces_a_folder_of_other_things(tmp_path: Path, content):
    out = tmp_path / "docs"
    out.mkdir()
    for name, text in content.items():
        if name.endswith("/"):
            (out / name).mkdir()
        else:
            (out / name).write_text(text)
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(OutputError, match="holds other things"):
        files.replace_folder(out, {"metadata.json": b"{}"})
    assert sorted(p.name for p in out.iterdir()) == before


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "../x"])
def test_replace_folder_takes_plain_names_only(tmp_path: Path, name):
    with pytest.raises(ValueError, match="plain file name"):
        files.replace_folder(tmp_path / "out", {name: b"x"})
    assert not (tmp_path / "out").exists()


# -- stale temporaries -------------------------------------------------------------------------------------------
def _leftovers(folder: Path) -> dict[str, bool]:
    """Temporaries of killed runs (True: ours, to be removed once old) and look-alikes that are not ours."""
    made = {
        ".landplan-0123456789ab": True,  # a staged folder
        ".landplan-0123456789ab.tmp": True,  # a file of replace_all
        ".landplan-a1b2c3d4e5f6.csv.tmp": True,  # an atomic write's file
        ".landplan-abc_12xy": True,  # a folder named by tempfile (earlier versions)
        ".landplan-k2j4h5g6.gpkg.tmp": True,
        ".landplan-notes": False,
        ".landplan-settings.yaml": False,
        ".landplan-config": False,  # a folder, but not a name this module gives
        "landplan-0123456789ab": False,
        ".landplanx-0123456789ab": False,
    }
    for name in made:
        if not name.endswith((".tmp", ".yaml")):
            (folder / name).mkdir()
            (folder / name / "zones.csv").write_text("partial")
        else:
            (folder / name).write_text("partial")
    return made


def test_stale_temporaries_are_removed_and_fresh_ones_kept(tmp_path: Path, monkeypatch):
    made = _leftovers(tmp_path)
    assert files.remove_stale(tmp_path) == 0  # a concurrent run's temporaries are fresh: kept
    assert _entries(tmp_path) == sorted(made)
    real_now = files._now
    monkeypatch.setattr(files, "_now", lambda: real_now() + files.STALE_AFTER + 60)
    assert files.remove_stale(tmp_path) == sum(made.values())
    assert _entries(tmp_path) == sorted(n for n, ours in made.items() if not ours)


@pytest.mark.parametrize("writer", ["atomic_write", "replace_all", "replace_folder", "staged_file"])
def test_every_write_sweeps_the_folder_it_writes_into(tmp_path: Path, monkeypatch, writer):
    made = _leftovers(tmp_path)
    real_now = files._now
    monkeypatch.setattr(files, "_now", lambda: real_now() + 2 * files.STALE_AFTER)
    if writer == "atomic_write":
        files.atomic_write(tmp_path / "out.csv", b"x")
    elif writer == "replace_all":
        files.replace_all(tmp_path, {"out.csv": b"x"})
    elif writer == "replace_folder":
        files.replace_folder(tmp_path / "out.csv", {"metadata.json": b"x"})
    else:
        with files.staged_file(tmp_path / "out.csv") as p:
            p.write_bytes(b"x")
    assert _entries(tmp_path) == sorted([*(n for n, ours in made.items() if not ours), "out.csv"])


def test_a_killed_write_is_cleaned_by_a_later_one(tmp_path: Path, monkeypatch):
    out = tmp_path / "out"
    files.replace_folder(out, {"metadata.json": b"1"})
    with monkeypatch.context() as m:  # a kill: no clean-up code runs
        m.setattr(files, "_discard", lambda p: None)
        m.setattr(files, "_swap_in", lambda new, dest: (_ for _ in ()).throw(SystemExit(137)))
        with pytest.raises(SystemExit):
            files.replace_folder(out, {"metadata.json": b"2"})
    left = [n for n in _entries(tmp_path) if n.startswith(".landplan-")]
    assert len(left) == 1 and (out / "metadata.json").read_bytes() == b"1"
    files.replace_folder(out, {"metadata.json": b"3"})
    assert len([n for n in _entries(tmp_path) if n.startswith(".landplan-")]) == 1  # younger than an hour: kept
    real_now = files._now
    monkeypatch.setattr(files, "_now", lambda: real_now() + files.STALE_AFTER + 1)
    files.replace_folder(out, {"metadata.json": b"4"})
    assert _entries(tmp_path) == ["out"] and (out / "metadata.json").read_bytes() == b"4"


# -- CSV ---------------------------------------------------------------------------------------------------------
def _cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.mark.parametrize("dtype", ["object", "string", "string[pyarrow]", "str", "category"])
def test_csv_bytes_guards_text_of_every_dtype(dtype):
    df = pd.DataFrame({"text": pd.Series([*FORMULAS, "plain", None], dtype=dtype), "n": range(len(FORMULAS) + 2)})
    rows = _cells(files.csv_bytes(df))
    assert rows[0] == ["text", "n"]
    got = [r[0] for r in rows[1:]]
    assert got == ["'" + f for f in FORMULAS] + ["plain", ""]


def test_csv_bytes_keeps_numbers_numbers_and_guards_column_names():
    df = pd.DataFrame(
        {
            "=cmd": [-3, 4],
            "-delta": [-1.5, 2.25],
            "Int": pd.array([-7, None], dtype="Int64"),
            "mixed": pd.Series([-2, "-2"], dtype=object),
            "@x": [True, False],
        }
    )
    data = files.csv_bytes(df)
    rows = _cells(data)
    assert rows[0] == ["'=cmd", "'-delta", "Int", "mixed", "'@x"]
    assert rows[1] == ["-3", "-1.5", "-7", "-2", "True"]
    assert rows[2] == ["4", "2.25", "", "'-2", "False"]
    assert data.endswith(b"\n") and b"\r\n" not in data


@pytest.mark.parametrize("value", ["x\r=1+1", "a\r\n@SUM(1)", "b\n+1", 'c"\r-1', "d,\r=2"])
def test_csv_bytes_never_lets_a_line_break_start_an_unguarded_cell(value):
    data = files.csv_bytes(pd.DataFrame({"name": [value, "next"], "n": [1, 2]}))
    assert _cells(data) == [["name", "n"], [value, "1"], ["next", "2"]]
    assert data.count(b"\n") == 3 + value.count("\n")  # rows end in LF only


def test_csv_bytes_survives_text_that_utf8_cannot_hold():
    df = pd.DataFrame({"name": pd.Series(["ok", "x\ud800y"], dtype=object)})
    assert _cells(files.csv_bytes(df))[2] == ["x?y"]


@pytest.mark.parametrize("value", FORMULAS)
def test_guard_csv_quotes_formulas_only(value):
    assert files.guard_csv(value) == "'" + value
    assert files.guard_csv("a" + value) == "a" + value
    assert files.guard_csv(-3) == -3 and files.guard_csv(-0.5) == -0.5 and files.guard_csv(None) is None


# -- one staging helper for every writer (issue 9) ---------------------------------------------------------------
def _write_each(kind: str, tmp_path: Path) -> Path:
    """Write an output of ``kind`` into ``tmp_path``; return the destination."""
    if kind == "atomic_write":
        files.atomic_write(tmp_path / "out.csv", b"x")
        return tmp_path / "out.csv"
    if kind == "replace_all":
        files.replace_all(tmp_path / "some", {"a.csv": b"a", "b.csv": b"b"})
        return tmp_path / "some"
    if kind == "replace_folder":
        files.replace_folder(tmp_path / "export", {"metadata.json": b"{}"})
        return tmp_path / "export"
    if kind == "staged_folder":
        with files.staged_folder(tmp_path / "pages") as folder:
            (folder / "p1.png").write_bytes(b"png")
        return tmp_path / "pages"
    with files.staged_file(tmp_path / "out.gpkg") as p:
        p.write_bytes(b"gpkg")
    return tmp_path / "out.gpkg"


WRITERS = ["atomic_write", "replace_all", "replace_folder", "staged_folder", "staged_file"]


@pytest.mark.parametrize("kind", WRITERS)
def test_every_writer_stages_through_the_one_helper(tmp_path: Path, monkeypatch, kind):
    calls: list[Path] = []
    real = files.staging

    def spy(dest, *args, **kwargs):
        calls.append(Path(dest))
        return real(dest, *args, **kwargs)

    monkeypatch.setattr(files, "staging", spy)
    dest = _write_each(kind, tmp_path)
    assert calls == [dest]
    assert _entries(tmp_path) == [dest.name]


def _watch_syncs(monkeypatch) -> list[str]:
    """Record the path of every file flushed to disk, and of every file renamed into place (as ``->path``)."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to name the file descriptors")
    seen: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        seen.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def replace(src, dst):
        seen.append(f"->{src}")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return seen


@pytest.mark.parametrize("writer", ["open", "os.open", "two-files"])
def test_a_staged_file_is_on_disk_before_it_is_renamed_in(tmp_path: Path, monkeypatch, writer):
    seen = _watch_syncs(monkeypatch)
    with files.staged_file(tmp_path / "plan.gpkg") as p:
        if writer == "os.open":
            fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, b"data")
            os.close(fd)
        else:
            p.write_bytes(b"data")
        if writer == "two-files":
            p.with_name(p.name + "-journal").write_bytes(b"side file")  # goes with the temporary
    renamed = [s[2:] for s in seen if s.startswith("->")]
    assert len(renamed) == 1 and seen.index(renamed[0]) < seen.index("->" + renamed[0])
    assert (tmp_path / "plan.gpkg").read_bytes() == b"data"
    assert _entries(tmp_path) == ["plan.gpkg"]


@pytest.mark.parametrize("umask", [0o077, 0o027, 0o022])
@pytest.mark.parametrize("kind", ["atomic_write", "staged_file", "replace_all"])
def test_every_written_file_has_the_mode_of_a_file_saved_by_hand(tmp_path: Path, kind, umask):
    old = os.umask(umask)
    try:
        dest = _write_each(kind, tmp_path)
    finally:
        os.umask(old)
    written = sorted(dest.iterdir()) if dest.is_dir() else [dest]
    assert [oct(p.stat().st_mode & 0o777) for p in written] == [oct(0o644)] * len(written)


class DriverError(Exception):
    """A writer's own failure (as a GDAL driver raises)."""


@pytest.mark.parametrize(
    ("failure", "raised"),
    [
        (OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), OutputError),
        (DriverError("failed to write feature"), OutputError),
        (KeyboardInterrupt(), KeyboardInterrupt),
        (ValueError("a bug"), ValueError),
    ],
)
def test_staging_cleans_up_however_the_block_ends(tmp_path: Path, failure, raised):
    dest = tmp_path / "out.gpkg"
    dest.write_bytes(b"old")

    def half_written() -> None:
        with files.staging(dest, also=(DriverError,)) as tmp:
            (tmp / "half").write_bytes(b"half written")
            raise failure

    with pytest.raises(raised) as exc:
        half_written()
    if raised is OutputError:
        _assert_output_error(exc, dest, str(failure.args[-1]))
    assert _entries(tmp_path) == ["out.gpkg"] and dest.read_bytes() == b"old"


def test_staging_makes_its_temporary_where_it_is_told_and_sweeps_there(tmp_path: Path, monkeypatch):
    inner = tmp_path / "inner"
    inner.mkdir()
    made_inner, made_outer = _leftovers(inner), _leftovers(tmp_path)
    real_now = files._now
    monkeypatch.setattr(files, "_now", lambda: real_now() + 2 * files.STALE_AFTER)
    with files.staging(tmp_path / "out", inner) as tmp:
        assert tmp.parent == inner and tmp.name.startswith(files.TEMP_PREFIX)
    assert _entries(inner) == sorted(n for n, ours in made_inner.items() if not ours)
    assert _entries(tmp_path) == sorted([*made_outer, "inner"])  # no temporary was made there: left alone


@pytest.mark.parametrize("name", ["n" * 255, "a." + "x" * 250, "short.csv"])
def test_a_staged_name_fits_wherever_the_destination_does(tmp_path: Path, name):
    with files.staged_file(tmp_path / name) as p:
        assert len(os.fsencode(p.name)) <= 3 + 16
        p.write_bytes(b"x")
    assert (tmp_path / name).read_bytes() == b"x"


@pytest.mark.parametrize("kind", ["fifo", "char-device", "link-to-device"])
def test_check_output_refuses_what_is_not_a_regular_file(tmp_path, kind):
    target = tmp_path / "out.html"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "char-device":
        os.mknod(target, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null of our own
    else:
        target.symlink_to("/dev/null")
    with pytest.raises(OutputError, match="not a regular file"):
        files.check_output(target)
    assert not target.is_file()  # still what it was: nothing replaced it


@pytest.mark.parametrize("kind", ["char-device", "fifo"])
def test_commands_refuse_to_replace_a_device_before_any_work(tmp_path, kind, capsys):
    """A device node of the test's own (never the system's /dev/null) must survive every command's -o."""
    from geo import cli

    device = tmp_path / "null"
    if kind == "fifo":
        os.mkfifo(device)
    else:
        os.mknod(device, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    before = os.stat(device)
    root = str(Path(__file__).resolve().parent.parent)
    for argv in (
        ["plan", "schema", "-o"],
        ["map", "-o"],
        ["plan", "metrics", "reference", "-o"],
        ["atlas", "reference", "-o"],
    ):
        assert cli.main(["--workspace", root, *argv, str(device)]) == 74, argv
        assert "not a regular file" in capsys.readouterr().err
    after = os.stat(device)
    assert after.st_mode == before.st_mode and after.st_ino == before.st_ino and after.st_rdev == before.st_rdev
