"""What a review's answer says (session 14 recheck, "Not fixed"): an add that keeps a lead says so, a reassign from a
body not on the item names the bodies that are, a queue decision says what was decided, the counter's x / y."""

from __future__ import annotations

import pytest
from web_support import csrf

from kb import reviews


def _tag(client, role: str, source: str = "inferred") -> tuple[str, str]:
    """(item, body) of the first item-level tag with this role and source in the queue."""
    for e in client.get("/api/review/queue?show=all").get_json()["entries"]:
        if e["type"] == "tag" and e["role"] == role and e["source"] == source and not e["clauses"]:
            return e["item"], e["department"]
    raise AssertionError(f"no {source} {role} tag in the queue")


def _roles(client, item: str) -> dict[str, str]:
    return {d["name"]: d["role"] for d in client.get(f"/api/items/{item}").get_json()["departments"]}


KEPT = "已是该条目的牵头单位"


@pytest.mark.parametrize(
    ("held", "asked", "kept"),
    [
        ("lead", "co", True),  # the co asked for is not applied: the answer says the body stays 牵头
        ("lead", "", True),  # no role given is an add as co
        ("lead", "lead", False),
        ("co", "co", False),
        ("co", "lead", False),  # an add promotes: nothing kept that was not asked for
    ],
)
def test_an_add_that_keeps_a_lead_says_so(reviewer, held, asked, kept):
    item, name = _tag(reviewer, held)
    body = {"action": "assignment.add", "department": name, **({"role": asked} if asked else {})}
    r = reviewer.post(f"/api/items/{item}/review", json=body, headers={"X-CSRF-Token": csrf(reviewer)})
    data = r.get_json()
    assert r.status_code == 200 and data["ok"]
    assert (KEPT in data["message"]) is kept and ("改为配合" in data["message"]) is kept
    assert data.get("kept_role") == ("lead" if kept else None)
    assert _roles(reviewer, item)[name] == ("lead" if "lead" in (held, asked) else "co")


def test_the_html_flash_says_the_lead_was_kept_and_a_second_add_too(reviewer):
    item, name = _tag(reviewer, "lead")
    token = csrf(reviewer)
    form = {"action": "assignment.add", "department": name, "role": "co", "csrf_token": token}
    r = reviewer.post(f"/items/{item}/review", data=form, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert f"{name} {KEPT}" in html and "改为配合" in html
    # the same add again changes nothing: the refusal says why, not only 此项已是这一状态
    r = reviewer.post(f"/api/items/{item}/review", json=form, headers={"X-CSRF-Token": token})
    assert r.status_code == 422 and KEPT in r.get_json()["error"]


def test_the_cli_add_says_the_lead_was_kept(reviewer, capsys):
    from kb.commands.review.decisions import cmd_assignment

    item, name = _tag(reviewer, "lead")
    args = type("A", (), {"action": "add", "item": item, "department": name, "by": "t", "reason": "", "role": None})
    assert cmd_assignment(args) == 0
    assert KEPT in capsys.readouterr().err
    assert reviews.reviewed_item(item)["departments"][0]["name"] == name


def _on_item(client, item: str) -> set[str]:
    return set(_roles(client, item))


def _lead_with_partner(client) -> tuple[str, str]:
    """(item, its lead) of a task item with one item-level lead and another body."""
    for it in reviews.reviewed_items(kind="measure"):
        leads = [d["name"] for d in it["departments"] if d["role"] == "lead"]
        if len(leads) == 1 and len(it["departments"]) > 1:
            return it["id"], leads[0]
    raise AssertionError("the default plan has measures with a lead and a partner")


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("absent", "not_on_item"),  # never on the item: nothing to reassign from, the bodies that are named
        ("rejected", "not_on_item"),  # removed by a reviewer: the same
        ("unknown", None),  # not in the registry: the unknown-name message, not this one
    ],
)
def test_a_reassign_from_a_body_not_on_the_item_names_the_bodies_that_are(reviewer, source, code):
    item, lead = _lead_with_partner(reviewer)
    token = csrf(reviewer)
    names = _on_item(reviewer, item)
    body = "不存在的局"
    if source == "absent":
        body = next(n for n in ("市文联", "市关工委", "市档案馆") if n not in names)
    if source == "rejected":
        body = next(n for n in names if n != lead)
        act = {"item": item, "department": body, "action": "reject"}
        assert reviewer.post("/api/review/queue/act", json=act, headers={"X-CSRF-Token": token}).status_code == 200
        names.discard(body)
    act = {"item": item, "department": body, "action": "reassign", "to": lead}
    r = reviewer.post("/api/review/queue/act", json=act, headers={"X-CSRF-Token": token})
    data = r.get_json()
    assert r.status_code == 422 and "请先添加" not in data["error"]
    assert data.get("code") == code
    if code:
        assert "没有可改派的职责" in data["error"] and all(n in data["error"] for n in names)
        assert {d["name"] for d in data["departments"]} == names
    assert _on_item(reviewer, item) == names  # nothing changed


