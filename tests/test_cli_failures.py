"""Every failure of the command line is one clear message and a documented exit code, never a traceback."""

import _thread
import errno
import os
import signal
import subprocess
import sys
import threading
import time
import unicodedata
from pathlib import Path

import pytest

from geo import cli, schedule
from geo.errors import PlanError, PlanIssue

ROOT = Path(__file__).resolve().parent.parent


def _run(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "geo", *argv], capture_output=True, text=True, timeout=timeout, check=False
    )


def _no_solve(monkeypatch):
    """Make any solve fail loudly: proves a failure was found before the long work."""

    def boom(*_a, **_k):
        raise AssertionError("the solver ran before the output path was checked")

    monkeypatch.setattr(schedule, "solve", boom)


# -- 3: Ctrl-C ---------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hard_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference plan with five handovers at once instead of eight: a search that runs for minutes.

    The reference plan itself is proven optimal in under a second, too soon to be interrupted mid-search.
    """
    folder = tmp_path_factory.mktemp("hard")
    (folder / "defaults.yaml").write_text((ROOT / "plans" / "defaults.yaml").read_text(encoding="utf-8"))
    text = (ROOT / "plans" / "reference.yaml").read_text(encoding="utf-8")
    path = folder / "hard.yaml"
    path.write_text(text + "\nresources:\n  max_concurrent_handovers: 5\n", encoding="utf-8")
    return path


def _interrupt_when(proc: subprocess.Popen[str], marker: str) -> str:
    """Read stderr until ``marker`` shows, then send SIGINT; returns everything read."""
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + 120
    while marker not in seen and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    assert marker in seen, seen
    proc.send_signal(signal.SIGINT)
    return seen


@pytest.mark.parametrize(
    ("command", "outputs"),
    [
        (["plan", "schedule", "{plan}", "--time", "200", "-o", "{tmp}/sched"], ["sched.schedule.csv"]),
        (["map", "{plan}", "--time", "200", "-o", "{tmp}/ref.html"], ["ref.html"]),
        (["export", "{plan}", "--time", "200", "--format", "csv", "-o", "{tmp}/csv"], ["csv"]),
    ],
)
def test_ctrl_c_during_the_solve_exits_130_and_writes_nothing(tmp_path, hard_plan, command, outputs):
    argv = [a.replace("{tmp}", str(tmp_path)).replace("{plan}", str(hard_plan)) for a in command]
    with subprocess.Popen(
        [sys.executable, "-m", "geo", "-v", "--workspace", str(ROOT), *argv],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        t0 = time.monotonic()
        _interrupt_when(proc, "solving")
        out, err = proc.communicate(timeout=60)
    assert time.monotonic() - t0 < 60  # the 200-unit budget was not spent: the search stopped
    assert proc.returncode == 130
    assert "interrupted" in err
    assert "Traceback" not in err
    assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing, not even a temporary file
    for name in outputs:
        assert not (tmp_path / name).exists()


@pytest.mark.parametrize("after", [1.0, 2.5])
def test_ctrl_c_deep_in_the_search_exits_130_not_an_abort(hard_plan, after):
    """Interrupted well inside CP-SAT's search, the process still exits 130 (not SIGABRT at teardown)."""
    argv = ["plan", "schedule", str(hard_plan), "--time", "200", "--no-cache"]
    with subprocess.Popen(
        [sys.executable, "-m", "geo", "-v", "--workspace", str(ROOT), *argv],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stderr is not None
        seen = ""
        while "solving" not in seen:
            line = proc.stderr.readline()
            assert line, seen
            seen += line
        time.sleep(after)  # the greedy hint is built by now; the search itself is running
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "terminate called" not in err and "Traceback" not in err


def test_ctrl_c_while_starting_exits_130_without_a_traceback():
    # the interrupt lands while the command is still importing and loading, before any solve
    with subprocess.Popen(
        [sys.executable, "-m", "geo", "--workspace", str(ROOT), "plan", "validate", "reference"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        time.sleep(0.8)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:  # the machine was fast enough to finish first: nothing to check
        pytest.skip("the command finished before the interrupt")
    assert proc.returncode == 130, err
    assert "Traceback" not in err


@pytest.mark.parametrize("where", ["geo.plan.load", "geo.layers.load", "geo.plan.compile_plan"])
def test_ctrl_c_before_the_solve_is_interrupted_not_a_traceback(monkeypatch, capsys, where):
    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(where, interrupted)
    assert cli.main(["--workspace", str(ROOT), "plan", "validate", "reference"]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_ctrl_c_wrapped_by_python_or_a_library_is_still_an_interrupt(monkeypatch, capsys):
    # an interrupt landing while a class is made reaches us as "RuntimeError: Error calling __set_name__ ..."
    def wrapped(*_a, **_k):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__ on 'Field' instance") from exc

    monkeypatch.setattr("geo.plan.load", wrapped)
    assert cli.main(["--workspace", str(ROOT), "plan", "validate", "reference"]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "internal error" not in err


def test_an_interrupted_command_exits_130_past_the_interpreter_teardown(tmp_path):
    # main_entry ends an interrupted command with os._exit(130): CPython may otherwise turn the exit into SIGINT
    script = (
        "import sys\nfrom geo import cli\n"
        "def boom(args):\n    raise KeyboardInterrupt\n"
        "cli._HANDLERS['init'] = boom\n"
        f"sys.argv = ['landplan', 'init', {str(tmp_path / 'ws')!r}]\n"
        "print('partial output', flush=False)\n"
        "cli.main_entry()\n"
    )
    cmd = [sys.executable, "-c", script]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 130, done.stderr
    assert done.stdout == "partial output\n"  # buffered output is flushed before the process ends
    assert "interrupted" in done.stderr and "Traceback" not in done.stderr


def test_a_ctrl_c_a_library_swallows_or_prints_still_ends_the_command_with_130(tmp_path):
    # pydantic-core has been seen turning an interrupt into a printed traceback and a failed validation (exit 65)
    script = (
        "import os, signal, sys, time\nfrom geo import cli\nfrom geo.errors import PlanError\n"
        "def swallowed(args):\n"
        "    try:\n        os.kill(os.getpid(), signal.SIGINT)\n        time.sleep(5)\n"
        "    except KeyboardInterrupt as exc:\n        sys.excepthook(type(exc), exc, exc.__traceback__)\n"
        "    raise PlanError('plan.yaml:1:1: meta.start: a validation the interrupt broke')\n"
        "cli._HANDLERS['init'] = swallowed\n"
        f"sys.argv = ['landplan', 'init', {str(tmp_path / 'ws')!r}]\n"
        "cli.main_entry()\n"
    )
    cmd = [sys.executable, "-c", script]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 130, done.stderr
    assert "interrupted" in done.stderr and "Traceback" not in done.stderr and "validation" not in done.stderr


def test_run_solver_stops_the_search_on_an_interrupt():
    """A Ctrl-C during CP-SAT raises KeyboardInterrupt promptly and leaves no search running."""
    from ortools.sat.python import cp_model

    solver = schedule.cpsat.make_solver(10_000.0, None)
    solver.parameters.max_time_in_seconds = 60
    # a model that keeps the search busy for far longer than the test waits

    hard = cp_model.CpModel()
    xs = [hard.new_int_var(0, 400, f"x{i}") for i in range(120)]
    hard.add_all_different(xs)
    hard.maximize(sum((i % 11) * x for i, x in enumerate(xs)))
    for i in range(119):
        hard.add(xs[i] + xs[i + 1] <= 500)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        schedule.run_solver(solver, hard)
    assert time.monotonic() - t0 < 20
    assert not [t for t in threading.enumerate() if t.name == "cp-sat" and t.is_alive()]


# -- 6: outputs checked before the solve, write failures are exit 74 -----------------------------------------------
def _bad_targets(tmp_path: Path) -> dict[str, Path]:
    a_file = tmp_path / "a-file"
    a_file.write_text("keep me")
    folder = tmp_path / "a-folder"
    folder.mkdir()
    return {
        "missing parent": tmp_path / "no" / "such" / "out.x",
        "under a file": a_file / "out.x",
        "name too long": tmp_path / ("n" * 300 + ".x"),
        "a folder": folder,
    }


@pytest.mark.parametrize("case", ["missing parent", "under a file", "name too long", "a folder"])
@pytest.mark.parametrize(
    "command",
    [
        ["map", "reference", "-o", "{out}"],
        ["atlas", "reference", "-o", "{out}"],
        ["export", "reference", "--format", "gpkg", "-o", "{out}"],
        ["export", "reference", "--format", "kml", "-o", "{out}"],
        ["plan", "metrics", "reference", "-o", "{out}"],
        ["diff", "reference", "clinton-timeline", "--html", "{out}"],
    ],
)
def test_unwritable_outputs_fail_before_the_solve_with_74(tmp_path, monkeypatch, capsys, command, case):
    _no_solve(monkeypatch)
    target = _bad_targets(tmp_path)[case]
    argv = [a.replace("{out}", str(target)) for a in command]
    assert cli.main(["--workspace", str(ROOT), *argv]) == 74
    err = capsys.readouterr().err
    assert "could not write" in err and "Traceback" not in err
    assert (tmp_path / "a-file").read_text() == "keep me"


@pytest.mark.parametrize("case", ["missing parent", "under a file", "name too long"])
def test_folder_exports_and_schedule_prefixes_are_checked_too(tmp_path, monkeypatch, capsys, case):
    _no_solve(monkeypatch)
    target = _bad_targets(tmp_path)[case]
    for argv in (
        ["export", "reference", "--format", "csv", "-o", str(target)],
        ["export", "reference", "--format", "geojson", "-o", str(target)],
        ["plan", "schedule", "reference", "-o", str(target)],
    ):
        assert cli.main(["--workspace", str(ROOT), *argv]) == 74, argv
        assert "could not write" in capsys.readouterr().err


def test_a_folder_export_onto_a_file_is_refused(tmp_path, monkeypatch, capsys):
    _no_solve(monkeypatch)
    f = tmp_path / "out"
    f.write_text("keep me")
    assert cli.main(["--workspace", str(ROOT), "export", "reference", "--format", "csv", "-o", str(f)]) == 74
    assert f.read_text() == "keep me"


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_write_failing_after_the_solve_is_74_and_keeps_the_old_file(tmp_path, monkeypatch, capsys, failing):
    out = tmp_path / "s.csv"
    out.write_text("old")

    def disk_full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, failing, disk_full)
    argv = ["--workspace", str(ROOT), "plan", "metrics", "clinton-timeline", "--time", "0.3", "-o", str(out)]
    assert cli.main(argv) == 74
    err = capsys.readouterr().err
    assert "could not write" in err and "No space left on device" in err
    monkeypatch.undo()
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["s.csv"]


# -- 9, 19: arguments out of range are usage errors (2) --------------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "schedule", "reference", "--time", "-1"],
        ["plan", "schedule", "reference", "--time", "0"],
        ["plan", "schedule", "reference", "--time", "nan"],
        ["plan", "schedule", "reference", "--time", "inf"],
        ["plan", "schedule", "reference", "--time", "1e9"],
        ["plan", "schedule", "reference", "--time", "1e-320"],
        ["plan", "schedule", "reference", "--time", "0.001"],
        ["map", "reference", "--time", "fast"],
        ["plan", "explain", "reference", "--delay", "gate/security-review=1e20"],
        ["plan", "explain", "reference", "--delay", "gate/security-review=-1"],
        ["plan", "explain", "reference", "--delay", "gate/security-review=99999999999999999999"],
        ["plan", "explain", "reference", "--delay", "=3"],
        ["plan", "explain", "reference", "--delay", "nonsense"],
        ["diff", "reference", "reference", "--every", "0"],
        ["diff", "reference", "reference", "--every", "-12"],
    ],
)
def test_out_of_range_arguments_exit_2_before_any_work(monkeypatch, capsys, argv):
    _no_solve(monkeypatch)
    assert cli.main(["--workspace", str(ROOT), *argv]) == 2
    err = capsys.readouterr().err
    assert "error" in err and "Traceback" not in err


def test_an_unknown_delay_task_is_a_usage_error_without_a_fake_position(capsys):
    argv = ["--workspace", str(ROOT), "plan", "explain", "clinton-timeline", "--time", "0.3"]
    assert cli.main([*argv, "--delay", "gate/no-such-gate=2"]) == 2
    err = capsys.readouterr().err
    assert "no task or gate named 'gate/no-such-gate'" in err
    assert ":1:1:" not in err
    assert cli.main([*argv, "--delay", "crossing/allenby=100000"]) == 2
    assert "outside 0.." in capsys.readouterr().err


def test_an_invalid_solver_model_is_reported_as_such(tiny_problem):
    task = next(iter(tiny_problem.tasks.values()))
    task.duration = 2**62  # past what CP-SAT accepts once added to the horizon
    with pytest.raises(PlanError, match="invalid model"):
        schedule.solve(tiny_problem, 0.5)


# -- 13: a closed pipe ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ["--workspace", str(ROOT), "layers", "check"],
        ["--workspace", str(ROOT), "plan", "schedule", "clinton-timeline", "--time", "0.3"],
        ["--help"],
        ["plan", "--help"],
    ],
)
def test_output_into_a_closed_pipe_ends_quietly(argv):
    with subprocess.Popen(
        [sys.executable, "-m", "geo", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()  # like `| head -1`
        err = proc.stderr.read()
        proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert proc.returncode in (0, 141)


def test_a_closed_pipe_during_a_long_print_exits_141():
    script = (
        "import sys; from geo import cli\n"
        "cli._HANDLERS['init'] = lambda a: [cli._say('line %d' % k) for k in range(200000)] and 0\n"
        "sys.argv = ['landplan', 'init', 'x']; cli.main_entry()\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read()
        assert proc.wait(timeout=60) == 141
    assert err == ""


# -- 16: a workspace that must not be written, init onto a file --------------------------------------------------------
def test_validate_writes_nothing_into_the_workspace(tmp_path, capsys):
    ws = tmp_path / "ws"
    assert cli.main(["init", str(ws)]) == 0
    (ws / "maps").rmdir()
    assert cli.main(["--workspace", str(ws), "plan", "validate", "reference"]) == 0
    assert cli.main(["--workspace", str(ws), "layers", "check"]) == 0
    assert not (ws / "maps").exists()  # finding a workspace creates nothing


def test_a_file_where_maps_should_be_is_74_before_the_solve(tmp_path, monkeypatch, capsys):
    ws = tmp_path / "ws"
    cli.main(["init", str(ws)])
    (ws / "maps").rmdir()
    (ws / "maps").write_text("not a folder")
    _no_solve(monkeypatch)
    capsys.readouterr()
    for argv in (["map"], ["atlas", "reference"]):
        assert cli.main(["--workspace", str(ws), *argv]) == 74
        assert "could not write" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["a file", "under a file"])
def test_init_onto_a_file_is_refused(tmp_path, capsys, where):
    f = tmp_path / "taken"
    f.write_text("keep me")
    target = f if where == "a file" else f / "ws"
    assert cli.main(["init", str(target)]) == 74
    err = capsys.readouterr().err
    assert "could not write" in err and "Traceback" not in err
    assert f.read_text() == "keep me"


# -- 18: messages ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--bogus", "layers", "check"], "unrecognized arguments: --bogus"),
        (["layers", "check", "--frob"], "unrecognized arguments: --frob"),
        ([], "choose a command"),
        (["plan"], "'plan' needs a sub-command"),
        (["layers"], "'layers' needs a sub-command"),
    ],
)
def test_usage_messages_name_the_real_problem(capsys, argv, said):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert said in err
    if "--" in said:
        assert "required" not in err


