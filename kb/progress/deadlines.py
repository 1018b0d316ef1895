"""完成时限: read from an item's text (到2023年, 十四五期末, 逐年, 长期坚持) or the plan's end year; admin overrides."""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from functools import lru_cache
from typing import Any

from kb.labels import DEADLINE_KIND
from kb.progress import ProgressError, rules
from kb.progress.periods import Period
from kb.reviews.audit import append_entry, now


@lru_cache(maxsize=1)
def _cues() -> list[tuple[str, re.Pattern[str]]]:
    return [(c["kind"], re.compile(c["pattern"])) for c in rules()["deadline_cues"]]


def _year_end(year: int) -> str:
    return date(year, 12, 31).isoformat()


def from_text(text: str, plan_period: tuple[int, int]) -> dict[str, Any]:
    """The deadline an item's text states, else the plan's end year: {"kind", "date", "source", "cue"}."""
    first, last = plan_period
    for kind, pattern in _cues():
        m = pattern.search(text or "")
        if not m:
            continue
        if kind == "ongoing":
            return {"kind": "ongoing", "date": None, "source": "text", "cue": m.group(0)}
        if kind == "yearly":
            return {"kind": "yearly", "date": None, "source": "text", "cue": m.group(0)}
        if kind == "year":
            year = int(m.group(1))
            if first - 1 <= year <= last + 10:  # a year far outside the plan is a reference, not a deadline
                return {"kind": "date", "date": _year_end(year), "source": "text", "cue": m.group(0)}
            continue
        if kind == "plan_term":
            year = rules()["plan_terms"].get(m.group(1))
            if year:
                return {"kind": "date", "date": _year_end(int(year)), "source": "text", "cue": m.group(0)}
            continue
        return {"kind": "date", "date": _year_end(last), "source": "text", "cue": m.group(0)}
    return {"kind": "date", "date": _year_end(last), "source": "plan_end", "cue": ""}


def overrides(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Admin-set deadlines by item id."""
    return {r["item"]: dict(r) for r in conn.execute("SELECT * FROM progress_deadlines")}


def effective(item: dict[str, Any], plan_period: tuple[int, int], override: dict[str, Any] | None) -> dict[str, Any]:
    """The deadline in force for an item, with a label: the override when set, else the text's."""
    if override:
        value = override["deadline"]
        d = {"kind": value, "date": None} if value in ("yearly", "ongoing") else {"kind": "date", "date": value}
        d.update(source="override", cue=override.get("reason") or "", set_by=override.get("set_by"))
    else:
        d = from_text(item.get("text") or "", plan_period)
    d["label"] = d["date"] if d["kind"] == "date" else DEADLINE_KIND[d["kind"]]
    return d


def due_in(deadline: dict[str, Any], period: Period) -> date | None:
    """The date the item must be done by, as seen from this period (yearly: the period's end; ongoing: none)."""
    if deadline["kind"] == "yearly":
        return period.end
    if deadline["kind"] == "ongoing" or not deadline.get("date"):
        return None
    return date.fromisoformat(deadline["date"])


def parse_override(text: str) -> str:
    """A deadline typed by the admin: YYYY-MM-DD, YYYY (end of year), 逐年 or 长期坚持."""
    text = (text or "").strip()
    if text in ("yearly", "逐年"):
        return "yearly"
    if text in ("ongoing", "长期坚持", "长期"):
        return "ongoing"
    if re.fullmatch(r"(?:19|20)\d{2}", text):
        return _year_end(int(text))
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ProgressError(f"无法识别的完成时限“{text}”(应为 2024-12-31、2024、逐年 或 长期坚持)") from None


def set_override(conn: sqlite3.Connection, item: dict[str, Any], text: str, by: str, reason: str = "") -> dict | None:
    """Set (or, with empty text, clear) the admin's deadline for an item, in the caller's transaction; audited."""
    old = conn.execute("SELECT * FROM progress_deadlines WHERE item = ?", (item["id"],)).fetchone()
    before = {"deadline": old["deadline"], "reason": old["reason"]} if old else None
    if not (text or "").strip():
        conn.execute("DELETE FROM progress_deadlines WHERE item = ?", (item["id"],))
        after = None
    else:
        value = parse_override(text)
        conn.execute(
            "INSERT INTO progress_deadlines (item, plan, deadline, reason, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(item) DO UPDATE SET deadline = excluded.deadline, reason = excluded.reason, "
            "set_by = excluded.set_by, set_at = excluded.set_at",
            (item["id"], item["plan"], value, reason[:500], by, now()),
        )
        after = {"deadline": value, "reason": reason[:500]}
    append_entry(
        conn,
        actor=by,
        action="progress.deadline",
        kind="progress",
        plan=item["plan"],
        item=item["id"],
        target="deadline",
        before=before,
        after=after,
        reason=reason,
    )
    return after