def test_the_queue_page_flash_of_such_a_reassign_names_the_bodies(reviewer):
    item, lead = _tag(reviewer, "lead")
    form = {"item": item, "department": "市文联", "action": "reassign", "to": lead, "csrf_token": csrf(reviewer)}
    if "市文联" in _on_item(reviewer, item):
        form["department"] = "市关工委"
    html = reviewer.post("/review/queue/act", data=form, follow_redirects=True).get_data(as_text=True)
    assert "没有可改派的职责" in html and f"{lead}（牵头）" in html and "请先添加" not in html


def _queue_tag(client, role: str) -> tuple[str, str]:
    """(item, body) of an open item-level tag with this role on an item with another body (for 改派 onto it)."""
    for it in reviews.reviewed_items(kind="measure"):
        for d in it["departments"]:
            if d["role"] == role and d.get("source") == "inferred" and len(it["departments"]) > 1:
                return it["id"], d["name"]
    raise AssertionError(f"no open {role} tag")


@pytest.mark.parametrize(
    ("action", "said"),
    [
        ("accept", "已确认 {name} 为{role}单位"),
        ("reject", "已删除 {name} 在该条目的职责"),
        ("flip", "已将 {name} 改为{other}单位"),
        ("reassign", "已将 {name} 改派给 市文联({role}单位)"),
        ("take", "已指定 市文联 为牵头单位"),
    ],
)
@pytest.mark.parametrize("role", ["lead", "co"])
def test_a_queue_decision_says_what_was_decided(reviewer, action, said, role):
    item, name = _queue_tag(reviewer, role)
    labels = {"lead": "牵头", "co": "配合"}
    other = "co" if role == "lead" else "lead"
    form = {"item": item, "department": name, "action": other if action == "flip" else action}
    if action in ("reassign", "take"):
        form["to"] = "市文联"
    words = said.format(name=name, role=labels[role], other=labels[other])
    token = csrf(reviewer)
    r = reviewer.post("/api/review/queue/act", json=form, headers={"X-CSRF-Token": token})
    data = r.get_json()
    assert r.status_code == 200 and data["message"] == f"{words}(记录 #{data['audit_id']})"
    assert "已保存" not in data["message"]
    reviewer.post(f"/api/reviews/{data['audit_id']}/undo", json={}, headers={"X-CSRF-Token": token})
    if action == "reassign":  # a reassign is two entries: the undo above took back the removal only
        reviewer.post(
            "/api/items/" + item + "/review",
            json={"action": "assignment.reject", "department": "市文联"},
            headers={"X-CSRF-Token": token},
        )
    # the page's flash says the same
    html = reviewer.post("/review/queue/act", data={**form, "csrf_token": token}, follow_redirects=True)
    assert words in html.get_data(as_text=True)


