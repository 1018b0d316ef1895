"""Reviews survive rebuilds: exact, moved (renumbered), re-anchored (text edited) or reported orphaned."""

from __future__ import annotations

import pytest
from review_helpers import MINI, build_mini, depts, iid, item

from kb import reviews
from kb.reviews.anchoring import Universe, match_repair, similarity

M2 = (
    "有效控制儿童近视。加强0-6岁儿童眼保健和视力检查工作,减轻学生学业负担,组织学生做好眼保健操,市教育局、市卫健委负责。"
)
M3 = (
    "加强儿童心理健康服务。构建儿童心理健康教育、咨询服务、危机干预和心理援助公共服务网络,"
    "市卫健委、市教育局、市妇联按职责分工负责。"
)


def _uni(*items):
    uni = Universe()
    for _i, (iid_, kind, text) in enumerate(items):
        uni.add_item(
            {
                "id": iid_,
                "plan": "p",
                "kind": kind,
                "domain_code": "health",
                "fingerprint": f"fp{hash(text)}",
                "text": text,
                "title": text[:6],
            }
        )
    return uni


def _anchor(text, kind="measure"):
    return {"plan": "p", "kind": kind, "domain": "health", "fp": f"fp{hash(text)}", "text": text}


@pytest.mark.parametrize(
    "universe,review_on,anchor_text,expected",
    [
        ([("p:m2", "measure", M2), ("p:m3", "measure", M3)], "p:m2", M2, ("p:m2", "exact")),
        ([("p:m3", "measure", M2), ("p:m4", "measure", M3)], "p:m2", M2, ("p:m3", "moved")),  # renumbered
        ([("p:m2", "measure", M3), ("p:m3", "measure", M2)], "p:m2", M2, ("p:m3", "moved")),  # swapped
        (
            [("p:m2", "measure", M2.replace("减轻", "切实减轻")), ("p:m3", "measure", M3)],
            "p:m2",
            M2,
            ("p:m2", "reanchored"),
        ),  # edited in place
        ([("p:m9", "measure", M2.replace("眼保健操", "眼保健操和户外活动"))], "p:m2", M2, ("p:m9", "reanchored")),
        ([("p:m3", "measure", M3)], "p:m2", M2, (None, "orphaned")),  # deleted
        ([("p:g2", "goal", M2.replace("。", "", 1))], "p:m2", M2, (None, "orphaned")),  # other kind
    ],
)
def test_resolve_item(universe, review_on, anchor_text, expected):
    res = _uni(*universe).resolve_item(review_on, _anchor(anchor_text))
    assert (res.target, res.status) == expected


@pytest.mark.parametrize(
    "a,b,low,high",
    [
        (M2, M2, 1.0, 1.0),
        (M2, M2.replace("减轻", "切实减轻"), 0.9, 0.99),
        (M2, M3, 0.0, 0.5),
        ("", "", 0.0, 1.0),
    ],
)
def test_similarity(a, b, low, high):
    assert low <= similarity(a, b) <= high


LIVE = [
    {"id": "r1", "rule": "ti_people", "before": "", "after": "高", "context": "儿童医院建设,提儿童医疗服务"},
    {"id": "r2", "rule": "ti_people", "before": "", "after": "高", "context": "推动落实,提新生儿抢救成功"},
]


@pytest.mark.parametrize(
    "rid,anchor,expected",
    [
        ("r1", {}, ("r1", "exact")),
        (
            "old",
            {"rule": "ti_people", "before": "", "after": "高", "context": "儿童医院建设,提儿童医疗服务"},
            ("r1", "reanchored"),
        ),
        (
            "old",
            {"rule": "ti_people", "before": "", "after": "高", "context": "儿童医院建设。提儿童医疗服务"},
            ("r1", "reanchored"),
        ),
        (
            "old",
            {"rule": "ti_people", "before": "", "after": "高", "context": "完全不同的上下文内容"},
            (None, "orphaned"),
        ),
        (
            "old",
            {"rule": "other", "before": "", "after": "高", "context": "儿童医院建设,提儿童医疗服务"},
            (None, "orphaned"),
        ),
    ],
)
def test_match_repair(rid, anchor, expected):
    res = match_repair(rid, anchor, LIVE)
    assert (res.target, res.status) == expected


