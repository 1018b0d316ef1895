"""Review actions through the web: corrections show at once on item, department, search and graph pages."""

from __future__ import annotations

import re

import pytest
from web_support import csrf, item_id, make_user

M4 = item_id("health-m4")
G3 = item_id("health-g3")
G1 = item_id("health-g1")


def post(c, action: str, item: str = M4, **fields):
    """A review form post as the item page sends it."""
    return c.post(f"/items/{item}/review", data={"action": action, "csrf_token": csrf(c), **fields})


def api(c, action: str, item: str = M4, **fields):
    return c.post(f"/api/items/{item}/review", json={"action": action, **fields}, headers={"X-CSRF-Token": csrf(c)})


def duty_ids(c, dept: str) -> dict[str, str]:
    body = c.get(f"/api/departments/{dept}").get_json()
    return {e["id"]: e["role"] for g in body["groups"] for e in g["items"]}


def test_reject_assignment_reflects_everywhere_and_undo_restores(reviewer):
    assert M4 in duty_ids(reviewer, "市红十字会")
    resp = post(reviewer, "assignment.reject", department="市红十字会", reason="急救技能培训不由红会负责")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("#review")
    page = reviewer.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已保存:删除责任部门" in page
    assert M4 not in duty_ids(reviewer, "市红十字会")
    hits = reviewer.get("/api/search?q=急救&dept=市红十字会").get_json()
    assert M4 not in {r["id"] for r in hits["results"]}
    graph = reviewer.get(f"/api/graph?item={M4}").get_json()
    assert "dept:市红十字会" not in {n["id"] for n in graph["nodes"]}
    audit = reviewer.get("/api/reviews").get_json()["entries"]
    assert audit[0]["action"] == "assignment.reject" and audit[0]["actor"] == "reviewer1"
    assert audit[0]["reason"] == "急救技能培训不由红会负责"
    undo = reviewer.post(f"/reviews/{audit[0]['id']}/undo", data={"csrf_token": csrf(reviewer), "next": "/reviews"})
    assert undo.status_code == 302
    assert M4 in duty_ids(reviewer, "市红十字会")


def test_role_change_shows_on_department_and_item(reviewer):
    assert duty_ids(reviewer, "市红十字会")[M4] == "co"
    assert post(reviewer, "assignment.role:lead", department="市红十字会").status_code == 302
    assert duty_ids(reviewer, "市红十字会")[M4] == "lead"
    item = reviewer.get(f"/api/items/{M4}").get_json()
    assert "市红十字会" in item["answer"]["lead"]
    dept = next(d for d in item["departments"] if d["name"] == "市红十字会")
    assert dept["source"] == "reviewed" and dept["review"]["by"] == "reviewer1"


def test_add_department_via_api(reviewer):
    resp = api(reviewer, "assignment.add", department="市教育局", role="co", reason="学校急救培训")
    assert resp.status_code == 200 and resp.get_json()["ok"] is True
    assert duty_ids(reviewer, "教育局")[M4] == "co"


def test_link_add_and_remove(reviewer):
    assert api(reviewer, "link.add", goal=G1).status_code == 200
    serves = {s["id"] for s in reviewer.get(f"/api/items/{M4}").get_json()["serves"]}
    assert G1 in serves
    assert M4 in {m["id"] for m in reviewer.get(f"/api/items/{G1}").get_json()["served_by"]}
    assert api(reviewer, "link.remove", goal=G3).status_code == 200
    serves = {s["id"] for s in reviewer.get(f"/api/items/{M4}").get_json()["serves"]}
    assert G3 not in serves


def test_note_markdown_is_sanitised(reviewer):
    body = "**核实** <script>alert(1)</script> [链接](javascript:alert(2))"
    assert api(reviewer, "note.add", body=body).status_code == 200
    html = reviewer.get(f"/items/{M4}").get_data(as_text=True)
    note = html.split('class="note-body">', 1)[1].split("</div>", 1)[0]
    assert "<strong>核实</strong>" in note and "<script" not in note and "javascript:" not in note


@pytest.mark.parametrize(
    "fields,status,message",
    [
        ({"action": "explode"}, 422, "无法识别的审核操作"),
        ({"action": "assignment.reject"}, 422, "请填写部门"),
        ({"action": "assignment.reject", "department": "不存在的局"}, 422, "不存在的局"),
        ({"action": "assignment.role", "department": "市卫健委", "role": "boss"}, 422, "职责只能是牵头或配合"),
        ({"action": "link.add", "goal": item_id("health-m1")}, 422, "不是主要目标"),
        ({"action": "note.add", "body": "   "}, 422, "备注不能为空"),
    ],
)
def test_bad_review_input_is_a_clear_error(reviewer, fields, status, message):
    resp = reviewer.post(f"/api/items/{M4}/review", json=fields, headers={"X-CSRF-Token": csrf(reviewer)})
    body = resp.get_json()
    assert resp.status_code == status and body["ok"] is False and message in body["error"]


def test_bad_review_input_on_form_flashes_and_keeps_page(reviewer):
    resp = post(reviewer, "assignment.reject", department="不存在的局")
    assert resp.status_code == 302
    assert (
        "flash-error" in (page := reviewer.get(resp.headers["Location"]).get_data(as_text=True))
        and "不存在的局" in page
    )


