"""Search filters, facets and boosts follow reviewers' department decisions at once, like every other view."""

from __future__ import annotations

from collections import Counter

import pytest

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


REVIEWS = {
    "none": [],
    "added, unknown to the index, rejected": [
        lambda: reviews.add_assignment("law-m13", "市审计局", "测试员", role="lead"),
        lambda: reviews.add_assignment("family-m1", "市审计局", "测试员", role="co"),
        lambda: reviews.reject_assignment("family-m1", "市妇联", "测试员"),
    ],
}


@pytest.mark.parametrize("done", list(REVIEWS))
@pytest.mark.parametrize("query", ["家庭", "儿童 监护", "卫健委"])
def test_department_facets_count_every_hits_reviewed_departments(mon_kb, done, query):
    """The facet arrays kept per reviewed state count what each hit's departments are now, most first, ties in
    the order the hits first name them (collections.Counter.most_common over the hits in rank order)."""
    from kb.reviews import snapshot
    from kb.search import engine
    from kb.search.query import parse, refine
    from kb.search.ranked import DEPT_FACETS
    from kb.search.ranking import rank

    for write in REVIEWS[done]:
        write()
    snap = snapshot.current()
    eng = engine(snap)
    pq = parse(query, {})
    refine(pq, eng.ix.df)
    ranked = rank(eng, pq, None, 10, snap)
    assert len(ranked) > 0
    seq = [name for k in range(len(ranked)) for name in eng.item_depts(int(ranked.rows[k]), ranked.reviewed)]
    want = Counter(seq).most_common(DEPT_FACETS)
    assert list(ranked.facets()["department"].items()) == want
    assert list(search(query)["facets"]["department"].items()) == want
    if done != "none":
        assert ranked.reviewed and ("市审计局" in seq or query == "卫健委")  # the added one counted where it is hit
