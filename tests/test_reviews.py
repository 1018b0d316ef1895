"""Review workflow: decisions on departments, links, repairs and notes; audit log; undo; backup/restore."""

from __future__ import annotations

import json
import sqlite3

import pytest
from review_helpers import SLUG, build_mini, depts, iid, item

from kb import reviews
from kb.cli import main as cli
from kb.reviews import ReviewError
from kb.store.durable import durable_connection

INFERRED_M3 = {("市卫健委", "lead", "explicit"), ("市教育局", "co", "explicit"), ("市妇联", "co", "explicit")}


def test_fixture_plan_as_expected(mini):
    assert depts("health-m3") == INFERRED_M3
    assert item("health-m3")["notes"] == []


@pytest.mark.parametrize(
    "action,expected",
    [
        (
            lambda: reviews.accept_assignment("health-m3", "市妇联", "amy"),
            INFERRED_M3 - {("市妇联", "co", "explicit")} | {("市妇联", "co", "reviewed")},
        ),
        (
            lambda: reviews.reject_assignment("health-m3", "市妇联", "amy", "不负责"),
            INFERRED_M3 - {("市妇联", "co", "explicit")},
        ),
        (
            lambda: reviews.set_role("health-m3", "市教育局", "lead", "amy"),
            INFERRED_M3 - {("市教育局", "co", "explicit")} | {("市教育局", "lead", "reviewed")},
        ),
        (
            lambda: reviews.add_assignment("health-m3", "民政局", "amy", role="co"),  # alias → 市民政局
            INFERRED_M3 | {("市民政局", "co", "reviewed")},
        ),
        (
            lambda: reviews.add_assignment("health-m3", "市卫健委", "amy"),  # already there: keeps its role
            INFERRED_M3 - {("市卫健委", "lead", "explicit")} | {("市卫健委", "lead", "reviewed")},
        ),
        (
            lambda: reviews.accept_assignment(iid("health-m3"), "市教育局", "amy", role="lead"),
            INFERRED_M3 - {("市教育局", "co", "explicit")} | {("市教育局", "lead", "reviewed")},
        ),
    ],
)
def test_assignment_decisions(mini, action, expected):
    aid = action()
    assert depts("health-m3") == expected
    entry = reviews.audit_log()[-1]
    assert entry["id"] == aid and entry["actor"] == "amy" and entry["after"] is not None


def test_reject_removes_department_from_clauses_too(mini):
    reviews.reject_assignment("health-m3", "市妇联", "amy")
    assert all(d["name"] != "市妇联" for c in item("health-m3")["clauses"] for d in c["departments"])


@pytest.mark.parametrize(
    "action,message",
    [
        (lambda: reviews.accept_assignment("health-m99", "市卫健委", "amy"), "找不到条目"),
        (lambda: reviews.reject_assignment("health-m3", "市财政局", "amy"), "不是该条目的责任部门"),
        (lambda: reviews.add_assignment("health-m3", "市不存在局", "amy"), "未找到部门"),
        (lambda: reviews.set_role("health-m3", "市卫健委", "boss", "amy"), "职责只能是牵头或配合"),
        (lambda: reviews.add_link("health-m1", "health-m2", "amy"), "不是主要目标"),
        (lambda: reviews.confirm_link("health-m1", "education-g1", "amy"), "没有关联"),
        (lambda: reviews.accept_repair("nope", "amy"), "找不到修复"),
        (lambda: reviews.add_note("health-m1", "  ", "amy"), "不能为空"),
        (lambda: reviews.undo(12345, "amy"), "没有审计记录"),
    ],
)
def test_bad_input_is_a_clear_error(mini, action, message):
    with pytest.raises(ReviewError, match=message):
        action()
    assert reviews.audit_log() == []  # nothing half-written