# -- 15: what reaches the terminal ---------------------------------------------------------------------------------
@pytest.mark.parametrize("evil", ["\x1b[2J", "\x1b]0;pwned\x07", "a\x00b", "\u202eevil", "x\x9by", "\x7f"])
def test_control_and_bidi_characters_are_printed_escaped(capsys, evil):
    issue = PlanIssue("plan.yaml", 3, 5, f"unknown zone '{evil}'", f"did you mean '{evil}'?")
    assert cli._report(PlanError([issue])) == 65
    err = capsys.readouterr().err
    assert not [ch for ch in err if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf")], repr(err)
    assert "plan.yaml:3:5: unknown zone" in err


def test_many_plan_problems_are_capped(capsys):
    issues = [PlanIssue("p.yaml", k + 1, 1, f"unknown zone 'z{k}'", "check it") for k in range(100_000)]
    assert cli._report(PlanError(issues)) == 65
    err = capsys.readouterr().err.splitlines()
    assert len(err) == cli.MAX_ISSUES_SHOWN + 1
    assert "and 99950 more" in err[-1]


def test_an_unexpected_failure_is_an_internal_error_not_a_traceback(monkeypatch, capsys):
    def broken(_args):
        raise RuntimeError("something impossible")

    monkeypatch.setitem(cli._HANDLERS, "layers", broken)
    assert cli.main(["layers", "check"]) == 70
    err = capsys.readouterr().err
    assert "internal error" in err and "something impossible" in err and "Traceback" not in err


@pytest.mark.parametrize("name", ["", " ", "  \t"])
def test_init_needs_a_folder_name(tmp_path, monkeypatch, capsys, name):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", name]) == 2
    assert list(tmp_path.iterdir()) == []  # nothing made in the current folder
    assert "name of the folder" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["plan", "validate", "reference"], ["layers", "check"], ["--version"]])
