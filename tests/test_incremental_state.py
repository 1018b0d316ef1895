"""The reviewed state kept incrementally (issue 14 item 7): after each kind of review the values pages read (the
duty index and department names, goal → serving measures, items with department reviews, an item's history)
equal a from-scratch computation, and a write updates them instead of computing them again."""

from __future__ import annotations

import json

import pytest

from kb import reviews

PLAN = "yiyang-children-2021-2025"
ITEM, OTHER = f"{PLAN}:health-m4", f"{PLAN}:health-m1"
SAFETY_GOAL = f"{PLAN}:safety-g1"


def _lead(item: str) -> str:
    from kb.reviews import snapshot

    return next(d["name"] for d in snapshot.current().by_id[item]["departments"])


def _first_goal(item: str) -> str:
    from kb.reviews import snapshot

    return snapshot.current().by_id[item]["serves"][0]


def _reassign() -> None:
    old = _lead(ITEM)
    reviews.set_role(ITEM, old, "co", "amy")
    reviews.add_assignment(ITEM, "市民政局", "amy", role="lead")


def _added() -> int:
    return reviews.add_assignment(ITEM, "市退役军人事务局", "amy", role="co")


def _undone() -> int:
    return reviews.undo(reviews.add_assignment(OTHER, "市民政局", "amy", role="co"), by="amy")


def _none() -> None:
    return None


# name → (what is there before, read by the pages; the change, given what the setup returned; whether the change
# moves departments or links)
CHANGES = {
    "department add": (_none, lambda _: reviews.add_assignment(ITEM, "市民政局", "amy", role="co"), True),
    "department only this item names": (_none, lambda _: _added(), True),
    "department reject": (_none, lambda _: reviews.reject_assignment(ITEM, _lead(ITEM), "amy"), True),
    "role change": (_none, lambda _: reviews.set_role(OTHER, _lead(OTHER), "co", "amy"), True),
    "reassign the lead": (_none, lambda _: _reassign(), True),
    "link add": (_none, lambda _: reviews.add_link(ITEM, SAFETY_GOAL, "amy"), True),
    "link reject": (_none, lambda _: reviews.remove_link(OTHER, _first_goal(OTHER), "amy"), True),
    "undo of an add": (_added, lambda aid: reviews.undo(aid, by="amy"), True),
    "undo of an undo": (_undone, lambda uid: reviews.undo(uid, by="amy"), True),
    "note": (_none, lambda _: reviews.add_note(ITEM, "**核对**口径", "amy"), False),
    "note removed": (
        lambda: reviews.add_note(ITEM, "待删", "amy")[0],
        lambda note: reviews.remove_note(note, "amy", item=ITEM),
        False,
    ),
}


def _serving(items):
    out: dict[str, list[str]] = {}
    for it in items:
        for goal in it["serves"]:
            out.setdefault(goal, []).append(it["id"])
    return out


def _dept_reviewed(state) -> frozenset[str]:
    return frozenset(
        i for i, rids in state.per_item.items() if any(state.rows[r]["kind"] == "assignment" for r in rids)
    )


@pytest.mark.parametrize("change", list(CHANGES))
def test_each_review_kind_updates_what_pages_read_to_the_from_scratch_value(mon_kb, change):
    from kb.reviews import dutyindex, snapshot, statecache
    from webapp.lookup import _duty_index, department_names

    setup, do, moves_tags = CHANGES[change]
    made = setup()
    before = snapshot.current()
    held = _duty_index(before)  # what a page computed before the write
    computed, updated = statecache.computed["duty_index"], statecache.updated["duty_index"]
    do(made)
    after = snapshot.current()
    index = _duty_index(after)
    fresh = dutyindex.build(after.items)
    assert (index.by_name, index.of_item, index.names) == (fresh.by_name, fresh.of_item, fresh.names)
    assert department_names(after) == fresh.names
    assert statecache.computed["duty_index"] == computed  # a write never computes the index again
    assert statecache.updated["duty_index"] == updated + moves_tags  # a note leaves it as it was
    assert (index is held) is not moves_tags
    assert after.serving == _serving(after.items)
    assert after.dept_reviewed == _dept_reviewed(snapshot._state)
    if moves_tags:
        assert after.tags_changed_since(before.tags_version)


