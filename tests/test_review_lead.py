"""An item keeps a lead through reviews, or says it has none: moving or naming a lead makes one, and an item a
review left without a lead is 待确认 in the queue and the 责任清单 (session 14 recheck)."""

from __future__ import annotations

import pytest
from web_support import csrf

from kb import reviews
from kb.reviews import queue, queue_actions


@pytest.fixture
def live(web_data, monkeypatch):
    monkeypatch.setenv("KB_DATA_DIR", str(web_data))
    return web_data


def _one_lead_and_a_partner() -> tuple[str, str, str]:
    """(item, its only lead, a partner) of a task item the build did not flag for review."""
    for it in reviews.reviewed_items():
        leads = [d["name"] for d in it["departments"] if d["role"] == "lead"]
        partners = [d["name"] for d in it["departments"] if d["role"] == "co"]
        if it.get("kind") in queue.KINDS and not it.get("needs_review") and len(leads) == 1 and partners:
            return it["id"], leads[0], partners[0]
    raise AssertionError("the default plan has items with one lead and a partner")


def _roles(item: str) -> dict[str, str]:
    return {d["name"]: d["role"] for d in reviews.reviewed_item(item)["departments"]}


def test_reassigning_the_lead_onto_a_partner_makes_the_partner_lead(live):
    # 改派 市卫健委 → 市教育局 on health-m3 left 市教育局 配合 and the item with no lead, silently
    item, lead, partner = _one_lead_and_a_partner()
    queue_actions.reassign(item, lead, partner, by="tester")
    roles = _roles(item)
    assert lead not in roles and roles[partner] == "lead"


def test_naming_a_partner_lead_makes_it_lead(live):
    # the queue's 由 X 牵头 / 指定牵头 on a body already on the item as 配合 confirmed it as 配合
    item, lead, partner = _one_lead_and_a_partner()
    reviews.add_assignment(item, partner, by="tester", role="lead")
    assert _roles(item)[partner] == "lead"
    reviews.add_assignment(item, lead, by="tester", role="co")  # the other way round still demotes nobody
    assert _roles(item)[lead] == "lead"


def test_an_item_a_review_left_without_a_lead_is_in_the_queue_and_the_list(reviewer):
    client = reviewer
    item, _lead, partner = _one_lead_and_a_partner()
    assert not any(
        e["type"] == "item" and e["item"] == item for e in client.get("/api/review/queue").get_json()["entries"]
    )
    detail = client.get(f"/api/items/{item}").get_json()
    leads = [d["name"] for d in detail["departments"] if d["role"] == "lead"]
    token = csrf(client)
    for name in leads:  # the reviewer removes every lead the tagger gave it
        r = client.post(
            "/api/review/queue/act",
            json={"item": item, "department": name, "action": "reject"},
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 200, r.get_json()
    data = client.get("/api/review/queue").get_json()
    unled = [e for e in data["entries"] if e["type"] == "item" and e["item"] == item]
    assert len(unled) == 1 and not unled[0]["reviewed"] and unled[0]["certainty"] == "review"
    partners = [d["name"] for d in client.get(f"/api/items/{item}").get_json()["departments"]]
    offered = {c["name"] for c in unled[0]["candidates"]}
    assert partner in partners and offered >= set(partners)  # its partners are offered as leads
    title = detail["item"]["title"]
    row = next(r for r in client.get("/download/plan.json").get_json()["rows"] if r["目标任务"].startswith(title))
    assert row["牵头单位"] == "" and row["依据"].startswith("牵头待确认")
    # one click on a partner gives it the lead: the entry is answered and leaves the queue
    r = client.post(
        "/api/review/queue/act",
        json={"item": item, "action": "take", "to": partner},
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 200, r.get_json()
    assert _lead_of(client, item) == [partner]
    after = client.get("/api/review/queue").get_json()
    assert not any(e["type"] == "item" and e["item"] == item for e in after["entries"])


def _lead_of(client, item: str) -> list[str]:
    return [d["name"] for d in client.get(f"/api/items/{item}").get_json()["departments"] if d["role"] == "lead"]


def test_the_item_page_lists_the_bodies_named_only_in_its_clauses(client):
    # 市教育局 is named only in law-m9's 3rd sentence: its department page, the queue and the 责任清单 listed the
    # duty (市教育局（第3句）), the item's 配合部门 and its JSON `departments` / `answer` did not
    from web_support import item_id

    iid = item_id("law-m9")
    data = client.get(f"/api/items/{iid}").get_json()
    mine = [d for d in data["departments"] if d["name"] == "市教育局"]
    assert len(mine) == 1 and mine[0]["where"] == "第3句" and mine[0]["role"] == "co"
    assert "市教育局" in data["answer"]["co"]
    row = next(r for r in client.get("/download/plan.json").get_json()["rows"] if "严厉查处使用童工" in r["目标任务"])
    listed = {n for cell in (row["牵头单位"], row["责任单位"]) for n in cell.split("、") if n}
    assert listed == {d["name"] + (f"\uff08{d['where']}\uff09" if d["where"] else "") for d in data["departments"]}
    html = client.get(f"/items/{iid}").get_data(as_text=True)
    answer = html[html.index('data-testid="answer"') : html.index("</section>", html.index('data-testid="answer"'))]
    assert 'data-dept="市教育局"' in answer and "\uff08第3句\uff09" in answer


def test_search_results_list_the_same_bodies_as_the_item_page(client):
    # a search result card listed the item-level tags only: law-m9's card had no 市教育局 while its page did
    from web_support import item_id

    iid = item_id("law-m9")
    page = {(d["name"], d["where"]) for d in client.get(f"/api/items/{iid}").get_json()["departments"]}
    hit = next(r for r in client.get("/api/search?q=使用童工").get_json()["results"] if r["id"] == iid)
    assert {(d["name"], d["where"]) for d in hit["departments"]} == page
    assert ("市教育局", "第3句") in page
    html = client.get("/search?q=使用童工").get_data(as_text=True)
    card = next(c for c in html.split('data-testid="result"')[1:] if "严厉查处使用童工等违法犯罪行为" in c)
    assert 'data-dept="市教育局"' in card and "\uff08第3句\uff09" in card


def test_a_confirmed_clause_level_duty_keeps_its_clauses_words(reviewer):
    # accepting 市教育局 on law-m9 (named only in its 3rd sentence) left the 依据 `市教育局[明确]` with no words and the
    # department page's phrases empty: the new item-level tag has none of its own
    from web_support import item_id

    iid = item_id("law-m9")
    before = client_row(reviewer, "严厉查处使用童工")["依据"]
    words = next(line for line in before.split("\n") if line.startswith("市教育局[")).split(":", 1)[1]
    r = reviewer.post(
        "/api/review/queue/act",
        json={"item": iid, "department": "市教育局", "action": "accept"},
        headers={"X-CSRF-Token": csrf(reviewer)},
    )
    assert r.status_code == 200, r.get_json()
    after = client_row(reviewer, "严厉查处使用童工")["依据"]
    assert f"市教育局[明确]:{words}" in after.split("\n")
    page = reviewer.get("/api/departments/市教育局").get_json()
    entry = next(i for g in page["groups"] for i in g["items"] if i["id"] == iid)
    assert entry["phrases"] and set(entry["phrases"]) == set(words.split("、"))


def client_row(client, title: str) -> dict:
    """The plan-wide 责任清单 row of the item whose task text starts with `title`."""
    return next(r for r in client.get("/download/plan.json").get_json()["rows"] if r["目标任务"].startswith(title))
