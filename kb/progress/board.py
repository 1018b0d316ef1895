"""The state of reporting for a period: per department and item, reports, deadlines and lights (pages, CLI, 通报)."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from kb import monitoring as mon
from kb.monitoring import observations as obsdb
from kb.progress import ProgressError, deadlines, lights, periods, state_label, status_label, store
from kb.progress import attachments as att
from kb.progress.scope import Scope, indicator_index


def plan_for(s: Scope, plan: str | None) -> str:
    """The plan to report on: the given one, else the first."""
    if plan is None:
        return next(iter(s.plans))
    if plan not in s.plans:
        raise ProgressError(f"没有这个规划: {plan} (已有: {', '.join(s.plans)})")
    return plan


def period_for(conn: sqlite3.Connection, s: Scope, plan: str, code: str | None, today: date) -> periods.Period:
    """The period asked for (checked against the plan's cadence), else the current one."""
    cad = periods.cadence(conn, plan)
    if not code:
        return periods.current(s.plan_period(plan), cad, today)
    return periods.check(periods.parse(code), s.plan_period(plan), cad)


def _reported_values(conn: sqlite3.Connection) -> dict[str, dict[int, float]]:
    """Indicator values from submitted reports of whole years and second halves: id → year → value."""
    out: dict[str, dict[int, float]] = {}
    rows = conn.execute(
        "SELECT period, indicator_values, role FROM progress_reports WHERE state = 'submitted' "
        "AND indicator_values != '{}' ORDER BY role != 'lead', updated_at DESC"
    )
    import json

    for r in rows:
        p = periods.parse(r["period"])
        if p.half == 1:
            continue
        for ind, v in json.loads(r["indicator_values"]).items():
            out.setdefault(ind, {}).setdefault(p.year, v["value"])
    return out


class Board:
    """Everything the progress pages show for one plan and period, computed once per request."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        s: Scope,
        plan: str | None = None,
        period: str | None = None,
        today: date | None = None,
    ):
        self.conn, self.s = conn, s
        self.today = today or date.today()
        self.plan = plan_for(s, plan)
        self.period = period_for(conn, s, self.plan, period, self.today)
        self.cadence = periods.cadence(conn, self.plan)
        self.index = indicator_index(s)
        anchored, _orphans = obsdb.load(self.index, conn)
        self.mon_rows = {r["indicator"]["id"]: r for r in mon.overview(self.index, anchored)}
        self.reported = _reported_values(conn)
        self.overrides = deadlines.overrides(conn)
        self.reports = {(r["item"], r["department"]): r for r in store.reports(conn, period=self.period.code)}
        self._rows: dict[str, list[dict[str, Any]]] = {}

    def periods(self) -> list[dict[str, Any]]:
        return [p.as_dict() for p in periods.periods_of(self.s.plan_period(self.plan), self.cadence)]

    def deadline(self, item: dict[str, Any]) -> dict[str, Any]:
        return deadlines.effective(item, self.s.plan_period(item["plan"]), self.overrides.get(item["id"]))

    def indicators(self, item: dict[str, Any]) -> list[tuple[dict[str, Any], dict[int, float]]]:
        """(indicator, observations merged with reported values) of an item's own indicators."""
        out = []
        for i in item.get("indicators") or []:
            row = self.mon_rows.get(i["id"])
            if row is not None:
                out.append((row["indicator"], lights.merged_obs(row, self.reported.get(i["id"], {}))))
        return out

    def light(self, item: dict[str, Any], department: str) -> dict[str, Any]:
        return lights.item_light(
            report=self.reports.get((item["id"], department)),
            deadline=self.deadline(item),
            period=self.period,
            indicators=self.indicators(item),
            today=self.today,
        )

    def rows(self, department: str) -> list[dict[str, Any]]:
        """One row per duty of the department in this plan: role, deadline, report summary, light."""
        if department not in self._rows:
            out = []
            for item_id, duty in self.s.duties(department).items():
                item = self.s.by_id[item_id]
                if item["plan"] != self.plan:
                    continue
                rep = self.reports.get((item_id, department))
                out.append(
                    {
                        "id": item_id,
                        "title": item["title"],
                        "kind": item["kind"],
                        "domain": item["domain"] or "其他",
                        "domain_code": item["domain_code"],
                        "number": item["number"],
                        "role": duty["role"],
                        "role_label": "牵头" if duty["role"] == "lead" else "配合",
                        "deadline": self.deadline(item),
                        "report": summary(rep),
                        **self.light(item, department),
                    }
                )
            self._rows[department] = out
        return self._rows[department]

    def department(self, department: str) -> dict[str, Any]:
        """A department's counts for the period and its worst light."""
        rows = self.rows(department)
        states = [r["report"]["state"] if r["report"] else None for r in rows]
        return {
            "name": department,
            "due": len(rows),
            "reported": states.count("submitted"),
            "accepted": sum(1 for r in rows if r["report"] and r["report"]["state"] == "submitted" and _accepted(r)),
            "drafts": states.count("draft"),
            "returned": states.count("returned"),
            "missing": sum(1 for st in states if st != "submitted"),
            "red": sum(r["light"] == "red" for r in rows),
            "yellow": sum(r["light"] == "yellow" for r in rows),
            "green": sum(r["light"] == "green" for r in rows),
            "light": lights.worst([r["light"] for r in rows]),
        }

    def overview(self) -> dict[str, Any]:
        """Per department reported / due, lights, the units not yet fully reported, and per-domain counts."""
        depts = [d for d in (self.department(n) for n in self.s.departments()) if d["due"]]
        domains: dict[str, dict[str, Any]] = {}
        for d in depts:
            for r in self.rows(d["name"]):
                slot = domains.setdefault(
                    r["domain"],
                    {
                        "domain": r["domain"],
                        "domain_code": r["domain_code"],
                        "due": 0,
                        "reported": 0,
                        "red": 0,
                        "yellow": 0,
                        "green": 0,
                    },
                )
                slot["due"] += 1
                slot["reported"] += bool(r["report"] and r["report"]["state"] == "submitted")
                if r["light"] in ("red", "yellow", "green"):
                    slot[r["light"]] += 1
        return {
            "plan": self.plan,
            "plan_title": self.s.plans[self.plan]["title"],
            "period": self.period.as_dict(),
            "cadence": self.cadence,
            "periods": self.periods(),
            "today": self.today.isoformat(),
            "totals": {
                k: sum(d[k] for d in depts)
                for k in ("due", "reported", "accepted", "missing", "red", "yellow", "green")
            },
            "departments": sorted(depts, key=lambda d: (-d["red"], -d["yellow"], d["name"])),
            # 催报 starts with whoever owes the most (it was the registry's order: 各区县… 团市委 … 市财政局)
            "not_reported": sorted((d for d in depts if d["missing"]), key=lambda d: (-d["missing"], d["name"])),
            "domains": list(domains.values()),
        }

    def report_detail(self, item_id: str, department: str) -> dict[str, Any]:
        """One report in full with attachments, the item's indicators, last period's answer and co-units' reports."""
        item = self.s.by_id[item_id]
        rep = self.reports.get((item_id, department))
        files = att.of_reports(self.conn, [rep["id"]]).get(rep["id"], []) if rep else []
        prev = previous_period(self.period, self.s.plan_period(item["plan"]), self.cadence)
        last = store.get(self.conn, item_id, department, prev.code) if prev else None
        others = [
            {
                **_sum(r),
                "department": dep,
                "role": role,
                "progress": r["progress"],
                "difficulties": r["difficulties"],
            }
            for dep, role in self.s.item_departments(item_id).items()
            if dep != department and (r := self.reports.get((item_id, dep)))
        ]
        inds = []
        for ind, obs in self.indicators(item):
            row = self.mon_rows[ind["id"]]
            mine = (rep or {}).get("indicator_values", {}).get(ind["id"]) if rep else None
            inds.append(
                {
                    "id": ind["id"],
                    "name": ind["name"],
                    "unit": row["unit"] or "",
                    "target": mon.target_text(ind, ind["period"]),
                    "latest": [{"year": y, "value": mon.fmt(v)} for y, v in list(obs.items())[-3:]],
                    "value": mon.fmt(mine["value"]) if mine else "",
                }
            )
        return {
            "item": item_id,
            "department": department,
            "report": rep,
            "summary": summary(rep),
            "attachments": files,
            "previous": {**_sum(last), "progress": last["progress"]} if last else None,
            "previous_period": prev.as_dict() if prev else None,
            "others": others,
            "indicators": inds,
        }


def summary(rep: dict[str, Any] | None) -> dict[str, Any] | None:
    """What lists show of a report (None when there is none)."""
    return None if rep is None else _sum(rep)


def _accepted(row: dict[str, Any]) -> bool:
    """A row's report was confirmed by the 妇儿工委办 as it stands (a later write or a return clears it)."""
    return bool(row["report"].get("accepted_at"))


def _sum(rep: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "state", "status", "updated_by", "updated_at", "submitted_at", "version", "return_comment")
    accepted = rep["state"] == "submitted" and bool(rep.get("accepted_at"))
    return {
        **{k: rep[k] for k in keys},
        "returned_by": rep["returned_by"],
        "accepted_by": rep.get("accepted_by") if accepted else None,
        "accepted_at": rep.get("accepted_at") if accepted else None,
        "state_label": state_label("accepted" if accepted else rep["state"]),
        "status_label": status_label(rep["status"]),
    }


def previous_period(p: periods.Period, plan_period: tuple[int, int], cad: str) -> periods.Period | None:
    valid = periods.periods_of(plan_period, cad)
    i = valid.index(p) if p in valid else -1
    return valid[i - 1] if i > 0 else None
