"""The plan format: models, extends, positions of validation errors, the committed JSON Schema."""

import json
from pathlib import Path

import pytest
from conftest import TINY_PLAN

from geo import plan
from geo.errors import PlanError

ROOT = Path(__file__).resolve().parent.parent


def _issues(write_plan, text):
    with pytest.raises(PlanError) as exc:
        plan.load(write_plan(text))
    return exc.value.issues


def test_tiny_plan_loads(write_plan):
    lp = plan.load(write_plan(TINY_PLAN))
    assert lp.plan.meta.name == "tiny"
    assert lp.plan.security.states == ["idf", "international", "palestinian"]
    assert lp.at("security", "steps", "international", "duration")[1:] == (9, 17)


@pytest.mark.parametrize(
    ("old", "new", "line", "col", "fragment", "fix"),
    [
        ("  name: tiny", "  nmae: tiny", 3, 3, "unknown key 'nmae' in meta", "did you mean 'name'?"),
        ("      duration: 2\n", "      duraton: 2\n", 9, 7, "unknown key 'duraton'", "did you mean 'duration'?"),
        ('  start: "2030-01"', '  start: "2030-13"', 4, 10, "meta.start: '2030-13' is not a month YYYY-MM", "2027-01"),
        (
            "      duration: 2\n",
            '      duration: "2"\n',
            9,
            17,
            "duration: '2' is text, not a whole number",
            "without quotes",
        ),
        (
            "      duration: 2\n",
            "      duration: -2\n",
            9,
            17,
            "duration: -2 is below the minimum of 0",
            "from 0 to 600",
        ),
        ("horizon: 60", "horizon: 0", 5, 10, "horizon: 0 is below the minimum of 1", "from 1 to 600"),
        ("  minimize: completion", "  minimize: fastest", 30, 13, "objective.minimize", ""),
        (
            "    - {from: 0, available: 120}",
            "    - {from: 0, availble: 120}",
            28,
            17,
            "unknown key 'availble'",
            "did you mean 'available'?",
        ),
        (
            "        - security: international\n          lag: 3",
            "        - security: international\n          gate: g",
            15,
            11,
            "exactly one of",
            "",
        ),
    ],
)
def test_bad_plans_name_the_position(write_plan, old, new, line, col, fragment, fix):
    assert old in TINY_PLAN
    issues = _issues(write_plan, TINY_PLAN.replace(old, new, 1))
    hit = [i for i in issues if fragment in i.message]
    assert hit, [str(i) for i in issues]
    assert (hit[0].line, hit[0].col) == (line, col), str(hit[0])
    assert fix in hit[0].fix


def test_missing_section(write_plan):
    text = TINY_PLAN.replace("resources:\n  troops:\n    - {from: 0, available: 120}\n", "")
    (issue,) = _issues(write_plan, text)
    assert issue.message == "resources is required"
    assert "add 'resources:'" in issue.fix


def test_extends_merges_and_positions_point_into_the_right_file(write_plan):
    write_plan(TINY_PLAN, "base.yaml")
    lp = plan.load(write_plan('extends: base.yaml\nmeta:\n  name: child\n  start: "2031-01"\n'))
    assert lp.plan.meta.name == "child"
    assert lp.plan.horizon == 60
    f, line, _ = lp.at("security", "steps", "international", "duration")
    assert f.endswith("base.yaml") and line == 9
    assert lp.at("meta", "name")[0].endswith("plan.yaml")


def test_extends_errors(write_plan):
    (issue,) = _issues(write_plan, "extends: ../elsewhere/base.yaml\n")
    assert "same folder" in issue.message
    write_plan("extends: other.yaml\n", "base.yaml")
    (issue,) = _issues(write_plan, "extends: base.yaml\n")
    assert "cannot extend another" in issue.message
    assert issue.file.endswith("base.yaml")
    (issue,) = _issues(write_plan, "extends: missing.yaml\n")
    assert "extends: 'missing.yaml' is not in the plan's folder" in issue.message
    assert issue.file.endswith("plan.yaml") and (issue.line, issue.col) == (1, 10)


def test_a_typo_in_the_child_is_reported_in_the_child(write_plan):
    write_plan(TINY_PLAN, "base.yaml")
    (issue,) = _issues(write_plan, "extends: base.yaml\nhorizn: 30\n")
    assert issue.file.endswith("plan.yaml") and (issue.line, issue.col) == (2, 1)
    assert "did you mean 'horizon'?" in issue.fix


def test_not_a_mapping(write_plan):
    (issue,) = _issues(write_plan, "- just\n- a list\n")
    assert "mapping" in issue.message


@pytest.mark.parametrize("name", ["reference", "clinton-timeline", "geneva-timeline"])
def test_shipped_plans_load_and_reference_the_schema(name):
    path = ROOT / "plans" / f"{name}.yaml"
    assert path.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=plan.schema.json")
    lp = plan.load(path)
    assert lp.plan.meta.sources, "a shipped plan cites its sources"


def test_committed_schema_is_in_sync():
    committed = (ROOT / "plans" / plan.SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == plan.schema_text(), "run `landplan plan schema` and commit plans/plan.schema.json"
    schema = json.loads(committed)
    assert schema["additionalProperties"] is False
    assert {"meta", "security", "movement", "resources"} <= set(schema["required"])


# -- planning regions are built-in groups -----------------------------------------------------------------------


def _with_region(tiny_zones):  # type: ignore[no-untyped-def]
    z = tiny_zones.copy()
    z["region"] = ["jordan-valley", "jordan-valley", None]
    return z


@pytest.mark.parametrize("regions", [["jordan-valley", "jordan-valley", None], ["jordan-valley", None, None]])
def test_a_region_of_the_zones_layer_is_a_built_in_group(write_plan, tiny_zones, regions):
    z = tiny_zones.copy()
    z["region"] = regions
    override = "zones:\n  overrides:\n    jordan_valley:\n      security:\n        international: {earliest: 7}\n"
    text = TINY_PLAN + override
    problem = plan.compile_plan(plan.load(write_plan(text)), z, {"gate-x"})
    inside = [zid for zid, r in zip(z["zone_id"], regions, strict=True) if r]
    for zid in problem.zones:
        task = problem.tasks[f"{zid}/security/international"]
        assert (task.earliest == 7) == (zid in inside), zid


def test_a_plan_cannot_redefine_a_region_group(write_plan, tiny_zones):
    text = TINY_PLAN + "zones:\n  groups:\n    jordan_valley: [north]\n"
    with pytest.raises(PlanError, match="'jordan_valley' is a built-in group"):
        plan.compile_plan(plan.load(write_plan(text)), _with_region(tiny_zones), {"gate-x"})


def test_without_a_region_column_the_name_is_free(write_plan, tiny_zones):
    text = TINY_PLAN + "zones:\n  groups:\n    jordan_valley: [north]\n"
    problem = plan.compile_plan(plan.load(write_plan(text)), tiny_zones, {"gate-x"})
    assert problem.zones


@pytest.mark.parametrize("region", ["all", "west-bank", "gaza"])
def test_a_region_named_like_a_built_in_group_is_a_layer_error(write_plan, tiny_zones, region):
    from geo.errors import LayerError

    z = tiny_zones.copy()
    z["region"] = [region, None, None]
    with pytest.raises(LayerError, match=f"the region '{region}' would replace the built-in group"):
        plan.compile_plan(plan.load(write_plan(TINY_PLAN)), z, {"gate-x"})