@pytest.mark.parametrize(
    "action,serves",
    [
        (lambda: reviews.confirm_link("health-m2", "health-g2", "amy"), {"health-g2": "reviewed"}),
        (
            lambda: reviews.add_link("health-m2", "health-g3", "amy", "也服务心理健康"),
            {"health-g2": "inferred", "health-g3": "reviewed"},
        ),
        (lambda: reviews.remove_link("health-m2", "health-g2", "amy"), {}),
    ],
)
def test_link_decisions(mini, action, serves):
    action()
    it = item("health-m2")
    assert it["serves"] == [iid(g) for g in serves]
    assert {s["goal"]: s["source"] for s in it["serves_detail"]} == {iid(g): src for g, src in serves.items()}


def test_notes_add_edit_remove(mini):
    key, _ = reviews.add_note("health-m1", "**重点**督办", "amy")
    assert [n["body"] for n in item("health-m1")["notes"]] == ["**重点**督办"]
    with pytest.raises(reviews.ReviewError, match="只能修改自己的备注"):
        reviews.edit_note(key, "别人改的", "bob")  # a reviewer edits only their own notes
    with pytest.raises(reviews.ReviewError, match="只能修改自己的备注"):
        reviews.remove_note(key, "bob")
    reviews.edit_note(key, "办理中", "amy")
    reviews.edit_note(key, "已办结", "bob", moderator=True)  # an admin moderates; the note stays amy's
    assert [(n["body"], n["by"]) for n in item("health-m1")["notes"]] == [("已办结", "amy")]
    aid = reviews.remove_note(key, "bob", moderator=True)
    assert item("health-m1")["notes"] == []
    reviews.undo(aid, "bob")
    assert [n["body"] for n in item("health-m1")["notes"]] == ["已办结"]


@pytest.mark.parametrize(
    "md,present,absent",
    [
        ("**粗体**", "<strong>粗体</strong>", None),
        ("<script>alert(1)</script>正文", "正文", "<script"),
        ("[点我](javascript:alert(1))", "点我", "javascript:"),
        ('<img src="x.png" onerror="alert(1)">', "<img", "onerror"),
        ("[政策](https://www.gov.cn/)", 'href="https://www.gov.cn/"', None),
    ],
)
def test_render_note_is_safe(md, present, absent):
    html = reviews.render_note(md)
    assert present in html
    if absent:
        assert absent not in html


def test_undo_restores_previous_state_and_can_be_redone(mini):
    a1 = reviews.set_role("health-m3", "市教育局", "lead", "amy")
    a2 = reviews.reject_assignment("health-m3", "市妇联", "amy")
    after_both = depts("health-m3")
    u2 = reviews.undo(a2, "bob", "误操作")
    assert ("市妇联", "co", "explicit") in depts("health-m3")
    with pytest.raises(ReviewError, match="撤销"):
        reviews.undo(a2, "bob")  # already undone: the row changed since
    reviews.undo(u2, "bob")  # undo of the undo = redo
    assert depts("health-m3") == after_both
    reviews.undo(a1, "bob")
    assert ("市教育局", "co", "explicit") in depts("health-m3")
    log = reviews.audit_log()
    assert [e["action"] for e in log] == ["assignment.role", "assignment.reject", "undo", "undo", "undo"]
    assert log[1]["undone_by"] == u2 and log[2]["undoes"] == a2


def test_undo_refuses_to_clobber_a_later_change(mini):
    a1 = reviews.set_role("health-m3", "市教育局", "lead", "amy")
    reviews.reject_assignment("health-m3", "市教育局", "bob")
    with pytest.raises(ReviewError, match="较新"):
        reviews.undo(a1, "amy")
    reviews.undo(a1, "amy", force=True)
    assert ("市教育局", "co", "explicit") in depts("health-m3")


