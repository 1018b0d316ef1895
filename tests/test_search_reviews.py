"""Search filters, facets and boosts follow reviewers' department decisions at once, like every other view."""

from __future__ import annotations

from kb import reviews
from kb.search import search


def _ids(res):
    return {r["id"].split(":")[-1] for r in res["results"]}


def test_an_added_department_is_found_by_the_department_filter(mon_kb):
    before = search("监护", dept="市审计局", limit=50)
    assert before["total"] == 0
    reviews.add_assignment("law-m13", "市审计局", "测试员", reason="审核添加", role="lead")
    after = search("监护", dept="市审计局", limit=50)
    assert "law-m13" in _ids(after) and after["total"] == len(after["results"])
    assert after["facets"]["department"].get("市审计局") == after["total"]
    assert "law-m13" in _ids(search("监护", dept="市审计局", role="lead", limit=50))


def test_a_rejected_department_leaves_filter_total_and_facets(mon_kb):
    before = search("家庭", dept="市妇联", limit=50)
    assert "family-m1" in _ids(before)
    reviews.reject_assignment("family-m1", "市妇联", "测试员", reason="审核删除")
    after = search("家庭", dept="市妇联", limit=50)
    assert "family-m1" not in _ids(after)
    assert after["total"] == before["total"] - 1 == len(after["results"])
    assert after["facets"]["department"]["市妇联"] == after["total"]
