"""Monitoring observations in the durable DB: validated all-or-nothing writes, history, re-anchoring."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterable
from typing import Any

from kb.monitoring.values import Entry, ObservationError
from kb.reviews.audit import append_entry
from kb.store import KB
from kb.store.durable import durable_connection, transaction


# -- indicators of the live KB -------------------------------------------------------------------
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


# -- reading -------------------------------------------------------------------------------------
def _rows(conn: sqlite3.Connection) -> list[sqlite3.Row]:
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
        return resolve(_rows(conn), index)
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


# -- writing -------------------------------------------------------------------------------------
def _audit(
    conn: sqlite3.Connection,
    actor: str,
    action: str,
    ind: dict[str, Any],
    year: int,
    before: dict | None,
    after: dict | None,
    reason: str,
) -> None:
    """Append to the KB's shared audit log inside the caller's transaction."""
    append_entry(
        conn,
        actor=actor,
        action=action,
        kind="observation",
        plan=ind["plan"],
        item=ind["item"],
        target=f"{ind['id']}@{year}",
        before=before,
        after=after,
        reason=reason,
    )


def _snapshot(row: sqlite3.Row | dict | None) -> dict | None:
    if row is None:
        return None
    return {k: row[k] for k in ("indicator", "year", "value", "unit", "source", "note")}


def _log(
    conn,
    actor: str,
    action: str,
    indicator: str,
    year: int,
    old: Any,
    new: Any,
    unit: str | None,
    source: str,
    batch: str,
    detail: str = "",
) -> None:
    conn.execute(
        "INSERT INTO observation_log (actor, action, indicator, year, old_value, new_value, unit, source, "
        "batch, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (actor, action, indicator, year, old, new, unit, source, batch, detail),
    )


def _persist_reanchoring(conn, index: dict[str, dict[str, Any]], actor: str, batch: str) -> int:
    """Move re-anchored rows to their new indicator id (logged), so later writes meet one row per year."""
    anchored, _orphans = resolve(_rows(conn), index)
    moves = [(t, y, row) for t, years in anchored.items() for y, row in years.items() if "reanchored_to" in row]
    for _t, _y, row in moves:  # park first: swapped ids (i1 ↔ i2) would collide on UNIQUE(indicator, year)
        # (\x01, not \x00: PostgreSQL text cannot hold NUL; no indicator id starts with a control character)
        conn.execute("UPDATE observations SET indicator = ? WHERE id = ?", (f"\x01moving:{row['id']}", row["id"]))
    n = 0
    for target, year, row in moves:
        ind = index[target]
        conn.execute(
            "UPDATE observations SET indicator = ?, item_fingerprint = ?, plan = ? WHERE id = ?",
            (target, ind["fingerprint"], ind["plan"], row["id"]),
        )
        _log(
            conn,
            actor,
            "reanchor",
            target,
            year,
            row["value"],
            row["value"],
            row["unit"],
            row["source"],
            batch,
            f"由 {row['indicator']} 重新定位",
        )
        _audit(
            conn,
            actor,
            "observation.reanchor",
            ind,
            year,
            _snapshot(row),
            {**(_snapshot(row) or {}), "indicator": target},
            f"重建后指标编号变化: {row['indicator']} → {target}",
        )
        n += 1
    return n


def write(
    entries: list[Entry],
    by: str,
    index: dict[str, dict[str, Any]],
    *,
    reason: str = "",
    conn: sqlite3.Connection | None = None,
) -> dict[str, Any]:
    """Apply entries in one BEGIN IMMEDIATE transaction: every change lands, or (on any error) none does."""
    by = (by or "").strip()
    if not by:
        raise ObservationError("请填写录入人")
    unknown = sorted({e.indicator for e in entries if e.indicator not in index})
    if unknown:
        raise ObservationError(f"没有这个指标: {', '.join(unknown)}")
    batch = uuid.uuid4().hex[:12]
    counts = {"set": 0, "change": 0, "clear": 0, "unchanged": 0, "reanchor": 0, "batch": batch}

    def run(c: sqlite3.Connection) -> None:
        counts["reanchor"] = _persist_reanchoring(c, index, by, batch)
        for e in entries:
            _apply(c, e, index[e.indicator], by, batch, reason, counts)

    transaction(run, conn)
    return counts


def _apply(conn, e: Entry, ind: dict[str, Any], by: str, batch: str, reason: str, counts: dict) -> None:
    """One entry inside the open transaction: insert, update, delete or nothing (same value)."""
    old = conn.execute("SELECT * FROM observations WHERE indicator = ? AND year = ?", (e.indicator, e.year)).fetchone()
    if e.value is None:
        if old is None:
            counts["unchanged"] += 1
            return
        conn.execute("DELETE FROM observations WHERE id = ?", (old["id"],))
        _log(conn, by, "clear", e.indicator, e.year, old["value"], None, old["unit"], e.source, batch, reason)
        _audit(conn, by, "observation.clear", ind, e.year, _snapshot(old), None, reason)
        counts["clear"] += 1
        return
    new: dict[str, Any] = {
        "indicator": e.indicator,
        "year": e.year,
        "value": e.value,
        "unit": e.unit,
        "source": e.source or (old["source"] if old else ""),
        "note": e.note,
    }
    if old is not None and _snapshot(old) == new:
        counts["unchanged"] += 1
        return
    if old is None:
        conn.execute(
            "INSERT INTO observations (indicator, indicator_name, item_fingerprint, plan, year, value, unit, "
            "source, note, entered_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                e.indicator,
                ind["name"],
                ind["fingerprint"],
                ind["plan"],
                e.year,
                e.value,
                e.unit,
                new["source"],
                e.note,
                by,
            ),
        )
    else:
        conn.execute(
            "UPDATE observations SET value = ?, unit = ?, source = ?, note = ?, entered_by = ?, "
            "indicator_name = ?, item_fingerprint = ?, entered_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
            "WHERE id = ?",
            (e.value, e.unit, new["source"], e.note, by, ind["name"], ind["fingerprint"], old["id"]),
        )
    action = "set" if old is None else "change"
    _log(
        conn,
        by,
        action,
        e.indicator,
        e.year,
        old["value"] if old else None,
        e.value,
        e.unit,
        new["source"],
        batch,
        "; ".join(x for x in (e.note, reason) if x),
    )
    _audit(conn, by, f"observation.{action}", ind, e.year, _snapshot(old), new, reason)
    counts[action] += 1


def reanchor(by: str, index: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Persist re-anchoring after a rebuild (logged); returns counts and the remaining orphans."""
    index = index if index is not None else indicator_index()
    counts = write([], by, index, reason="重新定位")
    _anchored, orphans = load(index)
    return {"reanchored": counts["reanchor"], "orphans": orphans}