def test_review_unknown_item_is_404(reviewer):
    resp = api(reviewer, "note.add", item="nothing-here", body="x")
    assert resp.status_code == 404 and resp.get_json()["status"] == 404


def test_item_page_shows_review_forms_only_to_reviewers(client):
    html = client.get(f"/items/{M4}").get_data(as_text=True)
    assert 'data-testid="add-dept-form"' not in html and "审核员登录" in html
    make_user()
    from web_support import sign_in

    sign_in(client)
    html = client.get(f"/items/{M4}").get_data(as_text=True)
    assert 'data-testid="add-dept-form"' in html
    assert len(re.findall(r'name="csrf_token" value="[^"]+"', html)) >= 5
    actions = re.findall(r'<form method="post" action="([^"]+)"', html)
    assert actions and all(a.startswith("/items/") for a in actions)  # forms post to HTML routes, not the API


def test_home_lists_latest_reviews(reviewer):
    post(reviewer, "assignment.accept", department="市卫健委", reason="确认")
    body = reviewer.get("/api/home").get_json()
    assert body["latest_reviews"][0]["action_label"] == "确认责任部门"


def test_audit_filters(reviewer):
    post(reviewer, "assignment.accept", department="市卫健委")
    assert reviewer.get("/api/reviews?actor=reviewer1").get_json()["total"] == 1
    assert reviewer.get("/api/reviews?actor=someone-else").get_json()["total"] == 0
    resp = reviewer.get("/api/reviews?since=not-a-time")
    assert resp.status_code == 400 and resp.get_json()["ok"] is False


def _goal_owners(c, goal: str) -> list[str]:
    goals = {g["id"]: g for d in c.get("/api/goals").get_json()["domains"] for g in d["goals"]}
    return goals[goal]["owners"]["lead"] + goals[goal]["owners"]["co"]


def _indicator_owners(c, goal: str) -> set[str]:
    rows = [r for r in c.get("/api/indicators").get_json()["indicators"] if r["item"]["id"] == goal]
    return {name for r in rows for name in r["owner"] + r["co"]}


def test_goals_and_targets_pages_follow_a_department_review_and_its_undo(reviewer):
    """Both pages are kept per state: a review changes what they show at once, and its undo changes it back."""
    rows = reviewer.get("/api/indicators").get_json()["indicators"]
    goal = next(r["item"]["id"] for r in rows if r["item"]["kind"] == "goal" and r["owner"] + r["co"])
    before = _goal_owners(reviewer, goal)
    dept = before[-1]
    assert dept in _indicator_owners(reviewer, goal)
    assert post(reviewer, "assignment.reject", item=goal, department=dept, reason="测试").status_code == 302
    assert dept not in _goal_owners(reviewer, goal)
    assert dept not in _indicator_owners(reviewer, goal)
    entry = reviewer.get("/api/reviews").get_json()["entries"][0]
    undo = reviewer.post(f"/reviews/{entry['id']}/undo", data={"csrf_token": csrf(reviewer), "next": "/reviews"})
    assert undo.status_code == 302
    assert _goal_owners(reviewer, goal) == before
    assert dept in _indicator_owners(reviewer, goal)


@pytest.mark.parametrize("notes,shown,more", [(0, 0, False), (2, 2, False), (3, 3, False), (5, 3, True)])
def test_an_item_page_shows_its_latest_history_and_links_to_the_rest(reviewer, monkeypatch, notes, shown, more):
    monkeypatch.setattr("webapp.reviewdata.HISTORY_ROWS", 3)  # the page size the table's counts are written for
    for n in range(notes):
        assert api(reviewer, "note.add", body=f"备注 {n}").status_code == 200
    body = reviewer.get(f"/api/items/{M4}").get_json()["reviews"]
    assert len(body["history"]) == shown
    if notes:  # newest first: the last note written heads the list
        assert [e["id"] for e in body["history"]] == sorted((e["id"] for e in body["history"]), reverse=True)
    page = reviewer.get(f"/items/{M4}").get_data(as_text=True)
    assert ("查看本条的全部审核记录" in page) is more
    if more:
        log = reviewer.get(body["history_more"].replace("/reviews", "/api/reviews", 1)).get_json()["entries"]
        assert len(log) == notes
    else:
        assert body["history_more"] is None


def test_the_audit_log_of_an_item_reads_short_ids_and_refuses_unknown_ones(reviewer):
    # /api/reviews?item=nope answered an empty 200, as if the item existed and nobody had reviewed it
    assert api(reviewer, "note.add", body="核对").status_code == 200
    full = reviewer.get(f"/api/reviews?item={M4}").get_json()
    short = reviewer.get("/api/reviews?item=health-m4").get_json()
    assert full["total"] == short["total"] >= 1 and short["filters"]["item"] == M4
    assert reviewer.get(f"/api/reviews?item={G3}").get_json()["total"] == 0  # a real item nobody reviewed
    missing = reviewer.get("/api/reviews?item=nope")
    assert missing.status_code == 404 and "找不到条目" in missing.get_json()["error"]