def test_audit_log_is_append_only(mini):
    reviews.accept_assignment("health-m1", "市卫健委", "amy")
    conn = durable_connection()
    for sql in ("UPDATE audit SET actor = 'eve'", "DELETE FROM audit"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(sql)
    conn.close()
    assert reviews.audit_log()[0]["actor"] == "amy"


def test_review_survives_rebuild_and_shows_in_export(mini, monkeypatch, kb_data):
    from kb.build import build
    from kb.commands.export import export_json
    from kb.store import KB

    reviews.reject_assignment("education-m1", "市住建局", "amy", "配合单位无住建")
    reviews.add_assignment("education-m2", "市财政局", "amy", role="co")
    build()
    with KB() as kb:
        items = {it["id"]: it for it in export_json(kb)["items"]}
    m1 = {d["name"]: d["source"] for d in items[iid("education-m1")]["departments"]}
    m2 = {d["name"]: d["source"] for d in items[iid("education-m2")]["departments"]}
    assert "市住建局" not in m1 and m1["市教育局"] == "explicit"
    assert m2 == {"市教育局": "explicit", "市财政局": "reviewed"}


@pytest.mark.parametrize(
    "rule,decision,expected_in,expected_out",
    [
        ("title_stop_other", "accept", "巩固义务教育均衡发展成果。加强", None),
        ("lone_wo", "reject", "提升我儿童医疗服务水平", "提升我市儿童医疗服务水平"),
    ],
)
def test_repair_decisions_apply_on_next_build(mini, rule, decision, expected_in, expected_out):
    from kb.build import build
    from kb.store import KB

    with KB() as kb:
        rep = next(r for r in kb.repairs(SLUG) if r["rule"] == rule)
    (reviews.accept_repair if decision == "accept" else reviews.reject_repair)(rep["id"], "amy")
    build()
    with KB() as kb:
        text = kb.plan(SLUG)["text"]
        after = next(r for r in kb.repairs(SLUG) if r["id"] == rep["id"])
    assert expected_in in text and (expected_out is None or expected_out not in text)
    assert after["applied"] is (decision == "accept")
    assert [r["status"] for r in reviews.list_reviews(kind="repair")] == ["exact"]


@pytest.mark.sqlite_only  # "another machine" is another data dir here; on PostgreSQL it would share the database
def test_cli_review_audit_and_backup_roundtrip(mini, monkeypatch, kb_data, tmp_path, capsys):
    assert cli(["review", "reject", "health-m3", "市妇联", "--by", "amy", "-m", "不负责"]) == 0
    assert cli(["review", "note", "health-m3", "需**年底**复核", "--by", "amy"]) == 0
    assert cli(["review", "link", "add", "health-m2", "health-g3", "--by", "amy"]) == 0
    assert cli(["review", "reject", "health-m3", "市不存在局"]) == 2  # clear message, no traceback
    assert "未找到部门" in capsys.readouterr().err
    assert cli(["audit", "--since", "1h", "--json"]) == 0
    log = json.loads(capsys.readouterr().out)
    assert [e["action"] for e in log] == ["assignment.reject", "note.add", "link.add"]
    assert cli(["audit", "--since", "2999-01-01", "--json"]) == 0 and json.loads(capsys.readouterr().out) == []
    assert cli(["audit", "--since", "yesterday-ish"]) == 2
    backup = tmp_path / "reviews.json"
    assert cli(["reviews", "export", "-o", str(backup)]) == 0
    before = item("health-m3")

    other = tmp_path / "other-machine"  # a fresh install: build, then import
    other.mkdir()
    monkeypatch.setenv("KB_DATA_DIR", str(other))
    build_mini(monkeypatch, other)
    assert item("health-m3")["notes"] == []
    assert cli(["reviews", "import", str(backup), "--by", "bob"]) == 0
    moved = item("health-m3")
    assert moved["departments"] == before["departments"] and moved["notes"] == before["notes"]
    assert item("health-m2")["serves"] == [iid("health-g2"), iid("health-g3")]
    assert cli(["reviews", "import", str(backup)]) == 0  # idempotent
    assert "新增 0, 更新 0, 未变 3" in capsys.readouterr().out
    assert len(reviews.audit_log()) == 3 + 3  # 3 imported history entries + 3 import entries


@pytest.mark.parametrize(
    "data,message",
    [
        ({"format": "other"}, "不是审核备份"),
        ({"format": "plan-kb-reviews", "version": 99}, "不支持"),
        ({"format": "plan-kb-reviews", "version": 1, "reviews": [{"kind": "bogus"}]}, "格式错误"),
        ([1, 2], "不是审核备份"),
    ],
)
def test_import_refuses_bad_files(mini, data, message):
    with pytest.raises(ReviewError, match=message):
        reviews.import_reviews(data, "amy")
