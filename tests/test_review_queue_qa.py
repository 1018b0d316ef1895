"""The review queue against session 13's QA steps: aliases and unknown names, the counter, pages, long fields."""

from __future__ import annotations

from web_support import csrf


def test_the_filter_takes_an_alias_and_traditional_characters(client):
    canonical = client.get("/api/review/queue?department=市教育局").get_json()
    assert canonical["matching"] > 0 and canonical["department"] == "市教育局"
    for alias in ("教育局", "益阳市教育局"):
        data = client.get(f"/api/review/queue?department={alias}").get_json()
        assert data["department"] == "市教育局" and data["matching"] == canonical["matching"]
    assert client.get("/api/review/queue?department=衛健委").get_json()["department"] == "市卫健委"
    html = client.get("/review/queue?department=教育局").get_data(as_text=True)
    assert "没有待审核的标注" not in html and 'value="市教育局" selected' in html


def test_department_pages_take_traditional_characters_as_search_does(client):
    r = client.get("/departments/衛健委")
    assert r.status_code == 302 and r.headers["Location"].endswith("/departments/%E5%B8%82%E5%8D%AB%E5%81%A5%E5%A7%94")
    assert client.get("/api/departments/衛生健康委員會").get_json()["name"] == "市卫健委"


def test_an_unknown_department_is_a_404_with_suggestions(client):
    r = client.get("/api/review/queue?department=教育居")
    body = r.get_json()
    assert r.status_code == 404 and not body["ok"] and "未找到部门" in body["error"]
    assert any(s["label"] == "市教育局" for s in body["suggestions"])
    # each closest name opens the queue filtered to it (they linked to the department pages)
    hint = next(s for s in body["suggestions"] if s["label"] == "市教育局")
    assert hint["url"].startswith("/review/queue?") and client.get(hint["url"]).status_code == 200
    assert client.get("/review/queue?department=不存在").status_code == 404


def test_the_counter_is_the_filtered_departments(client):
    everyone = client.get("/api/review/queue?show=all").get_json()
    one = client.get("/api/review/queue?department=卫健委&show=all").get_json()
    assert one["counter"]["total"] == one["matching"] < everyone["counter"]["total"]
    html = client.get("/review/queue?department=卫健委").get_data(as_text=True)
    assert f"市卫健委 已审核 0 / {one['counter']['total']}" in html


def test_bad_pages_are_400_and_a_page_past_the_last_says_so(client):
    search = client.get("/api/search?q=儿童&page=0").get_json()["error"]
    for bad in ("0", "abc", "-1"):
        r = client.get(f"/api/review/queue?page={bad}")
        assert r.status_code == 400 and r.get_json()["error"] == search
    data = client.get("/api/review/queue").get_json()
    past = client.get(f"/api/review/queue?page={data['pages'] + 1}").get_json()
    assert past["beyond"] and past["entries"] == [] and past["matching"] == data["matching"]
    html = client.get(f"/review/queue?page={data['pages'] + 1}").get_data(as_text=True)
    assert "超出了最后一页" in html and "没有待审核的标注" not in html
    assert not data["beyond"]


def test_bulk_accept_resolves_aliases_and_refuses_unknown_names(reviewer):
    token = csrf(reviewer)
    open_bulk = next(d for d in reviewer.get("/api/review/queue").get_json()["departments"] if d["name"] == "市卫健委")
    assert open_bulk["bulk"] > 0
    r = reviewer.post("/api/review/queue/bulk", json={"department": "卫健委"}, headers={"X-CSRF-Token": token})
    body = r.get_json()
    assert r.status_code == 200 and body["department"] == "市卫健委" and body["accepted"] == open_bulk["bulk"]
    r = reviewer.post("/api/review/queue/bulk", json={"department": "不存在"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 404 and not r.get_json()["ok"] and "未找到部门" in r.get_json()["error"]
    r = reviewer.post("/api/review/queue/bulk", json={}, headers={"X-CSRF-Token": token})
    assert r.status_code == 422
    before = reviewer.get("/api/reviews").get_json()["total"]
    r = reviewer.post("/review/queue/bulk", data={"department": "不存在", "csrf_token": token})
    assert r.status_code == 302 and reviewer.get("/api/reviews").get_json()["total"] == before


def test_long_fields_are_kept_or_refused_never_dropped(reviewer):
    from webapp.review import MAX_TEXT

    token = csrf(reviewer)
    tags = [e for e in reviewer.get("/api/review/queue").get_json()["entries"] if e["type"] == "tag"]
    reason = "理由" * 2500  # 5,000 characters: the queue used to save it as ""
    act = {"item": tags[0]["item"], "department": tags[0]["department"], "action": "accept", "reason": reason}
    r = reviewer.post("/api/review/queue/act", json=act, headers={"X-CSRF-Token": token})
    assert r.status_code == 200
    saved = reviewer.get("/api/reviews").get_json()["entries"][0]
    assert saved["id"] == r.get_json()["audit_id"] and saved["reason"] == reason
    before = reviewer.get("/api/reviews").get_json()["total"]
    act = {
        "item": tags[1]["item"],
        "department": tags[1]["department"],
        "action": "accept",
        "reason": "长" * (MAX_TEXT + 1),
    }
    r = reviewer.post("/api/review/queue/act", json=act, headers={"X-CSRF-Token": token})
    assert r.status_code == 413 and not r.get_json()["ok"] and str(MAX_TEXT) in r.get_json()["error"]
    r = reviewer.post(
        "/api/review/queue/bulk",
        json={"department": "市卫健委", "reason": "长" * (MAX_TEXT + 1)},
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 413
    assert reviewer.get("/api/reviews").get_json()["total"] == before
