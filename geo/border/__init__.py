"""Border scenarios on the 1967 line: what a border annexes and swaps, measured on named denominators.

``scenario`` reads a scenario file (YAML beside the plans, in ``plans/borders/``) strictly, with a position for
every value; ``compute`` builds its geometry in metres and measures it against the layers.
"""

from __future__ import annotations

from .compute import DENOMINATORS, BorderResult, compute
from .scenario import Scenario, load_scenario

__all__ = ["DENOMINATORS", "BorderResult", "Scenario", "compute", "load_scenario"]
