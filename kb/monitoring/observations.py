"""Monitoring observations in the durable DB: validated all-or-nothing writes and re-anchoring; reading them is in
kb/monitoring/readings.py (its names are re-exported here for callers)."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from kb.monitoring.readings import history, indicator_index, load, plan_period, resolve, series, stored_rows
from kb.monitoring.values import Entry, ObservationError
from kb.reviews.audit import append_entry
from kb.store.durable import transaction

__all__ = [
    "Entry",
    "ObservationError",
    "history",
    "indicator_index",
    "load",
    "plan_period",
    "reanchor",
    "resolve",
    "series",
    "write",
]


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
    anchored, _orphans = resolve(stored_rows(conn), index)
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
