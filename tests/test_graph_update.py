"""The graph brought up to date after department and link reviews (kb.graph.update) equals a fresh build_graph,
leaves the graph other threads still read unchanged, and is what the pages get once per department state."""

from __future__ import annotations

import pytest

from kb import reviews

ITEM = "yiyang-children-2021-2025:health-m4"
OTHER = "yiyang-children-2021-2025:health-m1"
GOAL = "yiyang-children-2021-2025:health-g1"


def _shape(g):
    return (
        {n: dict(a) for n, a in g.nodes(data=True)},
        {(u, v): dict(a) for u, v, a in g.edges(data=True)},
    )


def _first_lead(local_id: str) -> str:
    from kb.reviews import snapshot

    return next(d["name"] for d in snapshot.current().by_id[local_id]["departments"])


ACTIONS = {
    "add a department": lambda: reviews.add_assignment(ITEM, "市民政局", "amy", role="co"),
    "reject the lead": lambda: reviews.reject_assignment(ITEM, _first_lead(ITEM), "amy"),
    "change a role": lambda: reviews.set_role(OTHER, _first_lead(OTHER), "co", "amy"),
    "add a link": lambda: reviews.add_link(ITEM, "yiyang-children-2021-2025:safety-g1", "amy"),
    "remove a link": lambda: reviews.remove_link(OTHER, _first_goal(OTHER), "amy"),
    "a department only this item had": lambda: reviews.add_assignment(ITEM, "市退役军人事务局", "amy", role="co"),
}


def _first_goal(measure: str) -> str:
    from kb.reviews import snapshot

    return snapshot.current().by_id[measure]["serves"][0]


@pytest.mark.parametrize("actions", [["add a department"], ["reject the lead", "add a link"], list(ACTIONS)])
def test_updated_graph_equals_a_fresh_build(mon_kb, actions):
    from kb.graph import build_graph
    from kb.graph.update import updated_graph
    from kb.reviews import snapshot

    before = snapshot.current()
    old = build_graph(before.items, before.plans)
    old_shape = _shape(old)
    for name in actions:
        ACTIONS[name]()
    after = snapshot.current()
    changed = after.tags_changed_since(before.tags_version)
    assert changed and changed <= {ITEM, OTHER}
    new = updated_graph(old, after.by_id, changed)
    assert _shape(new) == _shape(build_graph(after.items, after.plans))
    assert _shape(old) == old_shape  # readers of the old graph see it as it was


def test_undoing_an_added_department_removes_its_node(mon_kb):
    from kb.graph import build_graph
    from kb.graph.update import updated_graph
    from kb.reviews import snapshot

    before = snapshot.current()
    old = build_graph(before.items, before.plans)
    aid = reviews.add_assignment(ITEM, "市退役军人事务局", "amy", role="co")
    mid = snapshot.current()
    g = updated_graph(old, mid.by_id, mid.tags_changed_since(before.tags_version))
    assert "dept:市退役军人事务局" in g
    reviews.undo(aid, by="amy")
    end = snapshot.current()
    g2 = updated_graph(g, end.by_id, end.tags_changed_since(mid.tags_version))
    assert "dept:市退役军人事务局" not in g2 and _shape(g2) == _shape(old)


def test_pages_share_one_graph_per_department_state(mon_kb):
    """A note leaves the graph the same object; a department review gives an updated one, not a rebuild."""
    from kb import graph as kbg
    from kb.reviews import snapshot
    from webapp.graphdata import kb_graph

    g = kb_graph(snapshot.current())
    assert kb_graph(snapshot.current()) is g
    reviews.add_note(ITEM, "备注不改变关系图", "amy")
    assert kb_graph(snapshot.current()) is g
    builds = []
    real = kbg.build_graph
    try:
        kbg.build_graph = lambda *a, **k: builds.append(1) or real(*a, **k)  # type: ignore[assignment]
        reviews.add_assignment(ITEM, "市民政局", "amy", role="co")
        g2 = kb_graph(snapshot.current())
    finally:
        kbg.build_graph = real  # type: ignore[assignment]
    assert g2 is not g and not builds
    assert "市民政局" in kbg.duties_of_item(g2, ITEM)["co"] and "市民政局" not in kbg.duties_of_item(g, ITEM)["co"]


@pytest.mark.parametrize("log_reaches_back", [True, False])
def test_tags_changed_since(mon_kb, monkeypatch, log_reaches_back):
    from kb.reviews import applied, snapshot

    if not log_reaches_back:
        monkeypatch.setattr(applied, "TAG_LOG", 1)
    start = snapshot.current().tags_version
    reviews.add_assignment(ITEM, "市民政局", "amy", role="co")
    reviews.add_note(OTHER, "备注", "amy")
    reviews.add_link(OTHER, GOAL, "amy")
    snap = snapshot.current()
    if log_reaches_back:
        assert snap.tags_changed_since(start) == {ITEM, OTHER}
    else:
        assert snap.tags_changed_since(start) is None  # older than the log: caches rebuild
    assert snap.tags_changed_since(snap.tags_version) == set()