@pytest.mark.parametrize("change", list(CHANGES))
def test_each_review_kind_updates_the_review_queue_to_the_from_scratch_queue(mon_kb, change):
    from kb.reviews import queue, snapshot, statecache
    from kb.reviews.overlay import list_reviews
    from webapp.queue import queue_state

    setup, do, moves_tags = CHANGES[change]
    made = setup()
    held = queue_state(snapshot.current())  # what the queue page computed before the write
    computed, updated = statecache.computed["review_queue"], statecache.updated["review_queue"]
    do(made)
    after = snapshot.current()
    state = queue_state(after)
    fresh = queue.entries(after.items, list_reviews(kind="assignment"), after.build.base)
    assert state["rows"] == fresh
    assert state["counter"] == queue.counter(fresh) and state["departments"] == queue.departments(fresh)
    assert statecache.computed["review_queue"] == computed  # a write never makes the queue again
    assert statecache.updated["review_queue"] == updated + moves_tags
    assert (state is held) is not moves_tags
    if change == "department reject":  # the decision shows at once: counted as reviewed
        assert state["counter"]["reviewed"] == held["counter"]["reviewed"] + 1
    if change == "department add":  # a body the tagger did not name: shown as reviewed, not a question in x / y
        assert state["counter"] == held["counter"]
        assert any(e["department"] == "市民政局" and e["reviewed"] for e in state["rows"] if e["item"] == ITEM)


def test_the_old_index_is_left_as_threads_read_it(mon_kb):
    from kb.reviews import dutyindex, snapshot

    before = snapshot.current()
    old = dutyindex.build(before.items)
    frozen = json.dumps([old.by_name, old.of_item, sorted(old.names)], sort_keys=True, ensure_ascii=False)
    for name in ("department only this item names", "department reject", "link add"):
        CHANGES[name][1](None)
    after = snapshot.current()
    new = dutyindex.updated(old, after.by_id, after.tags_changed_since(before.tags_version), after.build.position)
    assert json.dumps([old.by_name, old.of_item, sorted(old.names)], sort_keys=True, ensure_ascii=False) == frozen
    assert "市退役军人事务局" in new.names and "市退役军人事务局" not in old.names
    fresh = dutyindex.build(after.items)
    assert (new.by_name, new.of_item) == (fresh.by_name, fresh.of_item)


def test_a_department_left_without_duties_leaves_the_names(mon_kb):
    from kb.reviews import dutyindex, snapshot

    aid = reviews.add_assignment(ITEM, "市退役军人事务局", "amy", role="co")
    mid = snapshot.current()
    index = dutyindex.build(mid.items)
    assert [d[0] for d in index.by_name["市退役军人事务局"]] == [ITEM]
    reviews.undo(aid, by="amy")
    end = snapshot.current()
    new = dutyindex.updated(index, end.by_id, end.tags_changed_since(mid.tags_version), end.build.position)
    assert "市退役军人事务局" not in new.names and "市退役军人事务局" not in new.by_name and ITEM in new.of_item
    assert new.by_name == dutyindex.build(end.items).by_name


def _reference_log() -> list[dict]:
    """The whole audit log with undone_by, as the pages computed it before (every row read and parsed)."""
    from kb.store.durable import durable_connection

    conn = durable_connection()
    try:
        rows = [dict(r) for r in conn.execute("SELECT * FROM audit ORDER BY at, id")]
        undone = {r["undoes"]: r["id"] for r in conn.execute("SELECT id, undoes FROM audit WHERE undoes IS NOT NULL")}
    finally:
        conn.close()
    for r in rows:
        r["before"] = json.loads(r["before"]) if r["before"] else None
        r["after"] = json.loads(r["after"]) if r["after"] else None
        r["undone_by"] = undone.get(r["id"])
    return rows


