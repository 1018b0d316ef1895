"""Graph over the KB: structure, queries and gap checks on a small fixture plan; GraphML/JSON round trips."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from review_helpers import build_mini, iid

from kb import graph as kg
from kb.graph.gaps import gap_report

FIXTURE = Path(__file__).parent / "fixtures" / "graph-plan.json"


@pytest.fixture(scope="module")
def g() -> nx.DiGraph:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return kg.build_graph(data["items"], data["plans"])


@pytest.mark.parametrize(
    "kind,count",
    [
        ("plan", 1),
        ("domain", 2),
        ("goal", 4),
        ("measure", 5),
        ("implementation", 1),
        ("clause", 1),
        ("indicator", 4),
        ("department", 8),
        ("preface", 0),
    ],
)
def test_node_kinds(g, kind, count):
    assert len(kg.nodes_of(g, kind)) == count


@pytest.mark.parametrize(
    "src,dst,kind,attrs",
    [
        ("plan:g", "domain:g:health", "contains", {}),
        ("domain:g:health", "g:health-m1", "contains", {}),
        ("g:health-m1", "g:health-m1.c1", "contains", {}),
        ("g:health-m1", "g:health-g1", "serves", {"score": 0.8, "source": "inferred"}),
        ("dept:市卫健委", "g:health-m1", "lead", {"level": "item", "source": "explicit"}),
        ("dept:市教育局", "g:health-m1", "co", {"level": "item"}),
        ("dept:市团委", "g:health-m1.c1", "lead", {"level": "clause"}),
        ("g:health-g1.i1", "g:health-g1", "measures", {}),
        ("plan:g", "g:impl-1", "contains", {}),
    ],
)
def test_edges(g, src, dst, kind, attrs):
    e = g.edges[src, dst]
    assert e["kind"] == kind and {k: e[k] for k in attrs} == attrs


@pytest.mark.parametrize(
    "dept,expected",
    [
        (
            "市卫健委",
            [
                ("g:education-m1", "co", ["g:education-g1"]),
                ("g:education-m2", "lead", ["g:education-g1"]),
                ("g:health-m1", "lead", ["g:health-g1", "g:health-g2"]),
                ("g:health-m2", "lead", ["g:health-g2"]),
            ],
        ),
        ("市民政局", [("g:health-g1", "lead", ["g:health-g1"])]),  # a goal serves itself
        ("市团委", [("g:health-m1", "lead", ["g:health-g1", "g:health-g2"])]),  # named only in a clause: still a duty
        ("市不存在局", []),
    ],
)
def test_department_duties(g, dept, expected):
    assert [(d["item"], d["role"], d["goals"]) for d in kg.department_duties(g, dept)] == expected


@pytest.mark.parametrize(
    "goal,expected",
    [
        (
            "g:health-g1",
            [("g:health-m1", 0.8, ["市卫健委", "市团委"], ["市教育局"]), ("g:health-m3", 0.5, [], ["市教育局"])],
        ),
        (
            "g:health-g2",
            [
                ("g:health-m2", 0.6, ["市卫健委"], ["市妇联"]),
                ("g:health-m1", 0.4, ["市卫健委", "市团委"], ["市教育局"]),
            ],
        ),
        (
            "g:education-g1",
            [("g:education-m1", 0.9, ["市教育局"], ["市卫健委", "市妇联"]), ("g:education-m2", 0.3, ["市卫健委"], [])],
        ),
        ("g:health-g3", []),
        ("g:nope", []),
    ],
)
def test_goal_measures(g, goal, expected):
    assert [(m["measure"], m["score"], m["lead"], m["co"]) for m in kg.goal_measures(g, goal)] == expected


@pytest.mark.parametrize(
    "min_weight,expected",
    [
        (
            1,
            {
                ("市卫健委", "市教育局"): 2,
                ("市卫健委", "市妇联"): 2,
                ("市妇联", "市教育局"): 1,
                ("市卫健委", "市团委"): 1,
                ("市团委", "市教育局"): 1,
            },
        ),
        (2, {("市卫健委", "市教育局"): 2, ("市卫健委", "市妇联"): 2}),
        (3, {}),
    ],
)
def test_shared_work(g, min_weight, expected):
    net = kg.shared_work(g, min_weight)
    assert {tuple(sorted((a, b))): w for a, b, w in net.edges(data="weight")} == expected


@pytest.mark.parametrize(
    "dept,lead,co,partners",
    [
        ("市卫健委", 3, 1, 3),
        ("市教育局", 1, 2, 3),
        ("市妇联", 0, 2, 2),
        ("市民政局", 1, 0, 0),
    ],
)
def test_department_load(g, dept, lead, co, partners):
    row = next(r for r in kg.department_load(g) if r["department"] == dept)
    assert (row["lead"], row["co"], row["partners"]) == (lead, co, partners)
    assert kg.department_load(g)[0]["department"] == "市卫健委"  # busiest first


def test_betweenness_ranks_the_broker_first(g):
    load = {r["department"]: r for r in kg.department_load(g)}
    assert load["市卫健委"]["betweenness"] >= max(load["市教育局"]["betweenness"], load["市妇联"]["betweenness"])


@pytest.mark.parametrize(
    "check,expected",
    [
        ("unserved_goals", ["g:health-g3"]),
        ("measures_without_lead", ["g:health-m3"]),
        ("orphan_indicators", ["g:health-g3.i1"]),
    ],
)
def test_gap_checks(g, check, expected):
    assert gap_report(g)[check] == expected


def test_overloaded_departments(g):
    report = gap_report(g)
    assert [r["department"] for r in report["overloaded_departments"]] == ["市卫健委"]
    assert report["lead_fence"] == 1.0


def test_no_overload_call_with_too_few_departments():
    g = kg.build_graph(
        [{"id": "p:m1", "plan": "p", "kind": "measure", "title": "x", "departments": [{"name": "甲", "role": "lead"}]}]
    )
    assert gap_report(g)["overloaded_departments"] == [] and gap_report(g)["lead_fence"] is None


@pytest.mark.parametrize("fmt", ["graphml", "json"])
def test_export_round_trips(g, tmp_path, fmt):
    out = tmp_path / f"g.{fmt}"
    kg.write_graph(g, out, fmt)
    if fmt == "graphml":
        back = nx.read_graphml(out)
    else:
        back = nx.node_link_graph(json.loads(out.read_text(encoding="utf-8")), edges="links")
    assert set(back.nodes) == set(g.nodes) and set(back.edges) == set(g.edges)
    assert back.edges["g:health-m1", "g:health-g1"]["score"] == 0.8
    assert back.nodes["dept:市卫健委"]["kind"] == "department"
    assert json.loads(back.edges["dept:市卫健委", "g:health-m1"]["evidence"]) == ["市卫健委"]


def test_graph_of_live_kb_shows_reviews_and_cli(kb_data, monkeypatch, tmp_path, capsys):
    from kb import reviews
    from kb.cli import main as cli

    build_mini(monkeypatch, kb_data)
    assert kg.goal_measures(kg.build_graph(), iid("health-g3"))[0]["co"] == ["市妇联", "市教育局"]
    reviews.reject_assignment("health-m3", "市妇联", "amy")
    reviews.add_link("health-m1", "health-g3", "amy")
    g = kg.build_graph()
    measures = [m["measure"] for m in kg.goal_measures(g, iid("health-g3"))]
    assert measures == [iid("health-m1"), iid("health-m3")]  # a reviewed link scores 1.0
    assert kg.goal_measures(g, iid("health-g3"))[1]["co"] == ["市教育局"]
    assert g.edges[iid("health-m1"), iid("health-g3")]["source"] == "reviewed"
    out = tmp_path / "kb.graphml"
    assert cli(["graph", "--format", "graphml", "-o", str(out)]) == 0
    assert nx.read_graphml(out).number_of_nodes() == g.number_of_nodes()
    assert cli(["gaps", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unserved_goals"] == []
    assert cli(["graph", "duties", "卫健委", "--json"]) == 0
    assert iid("health-m1") in {d["item"] for d in json.loads(capsys.readouterr().out)}
    assert cli(["graph", "goal", "health-g99"]) == 2
    assert cli(["graph"]) == 2  # no -o and no query: a message, not a traceback
