"""Reporting periods of a plan: yearly by default or half-yearly; when each closes and when its report is due."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from kb.progress import ProgressError, rules
from kb.reviews.audit import append_entry, now

_PERIOD = re.compile(r"((?:19|20)\d{2})(?:H([12]))?")


@dataclass(frozen=True)
class Period:
    """'2024' (a year) or '2024H1' / '2024H2' (a half year)."""

    year: int
    half: int | None = None

    @property
    def code(self) -> str:
        return f"{self.year}H{self.half}" if self.half else str(self.year)

    @property
    def label(self) -> str:
        return f"{self.year}年{'上半年' if self.half == 1 else '下半年' if self.half == 2 else '度'}"

    @property
    def start(self) -> date:
        return date(self.year, 7, 1) if self.half == 2 else date(self.year, 1, 1)

    @property
    def end(self) -> date:
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    @property
    def due(self) -> date:
        """The day the report is due: report_due_days after the period closes."""
        return self.end + timedelta(days=int(rules()["lights"]["report_due_days"]))

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "due": self.due.isoformat(),
        }


def parse(text: str) -> Period:
    """'2024', '2024H1', '2024h2' → Period; ProgressError otherwise."""
    m = _PERIOD.fullmatch(str(text or "").strip().upper())
    if not m:
        raise ProgressError(f"无法识别的报告期“{text}”(应为 2024 或 2024H1 / 2024H2)")
    return Period(int(m.group(1)), int(m.group(2)) if m.group(2) else None)


def cadence(conn: sqlite3.Connection, plan: str) -> str:
    """'year' or 'half' for this plan."""
    row = conn.execute("SELECT cadence FROM progress_cadence WHERE plan = ?", (plan,)).fetchone()
    return row["cadence"] if row else "year"


def periods_of(plan_period: tuple[int, int], cad: str) -> list[Period]:
    """Every reporting period of a plan running plan_period = (first, last) year."""
    first, last = plan_period
    if cad == "half":
        return [Period(y, h) for y in range(first, last + 1) for h in (1, 2)]
    return [Period(y) for y in range(first, last + 1)]


def check(period: Period, plan_period: tuple[int, int], cad: str) -> Period:
    """The period when it belongs to the plan at this cadence; ProgressError naming the valid ones."""
    valid = periods_of(plan_period, cad)
    if period in valid:
        return period
    # First and last, not the first four: "2021、2022、2023、2024…" hid 2025, the period a user was most likely after.
    names = "、".join(p.code for p in valid) if len(valid) <= 4 else f"{valid[0].code} 至 {valid[-1].code}"
    raise ProgressError(f"报告期“{period.code}”不在本规划的报告期内({names})")


def current(plan_period: tuple[int, int], cad: str, today: date | None = None) -> Period:
    """The period being reported now: the latest that has started, within the plan's years."""
    today = today or date.today()
    valid = periods_of(plan_period, cad)
    started = [p for p in valid if p.start <= today]
    return started[-1] if started else valid[0]


def set_cadence(conn: sqlite3.Connection, plan: str, cad: str, by: str) -> None:
    """Choose yearly or half-yearly reporting for a plan (inside the caller's transaction; audited)."""
    if cad not in rules()["cadences"]:
        raise ProgressError(f"报告周期须为 {' / '.join(rules()['cadences'].values())}")
    before = cadence(conn, plan)
    conn.execute(
        "INSERT INTO progress_cadence (plan, cadence, set_by, set_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(plan) DO UPDATE SET cadence = excluded.cadence, set_by = excluded.set_by, "
        "set_at = excluded.set_at",
        (plan, cad, by, now()),
    )
    append_entry(
        conn,
        actor=by,
        action="progress.cadence",
        kind="progress",
        plan=plan,
        item="",
        target="cadence",
        before={"cadence": before},
        after={"cadence": cad},
    )