def test_a_refused_queue_decision_says_why_not_that_it_was_saved(reviewer):
    item, _name = _queue_tag(reviewer, "lead")
    r = reviewer.post(
        "/api/review/queue/act",
        json={"item": item, "department": "不存在的局", "action": "accept"},
        headers={"X-CSRF-Token": csrf(reviewer)},
    )
    assert r.status_code == 422 and "message" not in r.get_json() and "已将" not in r.get_json()["error"]


def _built() -> dict[str, dict]:
    """The build's items as the tagger left them: a (a confident lead, a weak co), b (nobody leads it)."""
    from test_review_queue import _item
    from test_review_queue import _tag as tag

    return {
        "a": _item("a", [tag("市卫健委", "lead", confidence=0.9), tag("市教育局", confidence=0.4)]),
        "b": _item("b", [], needs_review=True, candidates=[{"name": "市民政局", "score": 0.3, "evidence": []}]),
    }


def _reviewed(name: str, role: str, decision: str) -> dict:
    review = {"by": "r1", "at": "2026-01-02", "reason": "", "decision": decision}
    return {"name": name, "role": role, "source": "reviewed", "confidence": 1.0, "evidence": [], "review": review}


def _rejected(item: str, name: str) -> dict:
    return {"kind": "assignment", "decision": "reject", "live_item": item, "target": name, "role": None,
            "actor": "r1", "updated_at": "2026-01-02"}  # fmt: skip


# (a's tags after the decision, b's, rejected rows, reviewed x after, entries open after) — y stays 3 (a's two tags,
# b's question); an item a review leaves without its lead is open again, beside the questions y counts
DECISIONS = {
    "none": (None, None, [], 0, 3),
    "accept the co": (["lead", _reviewed("市教育局", "co", "accept")], None, [], 1, 2),
    "reject the co": (["lead"], None, [("a", "市教育局")], 1, 2),
    "reassign the co": (["lead", _reviewed("市民政局", "co", "add")], None, [("a", "市教育局")], 1, 2),
    "add a body": (["lead", "co", _reviewed("市文联", "co", "add")], None, [], 0, 3),
    "add a body, then remove it": (["lead", "co"], None, [("a", "市文联")], 0, 3),
    "take a lead for b": (None, [_reviewed("市民政局", "lead", "add")], [], 1, 2),
    "reject a's only lead": (["co"], None, [("a", "市卫健委")], 1, 3),
}


@pytest.mark.parametrize("decision", list(DECISIONS))
def test_the_counter_counts_the_builds_questions_once(decision):
    from kb.reviews import queue

    built = _built()
    a_tags, b_tags, rejected, reviewed, still_open = DECISIONS[decision]
    base_a = built["a"]["departments"]
    pick = {"lead": base_a[0], "co": base_a[1]}
    items = [dict(built["a"]), dict(built["b"])]
    if a_tags is not None:
        items[0]["departments"] = [pick[t] if isinstance(t, str) else t for t in a_tags]
        if not any(d["role"] == "lead" for d in items[0]["departments"]):
            items[0]["needs_review"] = True  # as kb.reviews.overlay marks an item a review left without a lead
    if b_tags is not None:
        items[1]["departments"] = b_tags
    rows = queue.entries(items, [_rejected(i, n) for i, n in rejected], built)
    assert queue.counter(rows) == {"reviewed": reviewed, "total": 3, "open": still_open}
    if decision == "take a lead for b":  # the question stays, answered: shown as reviewed with its lead
        (b,) = [e for e in rows if e["item"] == "b" and e["type"] == "item"]
        assert b["reviewed"] and b["leads"] == ["市民政局"]
    # without the build's items (callers that have none) every entry counts, as before
    assert queue.counter(queue.entries(items, [_rejected(i, n) for i, n in rejected]))["total"] >= 3


