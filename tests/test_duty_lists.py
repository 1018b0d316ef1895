"""One set of duties and one review state in the 责任清单, the queue and the department views (QA session 13)."""

from __future__ import annotations

import pytest
from web_support import csrf, item_id


def _rows(client, path: str = "/download/plan.json?ids=1") -> dict[str, dict]:
    return {r["编号"]: r for r in client.get(path).get_json()["rows"]}


def test_a_removal_is_a_review_in_the_export_state(reviewer):
    iid = item_id("health-m10")
    assert "市教育局" in {d["name"] for d in reviewer.get(f"/api/items/{iid}").get_json()["departments"]}
    assert _rows(reviewer)["health-m10"]["状态"] == "自动推断"
    r = reviewer.post(
        f"/api/items/{iid}/review",
        json={"action": "assignment.reject", "department": "市教育局"},
        headers={"X-CSRF-Token": csrf(reviewer)},
    )
    assert r.status_code == 200
    row = _rows(reviewer)["health-m10"]
    assert row["状态"] == "人工审核" and "市教育局" not in row["牵头单位"] + row["责任单位"]
    assert "health-m10" in _rows(reviewer, "/download/plan.json?ids=1&reviewed_only=1")


def test_clause_level_duties_are_in_the_plan_list_with_their_clauses(client):
    row = _rows(client)["law-m9"]
    assert "市教育局\uff08第3句\uff09" in row["责任单位"].split("、")
    assert "市教育局[推断(低)·第3句]" in row["依据"]
    dept = {r["编号"]: r for r in client.get("/download/department/市教育局.json?ids=1").get_json()["rows"]}
    assert dept["law-m9"]["责任单位"] == row["责任单位"]  # the department's list and the plan's say the same
    # every duty of the department page is a row of the plan-wide list naming the department
    names = client.get("/api/departments/市教育局").get_json()
    listed = {k for k, r in _rows(client).items() if "市教育局" in r["牵头单位"] + r["责任单位"]}
    assert len(listed) == names["counts"]["total"]


def _queue(client, query: str) -> list[dict]:
    """Every entry of the queue under this filter, page after page."""
    first = client.get(f"/api/review/queue?{query}").get_json()
    pages = [client.get(f"/api/review/queue?{query}&page={n}").get_json() for n in range(2, first["pages"] + 1)]
    return [e for page in (first, *pages) for e in page["entries"]]


def test_the_queue_has_every_duty_and_clause_level_ones_can_be_decided(reviewer):
    tags = [e for e in _queue(reviewer, "department=市教育局&show=all") if e["source"] != "rejected"]
    total = reviewer.get("/api/departments/市教育局").get_json()["counts"]["total"]
    assert len(tags) == len({e["item"] for e in tags}) == total  # one entry per duty, none missing
    clause = next(e for e in tags if e["item"] == item_id("law-m9"))
    assert clause["clauses"] == [3] and clause["certainty"] == "low" and clause["evidence"]
    html = reviewer.get("/departments/市教育局").get_data(as_text=True)
    assert "据第 3 句推断" in html and "被点名" not in html
    r = reviewer.post(
        "/api/review/queue/act",
        json={"item": clause["item"], "department": "市教育局", "action": "accept"},
        headers={"X-CSRF-Token": csrf(reviewer)},
    )
    assert r.status_code == 200
    done = next(e for e in _queue(reviewer, "department=市教育局&show=reviewed") if e["item"] == clause["item"])
    assert done["reviewed"] and done["role"] == clause["role"]
    assert _rows(reviewer)["law-m9"]["状态"] == "人工审核"


def _tag(source: str) -> dict:
    return {"name": "市卫健委", "role": "lead", "source": source, "confidence": 0.9, "evidence": []}


@pytest.mark.parametrize(
    "item, state",
    [
        ({"departments": [_tag("explicit"), _tag("explicit")]}, "原文明确"),  # a stated assignment: nothing inferred
        ({"departments": [_tag("explicit"), _tag("inferred")]}, "自动推断"),
        ({"departments": [_tag("inferred")]}, "自动推断"),
        ({"departments": []}, "自动推断"),  # nobody leads: the tagger's question, not the text's answer
        ({"departments": [_tag("explicit"), _tag("reviewed")]}, "人工审核"),
        ({"departments": [_tag("explicit")], "removed": [{"name": "市教育局"}]}, "人工审核"),
    ],
)
def test_the_state_cell_says_who_decided(item, state):
    from kb.exports.cells import status

    assert status(item) == state
