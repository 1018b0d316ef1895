"""Read API over one build: plans, items with their inferred tags, as plain dicts (the export shape).

The store knows nothing of reviews: the reviewed view of the live build is kb.reviews.snapshot.reviewed_items()
(one path for pages, exports and commands).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from kb.lookup import resolve_id
from kb.store.db import kb_connection


class KB:
    """A read-only view of one build; cheap to open per request or per command."""

    def __init__(self, conn: sqlite3.Connection | None = None):
        self.conn = conn or kb_connection()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> KB:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- plans ------------------------------------------------------------------------------------
    def plans(self) -> list[dict[str, Any]]:
        """All plans with metadata (without their texts)."""
        rows = self.conn.execute("SELECT id, title, meta, encoding, warnings FROM plans ORDER BY position")
        return [
            {
                "id": r["id"],
                "title": r["title"],
                "meta": json.loads(r["meta"]),
                "encoding": r["encoding"],
                "warnings": json.loads(r["warnings"]),
            }
            for r in rows
        ]

    def plan(self, plan_id: str, texts: bool = True) -> dict[str, Any] | None:
        """One plan; with texts=True its raw and repaired text too."""
        r = self.conn.execute("SELECT * FROM plans WHERE id = ?", (plan_id,)).fetchone()
        if r is None:
            return None
        out = {
            "id": r["id"],
            "title": r["title"],
            "meta": json.loads(r["meta"]),
            "encoding": r["encoding"],
            "warnings": json.loads(r["warnings"]),
        }
        if texts:
            out.update(raw_text=r["raw_text"], text=r["text"])
        return out

    def headings(self, plan_id: str) -> list[dict[str, Any]]:
        """Structural headings of a plan in order."""
        rows = self.conn.execute("SELECT * FROM headings WHERE plan = ? ORDER BY position", (plan_id,))
        return [dict(r) for r in rows]

    def repairs(self, plan_id: str | None = None, applied: bool | None = None) -> list[dict[str, Any]]:
        """Repairs (applied and suggested) of one or all plans, in text order."""
        sql, args = "SELECT * FROM repairs WHERE 1=1", list[Any]()
        if plan_id:
            sql, args = sql + " AND plan = ?", [plan_id]
        if applied is not None:
            sql, args = sql + " AND applied = ?", [*args, int(applied)]
        rows = self.conn.execute(
            sql + ' ORDER BY plan, start, "end", id', args
        )  # ties ordered the same on every engine
        return [{**dict(r), "applied": bool(r["applied"])} for r in rows]

    # -- items ------------------------------------------------------------------------------------
    def item_rows(
        self,
        plan: str | None = None,
        kind: str | None = None,
        domain: str | None = None,
        ids: Iterable[str] | None = None,
    ) -> list[sqlite3.Row]:
        """Item rows filtered by plan, kind, domain (heading or code) or ids, in document order."""
        sql, args = "SELECT i.* FROM items i JOIN plans p ON p.id = i.plan WHERE 1=1", list[Any]()
        if plan:
            sql, args = sql + " AND i.plan = ?", [*args, plan]
        if kind:
            sql, args = sql + " AND i.kind = ?", [*args, kind]
        if domain:
            sql, args = sql + " AND (i.domain = ? OR i.domain_code = ?)", [*args, domain, domain]
        if ids is not None:
            ids = list(ids)
            sql += f" AND i.id IN ({','.join('?' * len(ids))})"
            args += ids
        return list(self.conn.execute(sql + " ORDER BY p.position, i.position", args))

    def item(self, item_id: str) -> dict[str, Any] | None:
        """One item in the export shape (inferred tags), or None."""
        rows = self.item_rows(ids=[item_id])
        return self.items_as_dicts(rows)[0] if rows else None

    def find_item(self, ref: str) -> dict[str, Any]:
        """An item (inferred tags) by full id or short id (kb.lookup); raises NotFound or Ambiguous."""
        rows = self.conn.execute("SELECT id FROM items WHERE id = ? OR id LIKE '%:' || ?", (ref, ref))
        found = self.item(resolve_id([r["id"] for r in rows], ref))
        assert found is not None
        return found

    def check_plan(self, plan: str | None) -> None:
        """Refuse an unknown plan id with the list of known ones (None means every plan)."""
        known = [p["id"] for p in self.plans()]
        if plan is not None and plan not in known:
            raise ValueError(f"没有这个规划: {plan} (已有: {', '.join(known)})")

    def items(self, **filters) -> list[dict[str, Any]]:
        """Items in the export shape with their inferred tags (see item_rows for filters)."""
        return self.items_as_dicts(self.item_rows(**filters))

    def items_as_dicts(self, rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
        """Rows → export dicts with clauses, departments, serves and indicators, fetched in bulk."""
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        marks = ",".join("?" * len(ids))
        clauses: dict[str, list] = {i: [] for i in ids}
        for c in self.conn.execute(f"SELECT * FROM clauses WHERE item IN ({marks}) ORDER BY item, idx", ids):
            clauses[c["item"]].append(
                {
                    "id": c["id"],
                    "index": c["idx"],
                    "text": c["text"],
                    "raw_text": c["raw_text"],
                    "start": c["start"],
                    "end": c["end"],
                    "departments": [],
                }
            )
        item_depts: dict[str, list] = {i: [] for i in ids}
        clause_depts: dict[str, list] = {}
        for a in self.conn.execute(f"SELECT * FROM assignments WHERE item IN ({marks}) ORDER BY item, rank", ids):
            d = {
                "name": a["name"],
                "role": a["role"],
                "source": a["source"],
                "confidence": a["confidence"],
                "evidence": json.loads(a["evidence"]),
            }
            (clause_depts.setdefault(a["clause"], []) if a["clause"] else item_depts[a["item"]]).append(d)
        for cl in clauses.values():
            for c in cl:
                c["departments"] = clause_depts.get(c["id"], [])
        serves: dict[str, list] = {i: [] for i in ids}
        for ln in self.conn.execute(f"SELECT * FROM links WHERE measure IN ({marks}) ORDER BY measure, rank", ids):
            serves[ln["measure"]].append(
                {
                    "goal": ln["goal"],
                    "score": ln["score"],
                    "why": ln["why"],
                    "cross_domain": bool(ln["cross_domain"]),
                    "source": "inferred",
                }
            )
        inds: dict[str, list] = {i: [] for i in ids}
        for ind in self.conn.execute(f"SELECT * FROM indicators WHERE item IN ({marks}) ORDER BY item, rank", ids):
            d = dict(ind)
            d["span"] = [d.pop("start"), d.pop("end")]
            d.pop("rank")
            inds[ind["item"]].append(d)
        review: dict[str, tuple[bool, list]] = {}
        for rv in self.conn.execute(f"SELECT * FROM item_review WHERE item IN ({marks})", ids):
            review[rv["item"]] = (bool(rv["needs_review"]), json.loads(rv["candidates"]))
        out = []
        for r in rows:
            needs, cands = review.get(r["id"], (False, []))
            out.append(
                {
                    "id": r["id"],
                    "plan": r["plan"],
                    "kind": r["kind"],
                    "domain": r["domain"],
                    "domain_code": r["domain_code"],
                    "number": r["number"],
                    "title": r["title"],
                    "text": r["text"],
                    "raw_text": r["raw_text"],
                    "section": r["section"],
                    "block": r["block"],
                    "line": r["line"],
                    "raw_span": [r["raw_start"], r["raw_end"]],
                    "fingerprint": r["fingerprint"],
                    "target_groups": json.loads(r["target_groups"]),
                    "clauses": clauses[r["id"]],
                    "departments": item_depts[r["id"]],
                    "serves": [s["goal"] for s in serves[r["id"]]],
                    "serves_detail": serves[r["id"]],
                    "indicators": inds[r["id"]],
                    "needs_review": needs,
                    "candidates": cands,
                }
            )
        return out
