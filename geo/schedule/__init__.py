"""Scheduling a compiled plan.  No I/O.

``model`` builds the CP-SAT model, with the time-indexed bound of ``relax``; ``cpsat`` solves it deterministically
(and explains an infeasible plan by its own lines), leaving out what decides nothing (``reduce``); ``greedy`` is
the list-scheduling baseline and, ordered by population, the search's first schedule; ``verify`` checks a schedule
against its plan independently of the solver; ``explain`` gives the critical path, slack, binding resources and
what-ifs.
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
from .greedy import greedy, priority_greedy
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
    "priority_greedy",
    "run_solver",
    "solve",
    "troops_by_month",
]
