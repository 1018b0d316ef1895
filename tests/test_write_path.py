"""What a review write costs the server (issue 14: item pages while reviewers write): one write connection per
thread (same durability, reopened when the file is replaced), values recomputed only when the change touched their
scope, warm rounds that skip pages whose values still hold, per-build reads of the item page read once."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading

import pytest

from kb import reviews

PLAN = "yiyang-children-2021-2025"
ITEM, OTHER = f"{PLAN}:health-m4", f"{PLAN}:health-m1"
SAFETY_GOAL = f"{PLAN}:safety-g1"
VALUES = ("review_queue", "monitoring", "targets")  # the duty index: tests/test_incremental_state.py


def _writer():
    from kb.store import durable

    return getattr(durable._threads, "writer", None)


def _count(sql: str) -> int:
    from kb import paths

    conn = sqlite3.connect(paths.reviews_db_path())
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


@pytest.mark.sqlite_only  # PostgreSQL keeps one connection per transaction (not one per server thread)
def test_writes_reuse_the_threads_connection_and_reopen_a_replaced_file(mon_kb):
    from kb import paths

    reviews.add_note(ITEM, "一", "amy")
    first = _writer()
    reviews.add_note(ITEM, "二", "amy")
    assert _writer() is first and first is not None
    assert first[1].execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert first[1].execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL, as every durable connection
    db = paths.reviews_db_path()
    first[1].execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(db, f"{db}.copy")
    os.replace(f"{db}.copy", db)  # what kb restore does: another file at the same path
    reviews.add_note(ITEM, "三", "amy")
    assert _writer() is not first
    assert _count("SELECT count(*) FROM reviews WHERE kind = 'note'") == 3  # the write is in the file now there


def test_each_thread_writes_on_its_own_connection(mon_kb):
    seen = []

    def write(k: int) -> None:
        reviews.add_note(OTHER, f"线程{k}", "amy")
        seen.append(_writer())

    threads = [threading.Thread(target=write, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if seen[0] is not None:  # SQLite (PostgreSQL opens one per transaction)
        assert len({id(w[1]) for w in seen}) == 3
    assert len(reviews.list_reviews(item=OTHER, kind="note")) == 3


@pytest.mark.parametrize(
    "failure",
    [
        lambda conn: (_ for _ in ()).throw(reviews.ReviewError("拒绝")),  # refused after a row was written
        lambda conn: conn.execute("INSERT INTO no_such_table VALUES (1)"),  # a database error
    ],
    ids=["refused", "sql error"],
)
def test_a_failed_write_leaves_nothing_and_the_next_write_lands(mon_kb, failure):
    from kb.reviews.audit import transaction, version, write_change

    reviews.add_note(ITEM, "之前", "amy")
    before = version()

    def run(conn):
        row = {
            "kind": "note",
            "plan": PLAN,
            "item": ITEM,
            "target": "nfailed",
            "decision": "note",
            "body": "不应留下",
            "actor": "amy",
            "created_at": "2026-01-01T00:00:00.000Z",
            "updated_at": "2026-01-01T00:00:00.000Z",
        }
        write_change(conn, "note.add", None, row, "amy", "")
        assert version() == before  # a read inside the write does not see it before it commits
        failure(conn)

    with pytest.raises((reviews.ReviewError, sqlite3.Error)):
        transaction(run)
    assert version() == before
    reviews.add_note(ITEM, "之后", "amy")
    assert version() > before  # (PostgreSQL's ids skip the one the rolled-back write took)
    assert [n["body"] for n in reviews.list_reviews(item=ITEM, kind="note")] == ["之前", "之后"]


def _observe() -> None:
    from kb.monitoring import observations as obsdb
    from kb.monitoring import values as mvalues

    index = obsdb.indicator_index()
    ind = next(i for i in index.values() if i["comparator"] in (">=", "<="))
    obsdb.write([mvalues.make_entry(ind, 2022, str(ind["value"]))], "张三", index)


# change → the per-state values it must recompute (the others are read as they were)
TAGGED = set(VALUES)
SCOPES = [
    ("note", lambda: reviews.add_note(ITEM, "**核对**口径", "amy"), set()),
    ("department add", lambda: reviews.add_assignment(ITEM, "市民政局", "amy", role="co"), TAGGED),
    ("link add", lambda: reviews.add_link(ITEM, SAFETY_GOAL, "amy"), TAGGED),
    ("value entered", _observe, {"monitoring", "targets"}),
]


@pytest.mark.parametrize("name, change, recomputed", SCOPES, ids=[s[0] for s in SCOPES])
def test_a_change_recomputes_only_the_values_of_its_scope(reviewer, name, change, recomputed):
    from kb.reviews import statecache

    pages = ["/review/queue", "/monitoring", "/targets", f"/items/{OTHER}"]
    for p in pages:
        assert reviewer.get(p).status_code == 200

    def counts() -> dict[str, int]:  # made again or brought up to date from the changed items
        made = statecache.computed + statecache.updated
        return {v: sum(n for k, n in made.items() if k == v or (isinstance(k, tuple) and k[0] == v)) for v in VALUES}

    before = counts()
    change()
    for p in pages:
        assert reviewer.get(p).status_code == 200
    after = counts()
    assert {v for v in VALUES if after[v] != before[v]} == recomputed


def test_the_queue_after_a_review_is_the_queue_computed_afresh(reviewer):
    from kb.reviews import statecache

    reviewer.get("/review/queue")
    reviews.reject_assignment(OTHER, reviews.reviewed_item(OTHER)["departments"][0]["name"], "amy")
    reviews.add_note(OTHER, "备注", "amy")
    held = reviewer.get("/api/review/queue?show=all").get_json()
    statecache.clear()
    assert reviewer.get("/api/review/queue?show=all").get_json() == held


def test_a_warm_round_renders_only_pages_whose_values_moved(app, web_data):
    from kb import paths
    from kb.serving.warm import READS, warm_pages

    warm_pages(app, say=False)
    reads = app.config[READS]
    first = dict(reads)
    assert any(first.values())  # the pages read per-state values
    token = paths.use_data_dir(web_data)
    try:
        reviews.add_note(ITEM, "一", "amy")  # items scope: the goals page's value; not the queue's or the graph's
    finally:
        paths.reset_data_dir(token)
    warm_pages(app, say=False, changed_only=True)
    again = {p for p in first if reads[p] is not first[p]}
    assert "/goals" in again
    assert "/review/queue" not in again and "/graph" not in again and "/monitoring" not in again
    warm_pages(app, say=False, changed_only=True)  # nothing moved since: nothing rendered
    assert all(reads[p] is not first[p] for p in again) and {p for p in first if reads[p] is not first[p]} == again


@pytest.mark.slow
def test_the_item_page_reads_the_builds_repairs_once(reviewer):
    from kb.reviews import statecache
    from kb.store import KB

    assert reviewer.get(f"/items/{ITEM}").status_code == 200
    computed = statecache.computed[("repairs", PLAN)]
    reviews.add_note(ITEM, "一", "amy")
    reviews.add_assignment(ITEM, "市民政局", "amy", role="co")
    page = reviewer.get(f"/api/items/{ITEM}").get_json()
    assert statecache.computed[("repairs", PLAN)] == computed
    with KB() as kb:
        ids = {r["id"] for r in kb.repairs(PLAN)}
    assert {r["id"] for r in page["marked"]["repairs"]} <= ids
