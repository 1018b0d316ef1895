"""Page text that showed internals: the home page's latest reviews name items by title, and a repair says its rule
and confidence in words (kb.labels, nlp/data/labels.json)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from web_support import PLAN, csrf, item_id

M1 = item_id("health-m1")


def _has_cjk(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


def test_home_latest_reviews_name_the_item_by_title(reviewer):
    reviewer.post(f"/items/{M1}/review", data={"action": "assignment.accept", "department": "市卫健委",
                                               "csrf_token": csrf(reviewer)})  # fmt: skip
    entry = reviewer.get("/api/home").get_json()["latest_reviews"][0]
    title = reviewer.get(f"/api/items/{M1}").get_json()["title"]
    assert entry["item_title"] == title
    html = reviewer.get("/").get_data(as_text=True)
    assert f">{title}</a>" in html and ">health-m1</a>" not in html


def test_every_repair_of_the_build_has_a_rule_and_confidence_in_words(built_kb_env):
    from kb.labels import repair_confidence_label, repair_rule_label
    from kb.store import KB

    with KB() as kb:
        repairs = kb.repairs(PLAN)
    assert repairs
    unlabelled = sorted({r["rule"] for r in repairs if not _has_cjk(repair_rule_label(r["rule"]))})
    assert unlabelled == []
    for r in repairs:
        words = repair_confidence_label(r["confidence"])
        assert _has_cjk(words) and f"{r['confidence'] * 100:.0f}%" in words


@pytest.mark.parametrize("rule", ["hard_wrap", "run_on_split", "word_space"])
def test_layout_rules_share_the_one_vocabulary(rule):
    from kb.labels import REPAIR_RULE, repair_rule_label

    assert repair_rule_label(rule) == REPAIR_RULE[rule] and _has_cjk(REPAIR_RULE[rule])


@pytest.mark.parametrize(
    ("confidence", "words"),
    [(0.95, "把握很大"), (0.9, "把握很大"), (0.8, "把握较大"), (0.75, "把握较大"), (0.5, "把握不大")],
)
def test_confidence_words_follow_the_apply_threshold(confidence, words):
    from kb.labels import repair_confidence_label

    assert repair_confidence_label(confidence).startswith(words)


def test_item_page_repairs_show_no_rule_codes(client):
    body = client.get(f"/api/items/{M1}").get_json()
    rules = {r["rule"] for r in body["marked"]["repairs"]}
    assert {"title_stop", "sentence_stop"} <= rules  # the two the QA pass saw as codes
    html = client.get(f"/items/{M1}").get_data(as_text=True)
    basis = re.findall(r'data-testid="repair-basis">([^<]*)<', html)
    assert len(basis) == len(body["marked"]["repairs"])
    for text in basis:
        assert not re.search(r"[a-z_]{3,}|0\.\d\d", text), text
    assert "条目标题后补句号" in html and "按断句习惯补句号" in html
    assert "规则 title_stop" not in html and "置信度 0.75" not in html


@pytest.mark.parametrize(("short", "wording"), [("health-g8.i1", "较2020年下降"), ("health-g2.i1", "≥90%")])
def test_a_target_reads_the_same_on_every_page(client, short, wording):
    """/targets, the department page, the item page and the monitoring page word one target alike."""
    iid = item_id(short)
    row = next(r for r in client.get("/api/indicators").get_json()["indicators"] if r["id"] == iid)
    goal = client.get(f"/api/items/{row['item']['id']}").get_json()
    on_item = next(i["display"] for i in goal["indicators"] if i["id"] == iid)
    lead = row["owner"][0]
    dept = client.get(f"/api/departments/{lead}").get_json()
    on_dept = {i["display"] for g in dept["groups"] for e in g["items"] for i in e["indicators"] if i["id"] == iid}
    on_monitoring = client.get(f"/api/monitoring/indicator/{iid}").get_json()["indicator"]["target"]
    assert (row["display"], on_item, on_dept, on_monitoring) == (wording, wording, {wording}, wording)
    assert wording in client.get("/targets").get_data(as_text=True)


class _Marks(HTMLParser):
    """Each 明确/推断 mark of a page with the classes of the elements around it."""

    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, set[str]]] = []
        self.marks: list[set[str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-mark" in a:
            self.marks.append({c for _t, cls in self.stack for c in cls} | {f"mark:{a['data-mark']}"})
        if tag not in self.VOID:
            self.stack.append((tag, set((a.get("class") or "").split())))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass


def _marks(html: str) -> list[set[str]]:
    parser = _Marks()
    parser.feed(html)
    return parser.marks


@pytest.mark.parametrize("url", [f"/items/{M1}", "/departments/市卫健委", "/search?q=近视"])
def test_each_mark_sits_inside_its_badge(client, url):
    """A wrapped row never leaves a body's 明确/推断 beside the next body's badge."""
    marks = _marks(client.get(url).get_data(as_text=True))
    assert marks
    # outside a badge only: the item page's table of bodies (one row each) and a missing lead's 待确认
    loose = [m for m in marks if "badge" not in m and "depts-table" not in m and "mark:review" not in m]
    assert loose == []
    assert any("badge" in m for m in marks)
