"""The layout's promises: light commands stay light, and the version has one home."""

import json
import subprocess
import sys
from pathlib import Path

import geo

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("ortools", "folium", "branca", "matplotlib")

PROBE = (
    "import io, contextlib, json, sys\n"
    "from geo.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
    "    code = main(sys.argv[1:])\n"
    f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
    'print(json.dumps({"code": code, "heavy": heavy}))\n'
)


def test_light_commands_load_no_solver_and_no_drawing_library(tmp_path):
    """layers check, plan validate (valid or not), init and --version, one after another in one process."""
    commands = [
        ["--workspace", str(ROOT), "layers", "check"],
        ["--workspace", str(ROOT), "plan", "validate", "reference"],
        ["--workspace", str(ROOT), "plan", "validate", "no-such-plan"],
        ["init", str(tmp_path / "ws")],
        ["--version"],
    ]
    script = (
        "import io, contextlib, json, sys\n"
        "from geo.cli import main\n"
        f"for argv in {commands!r}:\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        "        main(argv)\n"
        f"    heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
        "    print(json.dumps({'argv': argv, 'heavy': heavy}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines():
        result = json.loads(line)
        assert result["heavy"] == [], f"{result['argv']} imported {result['heavy']}"
    assert (tmp_path / "ws" / "layers").is_dir()  # the commands really ran


def test_a_command_that_solves_does_load_the_solver(tmp_path):
    """The probe above can see an import: the same probe on a solving command finds OR-Tools."""
    argv = ["--workspace", str(ROOT), "plan", "metrics", "clinton-timeline", "--time", "0.2", "--json"]
    out = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.splitlines()[-1])
    assert result["code"] == 0
    assert "ortools" in result["heavy"]


def test_the_version_comes_from_the_package_metadata():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    declared = next(line.split('"')[1] for line in text.splitlines() if line.startswith("version = "))
    assert geo.__version__ == declared
    out = subprocess.run([sys.executable, "-m", "geo", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"landplan {declared}"


def test_the_summary_is_text_only():
    """geo.summary (the plan in words) draws nothing: importing it loads no drawing library."""
    loaded = f"sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY[1:]!r}))"
    script = f"import json, sys, geo.summary\nprint(json.dumps({loaded}))\n"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
