import os
from pathlib import Path

import pytest

from geo import files


def test_atomic_write_replaces_content(tmp_path: Path):
    p = tmp_path / "out.txt"
    p.write_bytes(b"old")
    files.atomic_write(p, b"new")
    assert p.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["out.txt"]


def test_failed_atomic_write_keeps_old_file_and_leaves_no_temp(tmp_path: Path, monkeypatch):
    p = tmp_path / "out.txt"
    p.write_bytes(b"old")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        files.atomic_write(p, b"new")
    assert p.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["out.txt"]


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
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.txt"]


def test_replace_all_writes_every_file(tmp_path: Path):
    files.replace_all(tmp_path / "new", {"a.txt": b"A", "b.txt": b"B"})
    assert (tmp_path / "new" / "a.txt").read_bytes() == b"A"
    assert (tmp_path / "new" / "b.txt").read_bytes() == b"B"
