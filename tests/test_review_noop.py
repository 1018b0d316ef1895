"""Reviews that change nothing are refused with a Chinese reason and leave no audit entry (QA session 13, #19)."""

from __future__ import annotations

from web_support import csrf, item_id

from kb.reviews.core import UNCHANGED


def _post(client, item: str, body: dict):
    return client.post(f"/api/items/{item}/review", json=body, headers={"X-CSRF-Token": csrf(client)})


def _total(client) -> int:
    return client.get("/api/reviews").get_json()["total"]


def test_removing_a_link_that_does_not_exist_is_refused(reviewer):
    measure = item_id("health-m1")
    goal = item_id("law-g1")
    assert goal not in {s["id"] for s in reviewer.get(f"/api/items/{measure}").get_json()["serves"]}
    before = _total(reviewer)
    r = _post(reviewer, measure, {"action": "link.remove", "goal": goal})
    assert r.status_code == 422 and r.get_json()["error"] == "该措施未关联此目标\uff0c无需删除。"
    assert _total(reviewer) == before


def test_a_decision_made_again_is_refused_and_unrecorded(reviewer):
    iid = item_id("health-m1")
    it = reviewer.get(f"/api/items/{iid}").get_json()
    dept, role = it["departments"][0]["name"], it["departments"][0]["role"]
    served = it["serves"][0]["id"]
    assert _post(reviewer, iid, {"action": "assignment.accept", "department": dept}).status_code == 200
    assert _post(reviewer, iid, {"action": "link.remove", "goal": served}).status_code == 200
    before = _total(reviewer)
    for body in (
        {"action": "assignment.accept", "department": dept},  # accepted already
        {"action": "link.remove", "goal": served},  # removed already
    ):
        r = _post(reviewer, iid, body)
        assert r.status_code == 422 and r.get_json()["error"] in (UNCHANGED, "该措施未关联此目标\uff0c无需删除。")
    assert _total(reviewer) == before
    # a different decision on the same tag is a change and is recorded
    role = "co" if role == "lead" else "lead"
    assert _post(reviewer, iid, {"action": "assignment.role", "department": dept, "role": role}).status_code == 200
    assert _total(reviewer) == before + 1
