"""The reviewed snapshot (kb.reviews.snapshot): one cache rule for pages, search and anchoring, kept per change.

Reused until a review, then brought up to date by re-applying only the items the change touched; another data
dir's reviews never leak in; an unreadable durable database leaves read pages serving the KB with a banner.
"""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from kb import reviews

ITEM = "yiyang-children-2021-2025:health-m4"
OTHER = "yiyang-children-2021-2025:health-m1"


def _snap(app):
    from webapp.lookup import snapshot

    with app.test_request_context("/"):
        return snapshot()


def test_reused_until_a_review_then_replaced(mon_kb):
    from monitoring_helpers import app_for

    app = app_for(mon_kb)
    first = _snap(app)
    assert _snap(app) is first
    reviews.add_assignment(ITEM, "市民政局", "测试员", reason="缓存测试", role="co")
    second = _snap(app)
    assert second is not first
    assert "市民政局" in {d["name"] for d in second.by_id[ITEM]["departments"]}
    assert _snap(app) is second


def test_a_change_reapplies_only_the_items_it_touches(mon_kb):
    from kb.reviews import snapshot

    reviews.add_note(OTHER, "先有的备注", "amy")
    before = snapshot.current()
    reviews.add_assignment(ITEM, "市民政局", "测试员", role="co")
    after = snapshot.current()
    assert after is not before and after.build is before.build  # no reload of the build
    untouched = [i for i in after.build.order if i != ITEM]
    assert all(after.by_id[i] is before.by_id[i] for i in untouched)  # the same objects: nothing rebuilt
    assert after.by_id[ITEM] is not before.by_id[ITEM]
    assert [n["body"] for n in after.by_id[OTHER]["notes"]] == ["先有的备注"]


def test_removals_and_undo_follow_at_once(mon_kb):
    from kb.reviews import snapshot

    key, _ = reviews.add_note(ITEM, "要删除的备注", "amy")
    assert [n["body"] for n in snapshot.current().by_id[ITEM]["notes"]] == ["要删除的备注"]
    aid = reviews.remove_note(key, "amy")
    assert snapshot.current().by_id[ITEM]["notes"] == []
    assert ITEM not in snapshot.current().changed
    reviews.undo(aid, "amy")
    assert [n["body"] for n in snapshot.current().by_id[ITEM]["notes"]] == ["要删除的备注"]
    rej = reviews.reject_assignment(ITEM, snapshot.current().by_id[ITEM]["departments"][0]["name"], "amy")
    gone = {d["name"] for d in snapshot.current().by_id[ITEM]["departments"]}
    reviews.undo(rej, "amy")
    back = {d["name"] for d in snapshot.current().by_id[ITEM]["departments"]}
    assert len(back) == len(gone) + 1


def test_matches_the_full_overlay(mon_kb):
    """The incremental state equals applying every review from scratch (a fresh snapshot)."""
    from kb.reviews import snapshot

    reviews.add_assignment(ITEM, "市民政局", "amy", role="co")
    reviews.add_note(ITEM, "一条", "amy")
    reviews.set_role(OTHER, snapshot.current().by_id[OTHER]["departments"][0]["name"], "co", "bob")
    reviews.add_note(OTHER, "另一条", "bob")
    snap = snapshot.current()
    snapshot.reset()
    full = snapshot.current().by_id
    assert full is not snap.by_id

    def shape(it):
        return (
            sorted((d["name"], d["role"], d.get("source")) for d in it["departments"]),
            sorted(it["serves"]),
            [n["body"] for n in it["notes"]],
        )

    assert {i: shape(it) for i, it in snap.by_id.items()} == {i: shape(it) for i, it in full.items()}


@pytest.mark.sqlite_only  # another data dir is another SQLite store; on PostgreSQL the URL names the store
def test_another_data_dirs_reviews_do_not_leak(built_kb, tmp_path, monkeypatch):
    from kb_helpers import data_dir_over

    from kb.reviews import snapshot

    data_dir_over(built_kb, tmp_path, monkeypatch, "a")
    reviews.add_note(ITEM, "甲的备注", "amy")
    assert snapshot.current().by_id[ITEM]["notes"]
    data_dir_over(built_kb, tmp_path, monkeypatch, "b")
    reviews.add_note(OTHER, "乙的备注", "bob")  # the same audit version (1) in another database
    snap = snapshot.current()
    assert snap.by_id[ITEM]["notes"] == [] and snap.by_id[OTHER]["notes"]


def _break(data, how: str) -> None:
    db = data / "reviews.sqlite"
    if how == "corrupt":
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        raw = bytearray(db.read_bytes())
        raw[0:16] = b"not sqlite at al"
        db.write_bytes(bytes(raw))
        for suffix in ("-wal", "-shm"):
            (data / f"reviews.sqlite{suffix}").unlink(missing_ok=True)
    elif how == "readonly":
        for f in data.glob("reviews.sqlite*"):
            f.unlink()
        db.write_bytes(b"")
        os.chmod(db, stat.S_IRUSR)
        os.chmod(data, stat.S_IRUSR | stat.S_IXUSR)