def _rebuild(monkeypatch, kb_data, text):
    build_mini(monkeypatch, kb_data, text)


@pytest.mark.slow
def test_review_follows_slightly_edited_text(mini, monkeypatch, kb_data):
    reviews.reject_assignment("health-m3", "市妇联", "amy")
    reviews.add_note("health-m3", "跟踪", "amy")
    text = MINI.read_text(encoding="utf-8").replace("危机干预和心理援助", "危机干预、心理援助")
    _rebuild(monkeypatch, kb_data, text)
    assert "危机干预、心理援助" in item("health-m3")["text"]
    assert "市妇联" not in {d[0] for d in depts("health-m3")}
    assert [n["body"] for n in item("health-m3")["notes"]] == ["跟踪"]
    assert {r["status"] for r in reviews.list_reviews()} == {"reanchored"}
    assert reviews.reanchor("amy") == 2  # persisted: exact from now on
    assert {r["status"] for r in reviews.list_reviews()} == {"exact"}
    assert reviews.audit_log()[-1]["action"] == "reanchor"


@pytest.mark.slow
def test_review_follows_content_when_items_are_renumbered(mini, monkeypatch, kb_data):
    reviews.reject_assignment("health-m3", "市妇联", "amy")
    text = MINI.read_text(encoding="utf-8")
    for n, opening in ((3, "加强儿童心理"), (2, "有效"), (1, "完善")):  # a new measure 1 pushes the others down
        text = text.replace(f"\n{n}.{opening}", f"\n{n + 1}.{opening}")
    text = text.replace("\n2.完善", "\n1.新增一项措施。做好儿童健康宣传,市卫健委负责。\n\n2.完善", 1)
    _rebuild(monkeypatch, kb_data, text)
    assert item("health-m4")["title"] == "加强儿童心理健康服务"
    assert "市妇联" not in {d[0] for d in depts("health-m4")}
    assert ("市妇联", "co", "explicit") not in depts("health-m3")
    [row] = reviews.list_reviews()
    assert (row["status"], row["live_item"]) == ("moved", iid("health-m4"))


def test_review_on_deleted_item_is_kept_and_reported(mini, monkeypatch, kb_data):
    reviews.add_assignment("education-m2", "市财政局", "amy")
    reviews.reject_assignment("health-m1", "市卫健委", "amy")
    text = MINI.read_text(encoding="utf-8")
    start = text.index("2.巩固义务教育")
    text = text[:start] + text[text.index("三、组织实施") :]
    _rebuild(monkeypatch, kb_data, text)
    [orphan] = reviews.orphans()
    assert (orphan["item"], orphan["target"], orphan["status"]) == (iid("education-m2"), "市财政局", "orphaned")
    assert len(reviews.list_reviews()) == 2  # kept, never dropped
    assert ("市卫健委", "lead", "explicit") not in depts("health-m1")
    assert reviews.reanchor("amy") == 0  # orphans stay as they were
    _rebuild(monkeypatch, kb_data, MINI.read_text(encoding="utf-8"))  # the item comes back: so does the review
    assert ("市财政局", "co", "reviewed") in depts("education-m2")
    assert reviews.orphans() == []


def test_new_review_on_reanchored_item_updates_the_same_row(mini, monkeypatch, kb_data):
    reviews.set_role("health-m3", "市教育局", "lead", "amy")
    text = MINI.read_text(encoding="utf-8").replace("危机干预和心理援助", "危机干预、心理援助")
    _rebuild(monkeypatch, kb_data, text)
    reviews.set_role("health-m3", "市教育局", "co", "bob")
    [row] = reviews.list_reviews()
    assert (row["role"], row["status"], row["actor"]) == ("co", "exact", "bob")
