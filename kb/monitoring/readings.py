"""Monitoring observations read (kb/monitoring/observations.py writes them): the live KB's indicators, the stored
values anchored to them (orphans where a rebuild moved an indicator away), one indicator's history."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from typing import Any

from kb.store import KB
from kb.store.durable import durable_connection


def plan_period(plan: dict[str, Any]) -> tuple[int, int]:
    """(first, last) year of a plan: meta.period, else the years written in its id or title."""
    period = (plan.get("meta") or {}).get("period")
    if period and len(period) == 2:
        return int(period[0]), int(period[1])
    years = [int(y) for y in re.findall(r"(?:19|20)\d{2}", f"{plan.get('id', '')} {plan.get('title', '')}")]
    return (min(years), max(years)) if years else (2021, 2025)


def indicator_index(kb: KB | None = None) -> dict[str, dict[str, Any]]:
    """Every indicator of the live KB with its item context: owners (reviewed), domain, fingerprint and plan period."""
    from kb.reviews import snapshot

    own = kb is None
    kb = kb or KB()
    try:
        plans = {p["id"]: p for p in kb.plans()}
        out: dict[str, dict[str, Any]] = {}
        # the live build's reviewed items (the snapshot: unreviewed with a banner when reviews cannot be read)
        for it in snapshot.current().items if own else kb.items():
            for ind in it["indicators"]:
                depts = [{"name": d["name"], "role": d["role"]} for d in it["departments"]]
                out[ind["id"]] = {
                    **ind,
                    "item": it["id"],
                    "item_title": it["title"],
                    "item_kind": it["kind"],
                    "plan": it["plan"],
                    "plan_title": plans[it["plan"]]["title"],
                    "domain": it["domain"],
                    "domain_code": it["domain_code"],
                    "fingerprint": it["fingerprint"],
                    "departments": depts,
                    "owners": [d["name"] for d in depts],
                    "period": plan_period(plans[it["plan"]]),
                }
        return out
    finally:
        if own:
            kb.close()


def stored_rows(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every stored observation, by indicator and year."""
    return list(conn.execute("SELECT * FROM observations ORDER BY indicator, year"))


def resolve(
    rows: Iterable[sqlite3.Row], index: dict[str, dict[str, Any]]
) -> tuple[dict[str, dict[int, dict]], list[dict]]:
    """Anchor stored rows to live indicators: same id and name; else the same name in the same item text
    (fingerprint); else a unique same-named indicator of the plan. The rest are orphans (kept, reported)."""
    by_fp: dict[tuple[str, str], list[str]] = {}
    by_plan: dict[tuple[str, str], list[str]] = {}
    for i, ind in index.items():
        by_fp.setdefault((ind["name"], ind["fingerprint"]), []).append(i)
        by_plan.setdefault((ind["name"], ind["plan"]), []).append(i)
    anchored: dict[str, dict[int, dict]] = {}
    moved, orphans = [], []
    for r in rows:
        row = dict(r)
        here = index.get(row["indicator"])
        if here is not None and here["name"] == row["indicator_name"]:
            anchored.setdefault(row["indicator"], {})[row["year"]] = row
            continue
        cands = by_fp.get((row["indicator_name"], row["item_fingerprint"])) or []
        if len(cands) != 1:
            cands = by_plan.get((row["indicator_name"], row["plan"])) or []
        if len(cands) == 1:
            moved.append((cands[0], row))
        else:
            orphans.append({**row, "why": "找不到同名指标" if not cands else f"同名指标有 {len(cands)} 个,无法确定"})
    for target, row in moved:  # an exact match wins over a re-anchored row for the same year
        slot = anchored.setdefault(target, {})
        if row["year"] in slot:
            orphans.append({**row, "why": f"重新定位到 {target} 时与已有 {row['year']} 年数据冲突"})
        else:
            slot[row["year"]] = {**row, "reanchored_to": target}
    return anchored, orphans


def load(index: dict[str, dict[str, Any]], conn: sqlite3.Connection | None = None):
    """(observations by indicator id → year → row, orphans) for the live KB."""
    own = conn is None
    conn = conn or durable_connection()
    try:
        return resolve(stored_rows(conn), index)
    finally:
        if own:
            conn.close()


def series(rows_by_year: dict[int, dict]) -> dict[int, float]:
    """year → value of an indicator's rows (what kb.monitoring rules take)."""
    return {y: r["value"] for y, r in sorted(rows_by_year.items())}


def history(indicator: str, conn: sqlite3.Connection | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The change log of one indicator, newest first."""
    own = conn is None
    conn = conn or durable_connection()
    try:
        rows = conn.execute(
            "SELECT * FROM observation_log WHERE indicator = ? ORDER BY id DESC LIMIT ?", (indicator, limit)
        )
        return [dict(r) for r in rows]
    finally:
        if own:
            conn.close()
