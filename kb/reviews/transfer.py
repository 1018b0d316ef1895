"""Moving reviews between instances: export every review and the audit log as JSON, import merges one."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from kb.reviews.audit import ReviewError, _json, now, read, transaction, write_change

EXPORT_FORMAT = "plan-kb-reviews"
EXPORT_VERSION = 1
KINDS = ("assignment", "link", "repair", "note")
DECISIONS = ("accept", "reject", "add", "confirm", "remove", "note")
REVIEW_FIELDS = (
    "kind",
    "plan",
    "item",
    "target",
    "decision",
    "role",
    "body",
    "anchor",
    "actor",
    "reason",
    "created_at",
    "updated_at",
)


def export_reviews() -> dict[str, Any]:
    """Every review and the whole audit log as one JSON-ready dict (backup, or move to another machine)."""

    def run(conn):
        inst = conn.execute("SELECT value FROM reviews_meta WHERE key = 'instance'").fetchone()[0]
        reviews = [dict(r) for r in conn.execute("SELECT * FROM reviews ORDER BY id")]
        audit = [dict(r) for r in conn.execute("SELECT * FROM audit ORDER BY id")]
        return inst, reviews, audit

    inst, reviews, audit = read(run)
    for r in reviews:
        r["anchor"] = json.loads(r["anchor"] or "{}")
    for a in audit:
        a["before"] = json.loads(a["before"]) if a["before"] else None
        a["after"] = json.loads(a["after"]) if a["after"] else None
        a["origin"] = a["origin"] or f"{inst}#{a['id']}"
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "instance": inst,
        "exported_at": now(),
        "reviews": reviews,
        "audit": audit,
    }


def _clean_review(r: Any, n: int) -> dict[str, Any]:
    """One imported review row, validated; anything malformed is refused with its position."""
    if not isinstance(r, dict):
        raise ReviewError(f"第 {n} 条审核不是对象")
    missing = [f for f in ("kind", "plan", "item", "target", "decision", "actor") if not isinstance(r.get(f), str)]
    if missing or r["kind"] not in KINDS or r["decision"] not in DECISIONS or r.get("role") not in (None, "lead", "co"):
        raise ReviewError(f"第 {n} 条审核格式错误 ({', '.join(missing) or r.get('kind')})")
    out = {f: r.get(f) for f in REVIEW_FIELDS}
    anchor = r.get("anchor") or {}
    out["anchor"] = anchor if isinstance(anchor, str) else json.dumps(anchor, ensure_ascii=False)
    out["reason"] = out["reason"] or ""
    out["created_at"] = out["created_at"] or now()
    out["updated_at"] = out["updated_at"] or out["created_at"]
    if out["kind"] == "note":  # rendered once here, like a note written on this instance
        from kb.reviews.markup import render_note

        out["body_html"] = render_note(str(out.get("body") or ""))
    return out


def import_reviews(data: Any, by: str, reason: str = "") -> dict[str, int]:
    """Merge an export: new reviews are added, newer versions win, history is appended once (by origin)."""
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ReviewError(f"不是审核备份文件 (format 应为 {EXPORT_FORMAT})")
    if not isinstance(data.get("version"), int) or data["version"] > EXPORT_VERSION:
        raise ReviewError(f"不支持的备份版本 {data.get('version')!r}")
    incoming = [_clean_review(r, n) for n, r in enumerate(data.get("reviews") or [], 1)]
    history = [a for a in data.get("audit") or [] if isinstance(a, dict)]
    stats = {"added": 0, "updated": 0, "unchanged": 0, "history_added": 0, "history_skipped": 0}

    def run(conn: sqlite3.Connection) -> dict[str, int]:
        mine = conn.execute("SELECT value FROM reviews_meta WHERE key = 'instance'").fetchone()[0]
        for r in incoming:
            cur = conn.execute(
                "SELECT * FROM reviews WHERE kind = ? AND plan = ? AND item = ? AND target = ?",
                (r["kind"], r["plan"], r["item"], r["target"]),
            ).fetchone()
            cur = dict(cur) if cur else None
            if cur is None:
                write_change(conn, "import", None, r, by, reason)
                stats["added"] += 1
            elif any(cur[f] != r[f] for f in REVIEW_FIELDS) and r["updated_at"] > cur["updated_at"]:
                write_change(conn, "import", cur, {**r, "id": cur["id"]}, by, reason)
                stats["updated"] += 1
            else:
                stats["unchanged"] += 1
        for a in history:
            origin = str(a.get("origin") or f"{data.get('instance')}#{a.get('id')}")
            seen = conn.execute("SELECT 1 FROM audit WHERE origin = ?", (origin,)).fetchone()
            if origin.startswith(mine + "#") or seen:
                stats["history_skipped"] += 1
                continue
            conn.execute(
                "INSERT INTO audit (at, actor, action, kind, plan, item, target, before, after, reason, "
                "origin) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    str(a.get("at") or now()),
                    str(a.get("actor") or "?"),
                    str(a.get("action") or "?"),
                    a.get("kind"),
                    a.get("plan"),
                    a.get("item"),
                    a.get("target"),
                    _json(a.get("before")),
                    _json(a.get("after")),
                    str(a.get("reason") or ""),
                    origin,
                ),
            )
            stats["history_added"] += 1
        return stats

    return transaction(run)