def test_a_closed_standard_output_is_one_message_and_74(argv):
    with subprocess.Popen(
        [sys.executable, "-m", "geo", "--workspace", str(ROOT), *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        pass_fds=(),
        preexec_fn=lambda: os.close(1),  # noqa: PLW1509 - the child starts with standard output closed, as with >&-
    ) as proc:
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 74, err
    assert "standard output" in err and "Traceback" not in err


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_a_plan_named_by_its_name_that_is_no_file_says_what_it_is(tmp_path, capsys, kind):
    ws = tmp_path / "ws"
    cli.main(["init", str(ws)])
    capsys.readouterr()
    target = ws / "plans" / "odd.yaml"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    assert cli.main(["--workspace", str(ws), "plan", "validate", "odd"]) == 65
    err = capsys.readouterr().err
    assert "not found" not in err
    assert ("folder" in err) if kind == "folder" else ("not a regular file" in err)


# -- plan summary: bad input is one message and a documented exit code ------------------------------------------------
@pytest.mark.parametrize("budget", ["0", "-1", "nan", "inf", "fast", "1e9"])
def test_plan_summary_with_a_bad_budget_exits_2_before_any_work(monkeypatch, capsys, budget):
    _no_solve(monkeypatch)
    assert cli.main(["--workspace", str(ROOT), "plan", "summary", "reference", "--time", budget]) == 2
    err = capsys.readouterr().err
    assert "argument --time" in err and "Traceback" not in err


def test_plan_summary_of_an_unknown_or_broken_plan_exits_65(tmp_path, monkeypatch, capsys):
    _no_solve(monkeypatch)
    assert cli.main(["--workspace", str(ROOT), "plan", "summary", "no-such-plan"]) == 65
    err = capsys.readouterr().err
    assert "no-such-plan:1:1: plan file not found" in err and "Traceback" not in err
    ws = tmp_path / "ws"
    cli.main(["init", str(ws)])
    (ws / "plans" / "bad.yaml").write_text(
        'extends: defaults.yaml\nmeta: {name: x, start: "2027-01"}\nbaselines:\n  area_a: {security: palestinan}\n',
        encoding="utf-8",
    )
    capsys.readouterr()
    assert cli.main(["--workspace", str(ws), "plan", "summary", "bad"]) == 65
    err = capsys.readouterr().err
    assert "bad.yaml:4:" in err and "palestinan" in err and "Traceback" not in err


def test_plan_summary_is_listed_and_needs_a_plan(capsys):
    assert cli.main(["plan", "summary"]) == 2
    assert "the following arguments are required: plan" in capsys.readouterr().err
    assert cli.main(["plan", "--help"]) == 0
    assert "summary" in capsys.readouterr().out
