"""The 妇儿工委办's review queue: uncertain responsibility tags first, one decision each, a counter of progress."""

from __future__ import annotations

from collections import Counter
from typing import Any

from nlp.scoring import HIGH, certainty

KINDS = ("goal", "measure", "implementation", "monitoring")
CERTAINTY_LABELS = {"explicit": "明确", "high": "推断(高)", "low": "推断(低)", "review": "待确认"}


def entries(items: list[dict[str, Any]], reviews: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per item-level tag and per item nobody leads, in queue order (reviewed ones last).

    items are export-shaped with reviews applied (kb.store); reviews are kb.reviews.overlay.list_reviews() rows,
    so a rejected tag, gone from the item, still counts as reviewed."""
    rejected: dict[str, list[dict[str, Any]]] = {}
    for r in reviews:
        if r["kind"] == "assignment" and r["decision"] == "reject" and r.get("live_item"):
            rejected.setdefault(r["live_item"], []).append(r)
    out = []
    for it in items:
        if it.get("kind") not in KINDS:
            continue
        base = {
            "item": it["id"],
            "plan": it.get("plan"),
            "title": it.get("title") or "",
            "kind": it.get("kind"),
            "domain": it.get("domain"),
            "number": it.get("number"),
            "text": it.get("text") or "",
        }
        depts = it.get("departments") or []
        has_lead = any(d["role"] == "lead" for d in depts)
        if it.get("needs_review") and not has_lead:
            reviewed = any(d.get("source") == "reviewed" for d in depts)
            out.append(
                {
                    **base,
                    "type": "item",
                    "source": "inferred",
                    "department": None,
                    "role": None,
                    "confidence": 0.0,
                    "certainty": "review",
                    "evidence": [],
                    "candidates": it.get("candidates") or [],
                    "reviewed": reviewed,
                    "review": None,
                }
            )
        for d in depts:
            mark = certainty(d.get("source", ""), d.get("confidence"), bool(it.get("needs_review")) and not has_lead)
            out.append(
                {
                    **base,
                    "type": "tag",
                    "department": d["name"],
                    "role": d["role"],
                    "source": d.get("source"),
                    "confidence": d.get("confidence") or 0.0,
                    "certainty": mark,
                    "evidence": [e for e in d.get("evidence") or [] if e.get("text")],
                    "candidates": [],
                    "reviewed": d.get("source") == "reviewed",
                    "review": d.get("review"),
                }
            )
        for r in rejected.get(it["id"], []):
            out.append(
                {
                    **base,
                    "type": "tag",
                    "department": r["target"],
                    "role": r.get("role"),
                    "source": "rejected",
                    "confidence": 0.0,
                    "certainty": "explicit",
                    "evidence": [],
                    "candidates": [],
                    "reviewed": True,
                    "review": {"by": r["actor"], "at": r["updated_at"], "decision": "reject"},
                }
            )
    # most-affected departments first among equals: the ones with the most open uncertain tags
    load = Counter(e["department"] for e in out if not e["reviewed"] and e["certainty"] in ("low", "review"))
    out.sort(
        key=lambda e: (
            e["reviewed"],
            e["type"] != "item",
            e["source"] == "explicit",
            e["confidence"],
            -load.get(e["department"], 0),
            e["item"],
            e["department"] or "",
        )
    )
    return out


def counter(queue: list[dict[str, Any]]) -> dict[str, int]:
    """已审核 x / y over the queue."""
    return {"reviewed": sum(e["reviewed"] for e in queue), "total": len(queue)}


def bulk_candidates(queue: list[dict[str, Any]], department: str) -> list[dict[str, Any]]:
    """A department's open high-confidence (or explicit) tags: what one bulk accept confirms."""
    return [
        e
        for e in queue
        if e["type"] == "tag"
        and not e["reviewed"]
        and e["department"] == department
        and (e.get("source") == "explicit" or e["confidence"] >= HIGH)
    ]


def departments(queue: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per department: open tags, of which high-confidence (bulk-acceptable), and reviewed ones."""
    names = sorted({e["department"] for e in queue if e["department"]})
    out = []
    for n in names:
        mine = [e for e in queue if e["department"] == n]
        out.append(
            {
                "name": n,
                "open": sum(not e["reviewed"] for e in mine),
                "bulk": len(bulk_candidates(queue, n)),
                "reviewed": sum(e["reviewed"] for e in mine),
            }
        )
    return sorted(out, key=lambda d: -d["open"])


def load() -> list[dict[str, Any]]:
    """The live queue: the reviewed state of the current build's task items, and every review row."""
    from kb.reviews.overlay import list_reviews
    from kb.reviews.snapshot import reviewed_items

    return entries(reviewed_items(), list_reviews(kind="assignment"))


def reassign(item: str, department: str, to: str, by: str, reason: str = "") -> int:
    """Move a tag to another body with the same role (reject the old, add the new); returns the last audit id."""
    from kb import reviews

    it = reviews.reviewed_item(item)
    role = next((d["role"] for d in (it or {}).get("departments", []) if d["name"] == department), None)
    reviews.reject_assignment(item, department, by, reason or f"改派给 {to}")
    return reviews.add_assignment(item, to, by, reason or f"由 {department} 改派", role=role or "co")


def bulk_accept(department: str, by: str, reason: str = "") -> list[int]:
    """Confirm every open high-confidence (or explicit) tag of one department; returns the audit ids."""
    from kb import reviews

    todo = bulk_candidates(load(), department)
    return [reviews.accept_assignment(e["item"], department, by, reason or "批量确认高置信度标注") for e in todo]