def _history() -> list[int]:
    """A history with undo chains on ITEM, entries on OTHER, a note; the audit ids written."""
    ids = [reviews.add_assignment(ITEM, "市民政局", "amy", role="co")]
    ids.append(reviews.undo(ids[0], by="amy"))
    ids.append(reviews.undo(ids[1], by="bob"))  # 恢复
    ids.append(reviews.add_link(OTHER, SAFETY_GOAL, "bob"))
    ids.append(reviews.add_note(ITEM, "核对", "amy")[1])
    ids.append(reviews.set_role(ITEM, "市民政局", "lead", "bob"))
    ids.append(reviews.undo(ids[-1], by="amy"))
    ids.append(reviews.undo(ids[3], by="amy"))
    return ids


@pytest.mark.parametrize(
    "filters, pick",
    [
        ({"item": ITEM}, lambda rows: [r for r in rows if r["item"] == ITEM]),
        ({"item": "health-m4"}, lambda rows: [r for r in rows if r["item"] == ITEM]),  # short id
        ({"item": OTHER}, lambda rows: [r for r in rows if r["item"] == OTHER]),
        ({"item": f"{PLAN}:health-m9"}, lambda rows: []),  # no history
        ({"limit": 3}, lambda rows: rows[-3:]),
        ({"actor": "bob"}, lambda rows: [r for r in rows if r["actor"] == "bob"]),
        ({}, lambda rows: rows),
    ],
)
def test_history_read_by_index_reads_as_the_whole_log_did(app, web_data, filters, pick):
    from webapp import reviewdata

    ids = _history()
    full = _reference_log()
    by_id = {e["id"]: e for e in full}
    with app.test_request_context():
        expected = [reviewdata.entry_view(e, by_id) for e in reversed(pick(full))]
        assert reviewdata.audit(**filters) == expected
        for aid in ids:
            assert reviewdata.entry(aid) == reviewdata.entry_view(by_id[aid], by_id)
        assert reviewdata.entry(10**6) is None and reviewdata.entry(0) is None and reviewdata.entry(2**70) is None
    states = {e["id"]: (e["undoable"], e["redoable"]) for e in expected}
    if filters.get("item") == ITEM:  # the chain: add → undo → 恢复; role → undo
        assert states[ids[0]] == (True, False) and states[ids[5]] == (False, True)


@pytest.mark.parametrize(
    "sql, index",
    [
        ("SELECT * FROM audit WHERE 1=1 AND item = ? ORDER BY at, id", "audit_item"),
        ("SELECT id, undoes FROM audit WHERE undoes IN (?, ?) ORDER BY id", "audit_undoes"),
    ],
)
def test_history_queries_use_an_index_not_a_scan(mon_kb, sql, index):
    from kb.store.durable import durable_connection

    reviews.add_note(ITEM, "x", "amy")
    conn = durable_connection()
    try:
        plan = " ".join(r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, [ITEM] if "item" in sql else [1, 2]))
    finally:
        conn.close()
    assert f"USING INDEX {index}" in plan or f"USING COVERING INDEX {index}" in plan, plan


def _graph_neighbours(snap, g, it):
    """An item's neighbours as the item page read them from the networkx graph (kb.graph) before."""
    from kb import graph as kbg
    from webapp.graphdata import RELATION_LABELS
    from webapp.lookup import brief

    out, seen = [], {it["id"]}

    def add(other_id, relation):
        if other_id in snap.by_id and other_id not in seen:
            seen.add(other_id)
            out.append(
                {**brief(snap.by_id[other_id]), "relation": relation, "relation_label": RELATION_LABELS[relation]}
            )

    if it["id"] not in g:
        return out
    goals = [x for x in kbg.served_goals(g, it["id"]) if x != it["id"]]
    for goal in goals:
        add(goal, "serves")
    for m in kbg.goal_measures(g, it["id"]):
        add(m["measure"], "served_by")
    for goal in goals:
        for m in kbg.goal_measures(g, goal):
            add(m["measure"], "sibling")
    return out


@pytest.mark.parametrize("changes", [[], ["link add", "link reject", "department add"]])
def test_neighbours_from_the_snapshot_are_the_graphs(app, web_data, changes):
    from kb.graph import build_graph
    from kb.reviews import snapshot
    from webapp.graphdata import neighbours

    for name in changes:
        CHANGES[name][1](None)
    snap = snapshot.current()
    g = build_graph(snap.items, snap.plans)
    with app.test_request_context():
        for it in snap.items:  # every kind: goals, measures, and items outside the graph (none)
            assert neighbours(snap, it) == _graph_neighbours(snap, g, it), it["id"]
        assert any(neighbours(snap, it) for it in snap.items)