@pytest.mark.sqlite_only  # damages the reviews.sqlite file itself
@pytest.mark.parametrize("how", ["corrupt", "readonly"])
def test_an_unreadable_durable_db_leaves_read_pages_serving(mon_kb, how, caplog):
    from monitoring_helpers import app_for

    if how == "readonly" and os.geteuid() == 0:
        pytest.skip("root ignores file modes")
    reviews.add_note(ITEM, "备注", "amy")
    app = app_for(mon_kb)
    _break(mon_kb, how)
    try:
        c = app.test_client()
        for path in ("/", f"/items/{ITEM}", "/search?q=近视", "/departments", "/api/items/" + ITEM):
            resp = c.get(path)
            assert resp.status_code == 200, (path, resp.status_code)
        page = c.get(f"/items/{ITEM}").get_data(as_text=True)
        assert "审核数据库暂时无法读取" in page
        assert any("reviews database unreadable" in r.getMessage() for r in caplog.records)
    finally:
        os.chmod(mon_kb, stat.S_IRWXU)


def test_notes_leave_the_graph_and_department_caches_alone(mon_kb):
    """A note changes the snapshot but not departments or links: the graph is not rebuilt for it."""
    from monitoring_helpers import app_for

    from webapp import graphdata

    app = app_for(mon_kb)
    first = _snap(app)
    graph = graphdata.kb_graph(first)
    reviews.add_note(ITEM, "只是备注", "amy")
    second = _snap(app)
    assert second is not first and second.tags_version == first.tags_version
    assert graphdata.kb_graph(second) is graph
    reviews.add_assignment(ITEM, "市民政局", "amy", role="co")
    third = _snap(app)
    assert third.tags_version > second.tags_version and graphdata.kb_graph(third) is not graph


def test_the_store_knows_no_reviews_and_the_reviewed_view_comes_from_kb_reviews(mon_kb):
    """kb.store reads one build's inferred tags; exports and commands read the reviewed view of kb.reviews."""
    import ast
    from pathlib import Path

    import kb.store
    from kb.reviews import reviewed_item
    from kb.store import KB

    for path in Path(kb.store.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in names if m.startswith("kb.reviews")], path
    reviews.add_assignment(ITEM, "市民政局", "amy", role="co")
    with KB() as kb:
        assert "市民政局" not in {d["name"] for d in kb.item(ITEM)["departments"]}
    assert "市民政局" in {d["name"] for d in reviewed_item(ITEM)["departments"]}
    assert reviewed_item(ITEM.split(":", 1)[1]) is reviewed_item(ITEM)


@pytest.mark.parametrize(
    "filters, expect",
    [
        ({"kind": "goal"}, lambda it: it["kind"] == "goal"),
        ({"domain": "health"}, lambda it: it["domain_code"] == "health"),
        ({"domain": "儿童与健康"}, lambda it: it["domain"] == "儿童与健康"),
        ({"ids": [ITEM, OTHER]}, lambda it: it["id"] in (ITEM, OTHER)),
        ({"plan": "no-such-plan"}, lambda it: False),
    ],
)
def test_reviewed_items_filter_as_the_store_does(mon_kb, filters, expect):
    from kb.reviews import reviewed_items
    from kb.store import KB

    with KB() as kb:
        want = [it["id"] for it in kb.items(**filters)]
    got = reviewed_items(**filters)
    assert [it["id"] for it in got] == want
    assert all(expect(it) for it in got) and (want or filters.get("plan"))


@pytest.mark.sqlite_only  # damages the reviews.sqlite file itself
def test_exports_refuse_an_unreadable_reviews_database(mon_kb):
    """Pages serve unreviewed tags with a banner; a file written then would pass for the reviewed state."""
    from kb import paths
    from kb.errors import KBError
    from kb.reviews import reviewed_items, snapshot

    reviews.add_note(ITEM, "一条", "amy")
    snapshot.reset()  # this thread's connections closed: an open one would write its WAL back over the damage
    paths.reviews_db_path().write_bytes(b"not a database" * 100)
    snapshot.reset()
    assert snapshot.current().degraded
    with pytest.raises(KBError, match="审核数据库"):
        reviewed_items()


@pytest.mark.sqlite_only  # another data dir is another SQLite store; on PostgreSQL the URL names the store
def test_two_data_dirs_at_the_same_audit_id_share_no_cached_graph_or_search(built_kb, tmp_path, monkeypatch):
    """Two durable DBs over one build reach audit id 1 with different changes; neither sees the other's."""
    from kb_helpers import data_dir_over

    from kb import reviews
    from webapp import create_app

    m4, red_cross = "yiyang-children-2021-2025:health-m4", "市红十字会"

    def seen(data) -> tuple[bool, bool]:
        c = create_app({"TESTING": True, "KB_DATA_DIR": str(data)}).test_client()
        nodes = {n["id"] for n in c.get(f"/api/graph?item={m4}").get_json()["nodes"]}
        hits = {r["id"] for r in c.get(f"/api/search?q=急救&dept={red_cross}").get_json()["results"]}
        return f"dept:{red_cross}" in nodes, m4 in hits

    a = data_dir_over(built_kb, tmp_path, monkeypatch, "a")
    reviews.set_role("health-m4", red_cross, "lead", "amy")
    assert seen(a) == (True, True)
    b = data_dir_over(built_kb, tmp_path, monkeypatch, "b")
    reviews.reject_assignment("health-m4", red_cross, "amy", "无关")
    assert seen(b) == (False, False)
    monkeypatch.setenv("KB_DATA_DIR", str(a))
    assert seen(a) == (True, True)
