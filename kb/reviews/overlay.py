"""Reviews on top of inferred tags: where a row points, applying one item's decisions (the snapshot), repair
decisions for builds, status reports."""

from __future__ import annotations

import json
from typing import Any

from kb import repair_match
from kb.repair_match import anchor_of as _anchor
from kb.reviews.anchoring import Universe, item_anchor
from kb.reviews.audit import read, transaction, write_change
from kb.reviews.markup import render_note
from kb.reviews.snapshot import live_universe
from kb.store import engine

_RANK = {"exact": 0, "moved": 1, "reanchored": 2, "orphaned": 3}


def resolve_row(uni: Universe, row: dict[str, Any]) -> tuple[str | None, str | None, str, float]:
    """(item, target, status, score) a review row points at in this build; None parts when orphaned."""
    anchor = _anchor(row)
    if row["kind"] == "repair":
        res = uni.resolve_repair(row["plan"], row["target"], anchor)
        return ("" if res.target else None), res.target, res.status, res.score
    item = uni.resolve_item(row["item"], anchor)
    if row["kind"] != "link":
        return item.target, (row["target"] if item.target else None), item.status, item.score
    goal = uni.resolve_item(row["target"], anchor.get("goal") or {})
    worst = max((item, goal), key=lambda r: _RANK[r.status])
    if item.target is None or goal.target is None:
        return None, None, "orphaned", min(item.score, goal.score)
    return item.target, goal.target, worst.status, min(item.score, goal.score)


