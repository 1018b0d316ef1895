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


def test_review_errors_are_plain_chinese_with_codes_apart(reviewer):
    iid = item_id("health-m1")
    measure = item_id("health-m2")
    it = reviewer.get(f"/api/items/{iid}").get_json()
    absent = next(n for n in ("市文联", "市气象局", "市档案馆") if n not in {d["name"] for d in it["departments"]})
    cases = [
        ({"action": "link.add", "goal": measure}, "not_a_goal"),
        ({"action": "assignment.reject", "department": absent}, "not_on_item"),
        ({"action": "assignment.role", "department": it["departments"][0]["name"], "role": "boss"}, "bad_role"),
        ({"action": ""}, "unknown_action"),
        ({"action": "fly"}, "unknown_action"),
        ({"action": "assignment.accept"}, "missing_fields"),
    ]
    for body, code in cases:
        r = _post(reviewer, iid, body)
        data = r.get_json()
        assert r.status_code == 422 and data["code"] == code, (body, data)
        for internal in ("kind=", "用 add", "lead(", "co(", "assignment.", "'boss'", "department"):
            assert internal not in data["error"], (body, data["error"])
    assert _post(reviewer, iid, {"action": "fly"}).get_json()["allowed"][0] == "assignment.accept"
    assert _post(reviewer, iid, {"action": "assignment.accept"}).get_json()["missing"] == ["department"]
    r = reviewer.post(
        f"/api/items/{iid}/review",
        data="{oops",
        headers={"X-CSRF-Token": csrf(reviewer), "Content-Type": "application/json"},
    )
    data = r.get_json()
    assert r.status_code == 400 and data["code"] == "bad_json" and "Expecting" in data["detail"]
    assert "Bad Request" not in data["error"] and "Expecting" not in data["error"] and "JSON" in data["error"]


def test_queue_errors_are_plain_chinese(reviewer):
    token = csrf(reviewer)
    for body, code in (
        ({"item": item_id("health-m1"), "action": "fly"}, "unknown_action"),
        ({"action": "accept"}, "missing_fields"),
        ({"item": item_id("health-m1"), "action": "reassign", "department": "市卫健委"}, "missing_fields"),
    ):
        r = reviewer.post("/api/review/queue/act", json=body, headers={"X-CSRF-Token": token})
        data = r.get_json()
        assert r.status_code == 422 and data["code"] == code
        assert "可用" not in data["error"] and " to" not in data["error"] and "item" not in data["error"]


def test_an_undo_of_a_change_made_since_says_so_in_words(reviewer):
    iid = item_id("health-m1")
    dept = reviewer.get(f"/api/items/{iid}").get_json()["departments"][0]
    first = _post(reviewer, iid, {"action": "assignment.accept", "department": dept["name"]}).get_json()["audit_id"]
    role = "co" if dept["role"] == "lead" else "lead"
    later = _post(reviewer, iid, {"action": "assignment.role", "department": dept["name"], "role": role})
    r = reviewer.post(f"/api/reviews/{first}/undo", json={}, headers={"X-CSRF-Token": csrf(reviewer)})
    data = r.get_json()
    assert r.status_code == 409 and data["code"] == "changed_since" and data["later"] == later.get_json()["audit_id"]
    assert "--force" not in data["error"] and "assignment." not in data["error"] and "修改部门角色" in data["error"]
