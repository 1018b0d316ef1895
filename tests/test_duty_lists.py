"""One set of duties and one review state in the 责任清单, the queue and the department views (QA session 13)."""

from __future__ import annotations

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