def test_an_item_page_after_a_review_leaves_the_graph_to_graph_views(reviewer):
    from kb.reviews import statecache

    assert reviewer.get(f"/graph?item={ITEM}").status_code == 200  # the graph exists for this state
    assert reviewer.get(f"/items/{ITEM}").status_code == 200  # and the duty index (the review form's names)
    graph = (statecache.computed["graph"], statecache.updated["graph"])
    index = statecache.computed["duty_index"]
    reviews.add_link(ITEM, SAFETY_GOAL, "amy")
    page = reviewer.get(f"/api/items/{ITEM}").get_json()
    assert SAFETY_GOAL in [n["id"] for n in page["neighbours"] if n["relation"] == "serves"]
    assert (statecache.computed["graph"], statecache.updated["graph"]) == graph  # not built, not updated
    view = reviewer.get(f"/api/graph?item={ITEM}").get_json()
    assert SAFETY_GOAL in {e["target"] for e in view["edges"] if e["source"] == ITEM}
    assert statecache.updated["graph"] == graph[1] + 1 and statecache.computed["graph"] == graph[0]
    assert statecache.computed["duty_index"] == index


def test_background_warm_rounds_are_spaced_while_reviewers_keep_writing(app, web_data, keep_warm_here):
    """A change after a quiet spell is warmed at the next poll; further changes within the gap wait for it (every
    worker re-warming every page twice a second took the requests' CPU while reviewers wrote)."""
    import queue

    from kb import paths

    rounds: queue.Queue = queue.Queue()
    keep_warm_here(app, interval=0.02, warmed=rounds.put, gap=3600)
    token = paths.use_data_dir(web_data)
    try:
        reviews.add_note(ITEM, "一", "amy")
        first = rounds.get(timeout=300)  # bounded wait for the round after the first change
        for k in range(3):
            reviews.add_note(OTHER, f"再{k}", "amy")
    finally:
        paths.reset_data_dir(token)
    with pytest.raises(queue.Empty):
        rounds.get(timeout=1.0)  # 50 polls saw the new state; none started a round inside the gap
    assert first is not None


def test_rounds_in_a_row_render_only_the_pages_whose_values_requests_read(app, web_data, keep_warm_here):
    """While reviewers keep writing, a round that follows another renders only pages with a stale value requests
    read since the last round (every worker rendering every stale page took the item pages' CPU): /plans, asked
    for, is warmed again after the second note; /goals, which no one asked for, waits for the request that asks.
    The first round after a quiet spell still warms every stale page."""
    import queue

    from kb import paths
    from kb.commands.serve import warm_app
    from kb.reviews import statecache
    from kb.serving.warm import state_key

    warm_app(app, say=False)
    rounds: queue.Queue = queue.Queue()
    keep_warm_here(app, interval=0.02, warmed=rounds.put, gap=0)
    goals, rows = ("goals", PLAN), "plan_rows"

    def note_and_round(body: str) -> None:
        token = paths.use_data_dir(web_data)
        try:
            reviews.add_note(ITEM, body, "amy")
        finally:
            paths.reset_data_dir(token)
        after = state_key(app)
        while rounds.get(timeout=300) != after:  # bounded wait for the round of this state
            pass

    before = (statecache.computed[goals], statecache.computed[rows])
    note_and_round("一")  # after a quiet spell: every stale page
    first = (statecache.computed[goals], statecache.computed[rows])
    assert first == (before[0] + 1, before[1] + 1)
    client = app.test_client()
    assert client.get("/plans").status_code == 200  # a request reads plan_rows (held: nothing computed)
    note_and_round("二")  # the next round, within the quiet spell: only what requests read
    assert (statecache.computed[goals], statecache.computed[rows]) == (first[0], first[1] + 1)
    assert client.get("/goals").status_code == 200  # the page no one asked for is computed by its request
    assert statecache.computed[goals] == first[0] + 1
