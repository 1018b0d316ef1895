"""A goal's co-units from the measures serving it, only where the goal's own words also point at the body."""

from __future__ import annotations

import pytest

from nlp import goalunits
from nlp.departments import assign_item
from nlp.model import Assignment, Clause, Item, Link

GOAL_TEXT = "适龄儿童免疫规划疫苗接种率保持在95%以上,学校和托育机构落实入托入学查验"


def _item(item_id: str, kind: str, text: str) -> Item:
    return Item(
        item_id,
        "p",
        kind,
        "儿童与健康",
        1,
        text if kind == "measure" else "",
        text,
        text,
        1,
        0,
        len(text),
        domain_code="health",
        clauses=[Clause(f"{item_id}-c1", 0, text, text, 0, len(text))],
    )


def _goal() -> Item:
    goal = _item("g1", "goal", GOAL_TEXT)
    assign_item(goal)
    return goal


def _weak_body(goal: Item) -> str:
    """A body the goal's own text points at without being tagged on it."""
    tagged = {a.name for a in goal.departments}
    return next(b for b in goalunits._signals(goal) if b not in tagged)


def _measures(named: list[list[str]]) -> list[Item]:
    out = []
    for n, bodies in enumerate(named, 1):
        m = _item(f"m{n}", "measure", "推进儿童心理健康服务")
        m.departments = [Assignment(b, "co", "inferred", 0.6) for b in bodies]
        m.serves = [Link("g1", 0.5)]
        out.append(m)
    return out


@pytest.mark.parametrize(
    "named_by, added",
    [
        (2, True),  # two of three serving measures and the goal's own word agree
        (3, True),
        (1, False),  # one measure alone is not enough
        (0, False),
    ],
)
def test_goal_unit_needs_measures_and_own_word(named_by, added):
    goal = _goal()
    body = _weak_body(goal)
    measures = _measures([[body] if i < named_by else ["市统计局"] for i in range(3)])
    got = {a.name: a for a in goalunits.goal_units(goal, measures)}
    assert (body in got) is added
    if added:
        a = got[body]
        assert a.role == "co" and a.source == "inferred" and a.confidence < 0.5
        ev = a.evidence[0]
        assert ev.text and GOAL_TEXT[ev.start : ev.end] == ev.text and ev.rule.startswith("goal:")


@pytest.mark.parametrize(
    "measures, named_by, added",
    [
        (1, 1, True),  # the one serving measure is all the plan says about reaching the goal: its bodies count
        (1, 0, False),
        (2, 1, False),  # with two serving measures, one of them is not enough
        (2, 2, True),
    ],
)
def test_a_goal_served_by_one_measure_takes_its_bodies(measures, named_by, added):
    goal = _goal()
    body = _weak_body(goal)
    serving = _measures([[body] if i < named_by else ["市统计局"] for i in range(measures)])
    assert (body in {a.name for a in goalunits.goal_units(goal, serving)}) is added


def test_sole_measure_rule_switched_off(monkeypatch):
    goal = _goal()
    body = _weak_body(goal)
    monkeypatch.setattr(goalunits, "GOAL_SOLE", False)
    assert body not in {a.name for a in goalunits.goal_units(goal, _measures([[body]]))}


def test_a_silent_body_of_a_sole_measure_is_not_added():
    goal = _goal()
    assert "市审计局" not in {a.name for a in goalunits.goal_units(goal, _measures([["市审计局"]]))}


def test_body_without_a_word_in_the_goal_is_not_added():
    goal = _goal()
    silent = "市审计局"  # every measure names it, the goal's text says nothing of it
    assert silent not in goalunits._signals(goal)
    measures = _measures([[silent]] * 3)
    assert silent not in {a.name for a in goalunits.goal_units(goal, measures)}


def test_plan_pass_appends_units_after_the_goal_own_tags(monkeypatch):
    from nlp.model import Plan

    goal = _goal()
    body = _weak_body(goal)
    before = [a.name for a in goal.departments]
    plan = Plan("p", "t", "", "", items=[goal, *_measures([[body], [body], []])])
    goalunits.assign_goal_units(plan)
    assert [a.name for a in goal.departments][: len(before)] == before and body in {a.name for a in goal.departments}
    monkeypatch.setattr(goalunits, "GOAL_SHARE", float("inf"))  # switched off: nothing added
    goal2 = _goal()
    plan2 = Plan("p", "t", "", "", items=[goal2, *_measures([[body], [body], []])])
    goalunits.assign_goal_units(plan2)
    assert [a.name for a in goal2.departments] == before


def _tables(monkeypatch, rows):
    """The co-ownership rows the goal's pair pattern reads: (topics, bodies) with the goal's lead among the bodies."""
    from nlp import coownership

    fake = tuple(coownership.Row(tuple(t), tuple(b), True, f"src{n}") for n, (t, b) in enumerate(rows))
    monkeypatch.setattr(coownership, "rows", lambda: fake)


@pytest.mark.parametrize(
    "minimum, on_domain, body, added",
    [
        (0.5, False, "市市场监管局", True),  # on every serving measure, beside the lead in 2 of 3 rows
        (0.5, False, "市审计局", False),  # beside the lead in 1 of 3 rows: below the minimum
        (0.5, True, "市市场监管局", True),  # its rows are on a topic of the domain (儿童保健), not of the goal
        (0.5, True, "市审计局", False),  # its one row is on 就业, no word of the domain
        (float("inf"), False, "市市场监管局", False),  # off (the setting in code)
    ],
)
def test_goal_pair_pattern_from_the_tables(monkeypatch, minimum, on_domain, body, added):
    goal = _goal()
    lead = next(a.name for a in goal.departments if a.role == "lead")
    _tables(
        monkeypatch,
        [
            (["儿童保健"], [lead, "市市场监管局"]),
            (["儿童保健"], [lead, "市市场监管局"]),
            (["就业"], [lead, "市审计局"]),
        ],
    )
    monkeypatch.setattr(goalunits, "GOAL_PAIR_MIN", minimum)
    monkeypatch.setattr(goalunits, "GOAL_PAIR_DOMAIN", on_domain)
    got = {a.name: a for a in goalunits.goal_units(goal, _measures([[body]] * 3), {"儿童保健", "心理健康"})}
    assert (body in got) is added
    if added:
        a = got[body]
        assert a.confidence == goalunits.GOAL_PAIR_CONFIDENCE and "pair:" in a.evidence[0].rule
        ev = a.evidence[0]
        assert ev.text and GOAL_TEXT[ev.start : ev.end] == ev.text  # the lead's own word in the goal


def test_goal_pair_needs_the_serving_measures(monkeypatch):
    goal = _goal()
    lead = next(a.name for a in goal.departments if a.role == "lead")
    _tables(monkeypatch, [(["儿童保健"], [lead, "市市场监管局"])])
    monkeypatch.setattr(goalunits, "GOAL_PAIR_MIN", 0.5)
    assert "市市场监管局" not in {a.name for a in goalunits.goal_units(goal, _measures([["市统计局"]] * 3), None)}
