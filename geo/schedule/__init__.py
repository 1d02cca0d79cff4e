"""Scheduling a compiled plan.  No I/O.

``model`` builds the CP-SAT model; ``cpsat`` solves it deterministically (and explains an infeasible plan by its
own lines); ``greedy`` is the list-scheduling baseline and hint; ``verify`` checks a schedule against its plan
independently of the solver; ``explain`` gives the critical path, slack, binding resources and what-ifs.
"""

from __future__ import annotations

from .cpsat import (
    DEFAULT_DETERMINISTIC_TIME,
    MAX_DETERMINISTIC_TIME,
    SolveStopped,
    explain_infeasible,
    run_solver,
    solve,
)
from .greedy import greedy
from .result import Schedule
from .verify import check_schedule, objective_value, troops_by_month

__all__ = [
    "DEFAULT_DETERMINISTIC_TIME",
    "MAX_DETERMINISTIC_TIME",
    "Schedule",
    "SolveStopped",
    "check_schedule",
    "explain_infeasible",
    "greedy",
    "objective_value",
    "run_solver",
    "solve",
    "troops_by_month",
]
