"""Border scenarios on the 1967 line: what a border annexes and swaps, measured on named denominators.

``scenario`` reads a scenario file (YAML beside the plans, in ``plans/borders/``) strictly, with a position for
every value; ``compute`` builds its geometry in metres and measures it against the layers; ``diff`` compares two
computed scenarios.
"""

from __future__ import annotations

from .apply import apply_border, border_path, planning_layers
from .compute import DENOMINATORS, NEEDED, BorderResult, compute
from .diff import BorderDiff, annexed_settlements, compare
from .scenario import Scenario, load_scenario

__all__ = [
    "DENOMINATORS",
    "NEEDED",
    "BorderDiff",
    "BorderResult",
    "Scenario",
    "annexed_settlements",
    "apply_border",
    "border_path",
    "compare",
    "compute",
    "load_scenario",
    "planning_layers",
]
