"""The planner's front half: read a plan file strictly, validate it, and compile it into a problem.

``yamlio`` reads YAML with a position for every value; ``model`` is the plan format (pydantic models and the JSON
Schema); ``checks`` holds one function per planning rule; ``compiler`` applies them against the layers and turns the
plan into the tasks of a :class:`Problem` (``problem``), which the scheduler solves.
"""

from __future__ import annotations

from .compiler import BUILTIN_GROUPS, compile_plan
from .model import (
    ID_PATTERN,
    MAX_CAPACITY,
    MAX_CONCURRENT,
    MAX_HORIZON,
    MAX_ISSUES,
    MAX_RATE,
    MAX_TROOPS,
    SCHEMA_FILE,
    LoadedPlan,
    Origin,
    Plan,
    json_schema,
    limit_issues,
    load,
    schema_text,
)
from .problem import (
    DemandLine,
    Kind,
    Pred,
    Problem,
    RegimeLine,
    ResidenceLedger,
    ResidualLine,
    StationLine,
    Task,
    TaskId,
)
from .sections import LayerRefs

__all__ = [
    "BUILTIN_GROUPS",
    "ID_PATTERN",
    "MAX_CAPACITY",
    "MAX_CONCURRENT",
    "MAX_HORIZON",
    "MAX_ISSUES",
    "MAX_RATE",
    "MAX_TROOPS",
    "SCHEMA_FILE",
    "DemandLine",
    "Kind",
    "LayerRefs",
    "LoadedPlan",
    "Origin",
    "Plan",
    "Pred",
    "Problem",
    "RegimeLine",
    "ResidenceLedger",
    "ResidualLine",
    "StationLine",
    "Task",
    "TaskId",
    "compile_plan",
    "json_schema",
    "limit_issues",
    "load",
    "schema_text",
]