def _rows(kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    """Review rows of some kinds, oldest change first (the newest decision wins); [] before any review."""
    if engine.durable_identity() is None:
        return []
    marks = ",".join("?" * len(kinds))
    return read(
        lambda c: [
            dict(r) for r in c.execute(f"SELECT * FROM reviews WHERE kind IN ({marks}) ORDER BY updated_at, id", kinds)
        ]
    )


ADDED_WHY = "人工添加"  # the why of a link a reviewer added without a reason


def _review_info(row: dict[str, Any]) -> dict[str, Any]:
    return {"by": row["actor"], "at": row["updated_at"], "reason": row["reason"], "decision": row["decision"]}


def reviewed_copy(base: dict[str, Any]) -> dict[str, Any]:
    """A copy of an un-reviewed item that apply_decisions may change: the lists and dicts it changes are copied,
    the rest (texts, evidence, indicators) shared with the build's item, which stays as it was. A deep copy of each
    item a review touches cost every worker ~1 ms per write (issue 14)."""
    it = dict(base)
    for key in ("departments", "serves_detail", "clauses"):
        if key in base:
            it[key] = [dict(x) for x in base[key]]
    it["notes"] = list(base.get("notes") or [])
    return it


def apply_decisions(it: dict[str, Any], decisions: dict[tuple[str, str], dict], uni: Universe) -> None:
    """Apply one item's newest decision per (kind, target) to it, in place (a reviewed_copy: this changes its
    departments, their dicts, its clauses' department lists, serves_detail and its dicts, serves and notes). What a
    reviewer took away is listed in `removed` ({"kind", "target", "review"}): gone from the lists, the item was still
    reviewed (the exports' 状态 and the queue read it). An item a review left without the lead it had is
    needs_review again: its page said 牵头待确认 and sent the reviewer to the queue, which did not list it."""
    depts = it.setdefault("departments", [])
    had_lead = any(d["role"] == "lead" for d in depts)
    serves = it.setdefault("serves_detail", [])
    removed: list[dict[str, Any]] = []
    for (kind, target), row in decisions.items():
        if kind == "assignment":
            if row["decision"] == "reject":
                it["departments"] = depts = [d for d in depts if d["name"] != target]
                for c in it.get("clauses", []):
                    c["departments"] = [d for d in c["departments"] if d["name"] != target]
                removed.append({"kind": kind, "target": target, "review": _review_info(row)})
                continue
            d = next((d for d in depts if d["name"] == target), None)
            if d is None:
                d = {"name": target, "role": row["role"] or "co", "evidence": []}
                depts.append(d)
            d.update(role=row["role"] or d["role"], source="reviewed", confidence=1.0, review=_review_info(row))
        elif kind == "link":
            if row["decision"] == "remove":
                it["serves_detail"] = serves = [s for s in serves if s["goal"] != target]
                removed.append({"kind": kind, "target": target, "review": _review_info(row)})
                continue
            s = next((s for s in serves if s["goal"] == target), None)
            if s is None:
                goal = uni.items.get(target, {})
                s = {
                    "goal": target,
                    "score": 1.0,
                    "why": row["reason"] or ADDED_WHY,
                    "cross_domain": goal.get("domain_code") != it.get("domain_code"),
                }
                serves.append(s)
            s.update(source="reviewed", review=_review_info(row))
        elif kind == "note":
            it["notes"].append(
                {
                    "id": target,
                    "body": row["body"],
                    "html": row.get("body_html") or render_note(row["body"] or ""),
                    "by": row["actor"],
                    "at": row["created_at"],
                    "updated_at": row["updated_at"],
                }
            )
    if removed:
        it["removed"] = removed
    depts.sort(key=lambda d: d["role"] != "lead")  # leads first, stable otherwise
    if had_lead and not any(d["role"] == "lead" for d in depts):
        it["needs_review"] = True
    it["serves"] = [s["goal"] for s in serves]
    it["notes"].sort(key=lambda n: n["at"])


def review_rows(kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    """Review rows of some kinds, oldest change first (a build's cache keys depend on them)."""
    return _rows(kinds)


def repair_review_rows(plan_id: str) -> list[dict[str, Any]]:
    """The repair reviews of one plan, oldest change first."""
    return [r for r in _rows(("repair",)) if r["plan"] == plan_id]


def repair_decisions(plan_id: str, raw: str, repairs: list) -> dict[str, bool]:
    """For a build: repair id → applied, for the repairs of plan_id that reviewers accepted or rejected."""
    return repair_match.repair_decisions(repair_review_rows(plan_id), raw, repairs)


def list_reviews(item: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """Every review with where it points in the live build (status exact/moved/reanchored/orphaned)."""
    rows = _rows((kind,) if kind else ("assignment", "link", "repair", "note"))  # one kind: the others unread
    uni = live_universe()
    out = []
    for row in rows:
        if kind and row["kind"] != kind:
            continue
        if uni is None:
            now_item, now_target, status, score = None, None, "orphaned", 0.0
        else:
            now_item, now_target, status, score = resolve_row(uni, row)
        if item and item not in (row["item"], now_item) and not (now_item or row["item"]).endswith(":" + item):
            continue
        out.append(
            {
                **row,
                "anchor": _anchor(row),
                "live_item": now_item,
                "live_target": now_target,
                "status": status,
                "score": score,
            }
        )
    return out


def orphans() -> list[dict[str, Any]]:
    """Reviews whose item, goal or repair is gone from the live build: kept, reported, never dropped."""
    return [r for r in list_reviews() if r["status"] == "orphaned"]


def reanchor(by: str, reason: str = "") -> int:
    """Persist re-anchorings: rows that now point elsewhere take the live id and anchor; the count moved."""
    uni = live_universe()
    if uni is None:
        return 0
    moved = [r for r in list_reviews() if r["status"] in ("moved", "reanchored")]

    def run(conn) -> int:
        n = 0
        for r in moved:
            cur = conn.execute("SELECT * FROM reviews WHERE id = ?", (r["id"],)).fetchone()
            if cur is None or dict(cur)["updated_at"] != r["updated_at"]:
                continue  # changed meanwhile: leave it for the next run
            cur = dict(cur)
            new = {**cur, "target": r["live_target"], "item": r["live_item"]}
            if r["kind"] == "repair":
                rep = uni.repairs[r["plan"]][r["live_target"]]
                raw_ctx = rep["context"]
                new["anchor"] = json.dumps({**r["anchor"], "context": raw_ctx}, ensure_ascii=False)
            else:
                anchor = item_anchor(uni.items[r["live_item"]])
                if r["kind"] == "link":
                    anchor["goal"] = item_anchor(uni.items[r["live_target"]])
                new["anchor"] = json.dumps(anchor, ensure_ascii=False)
            clash = conn.execute(
                "SELECT id FROM reviews WHERE kind = ? AND plan = ? AND item = ? AND target = ? AND id != ?",
                (new["kind"], new["plan"], new["item"], new["target"], new["id"]),
            )
            if clash.fetchone():
                continue  # a newer review already sits on the live key; both stay, the newer wins in the overlay
            write_change(conn, "reanchor", cur, new, by, reason or f"{r['status']} ({r['score']})")
            n += 1
        return n

    return transaction(run)