def test_a_reassign_keeps_the_total_and_the_page_says_what_it_counts(reviewer):
    token = csrf(reviewer)
    before = reviewer.get("/api/review/queue").get_json()
    item, name = _queue_tag(reviewer, "co")
    act = {"item": item, "department": name, "action": "reassign", "to": "市文联"}
    assert reviewer.post("/api/review/queue/act", json=act, headers={"X-CSRF-Token": token}).status_code == 200
    after = reviewer.get("/api/review/queue").get_json()
    assert after["counter"] == {
        "reviewed": before["counter"]["reviewed"] + 1,
        "total": before["counter"]["total"],
        "open": before["counter"]["open"] - 1,
    }
    # the JSON twin and the page read the one counter, the tooltip says what x and y are
    html = reviewer.get("/review/queue").get_data(as_text=True)
    title = after["counter_title"]
    assert "改派" in title and "删除" in title
    c = after["counter"]
    assert f'title="{title}">已审核 {c["reviewed"]} / {c["total"]} · 待处理 {c["open"]}' in html
    one = reviewer.get(f"/api/review/queue?department={name}&show=all").get_json()
    page = reviewer.get(f"/review/queue?department={name}").get_data(as_text=True)
    assert f'title="{title}">{name} 已审核 {one["counter"]["reviewed"]} / {one["counter"]["total"]}' in page


@pytest.mark.parametrize(
    "a_tags, want",
    [
        # the co-unit a reviewer confirmed before removing the lead: offered at the tagger's 40%, not the review's 100%
        ([_reviewed("市教育局", "co", "accept")], {"市教育局": 0.4}),
        ([None], {"市教育局": 0.4}),  # still the tagger's tag: its own confidence
        ([_reviewed("市文联", "co", "add")], {"市文联": 0.0}),  # a body only a reviewer named: no tagger score
    ],
)
def test_an_unled_items_partners_score_the_taggers_confidence(a_tags, want):
    from kb.reviews import queue

    built = _built()
    co = built["a"]["departments"][1]
    item = dict(built["a"], departments=[t or co for t in a_tags], needs_review=True)
    rows = queue.entries([item], [_rejected("a", "市卫健委")], built)
    (entry,) = [e for e in rows if e["type"] == "item"]
    assert {c["name"]: c["score"] for c in entry["candidates"]} == want


def _cand(name: str, score: float) -> dict:
    return {"name": name, "score": score, "evidence": []}


@pytest.mark.parametrize(
    "co, held, want",
    [
        # a plan's "(教育部门牵头，卫生健康部门配合)" whose lead a reviewer removed: the named co-unit is offered
        # beside the topic words' bodies the note held back, at the tagger's confidence, highest first
        (
            [("市卫健委", 0.95)],
            [_cand("市文旅广体局", 0.55), _cand("市市场监管局", 0.45)],
            [("市卫健委", 0.95), ("市文旅广体局", 0.55), ("市市场监管局", 0.45)],
        ),
        ([("市卫健委", 0.4)], [_cand("市文旅广体局", 0.55)], [("市文旅广体局", 0.55), ("市卫健委", 0.4)]),
        ([("市卫健委", 0.95)], [_cand("市卫健委", 0.3)], [("市卫健委", 0.95)]),  # once, at its duty's score
        # negatives: no co-unit left, the tagger's candidates as they were; no candidates, the co-units as before
        ([], [_cand("市文旅广体局", 0.55)], [("市文旅广体局", 0.55)]),
        ([("市卫健委", 0.95)], [], [("市卫健委", 0.95)]),
    ],
)
def test_an_unled_item_offers_its_co_units_beside_the_taggers_candidates(co, held, want):
    from test_review_queue import _item
    from test_review_queue import _tag as tag

    from kb.reviews import queue

    cos = [tag(n, "co", "explicit", c) for n, c in co]
    built = {"a": _item("a", [tag("市教育局", "lead", "explicit", 0.95), *cos], candidates=held)}
    item = dict(built["a"], departments=cos, needs_review=True)
    rows = queue.entries([item], [_rejected("a", "市教育局")], built)
    (entry,) = [e for e in rows if e["type"] == "item"]
    assert [(c["name"], c["score"]) for c in entry["candidates"]] == want
