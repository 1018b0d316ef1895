"""监测评估 rows: every indicator's assessment once per state and day, and one indicator's JSON for pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g, url_for

from kb import monitoring as mon
from kb.monitoring import observations as obsdb
from kb.monitoring import pace as pc
from kb.reviews import statecache
from kb.reviews.snapshot import current as current_snapshot

OTHER = "other"


def monitoring_rows() -> tuple[dict[str, dict], list[dict], list[dict]]:
    """(indicator index, overview rows, orphans) once per state (a build, a department or link review, a value
    entered, not a note: the snapshot's cache rule, kb.reviews.statecache) and day (statuses depend on the date),
    shared by requests; read-only."""
    if "monitoring" not in g:
        snap = current_snapshot()  # not the request's: after a value is entered the page shows the new state
        g.monitoring = statecache.cached(snap, ("monitoring", date.today()), _compute_rows, scope="records")
    return g.monitoring


def _compute_rows() -> tuple[dict[str, dict], list[dict], list[dict]]:
    index = obsdb.indicator_index()
    anchored, orphans = obsdb.load(index)
    return index, mon.overview(index, anchored), orphans


def row_json(r: dict[str, Any]) -> dict[str, Any]:
    """One indicator for pages and JSON: target, yearly values with status, pace and provenance, warnings."""
    ind, a = r["indicator"], mon.assessment_json(r["assessment"])
    paced = pc.assess_pace(ind, r["obs"], ind["period"], a["years"])
    values = []
    for y in a["years"]:
        obs, st = r["rows"].get(y), a["per_year"][str(y)]
        values.append(
            {
                "pace": paced["per_year"][y].as_dict(),
                "path": paced["path"].get(y),
                "year": y,
                "value": obs["value"] if obs else None,
                "display": mon.fmt(obs["value"]) if obs else "",
                "status": st["code"],
                "label": st["label"],
                "reason": st["reason"],
                "source": obs["source"] if obs else "",
                "note": obs["note"] if obs else "",
                "entered_by": obs["entered_by"] if obs else "",
                "entered_at": obs["entered_at"] if obs else "",
            }
        )
    return {
        "id": ind["id"],
        "name": ind["name"],
        "item": ind["item"],
        "item_title": ind["item_title"],
        "plan": ind["plan"],
        "domain": ind["domain"],
        "domain_code": ind["domain_code"] or OTHER,
        "raw": ind.get("raw", ""),
        "unit": r["unit"],
        "owners": ind["owners"],
        "lead": r["lead"],
        "departments": ind["departments"],
        "target": a["target"],
        "target_year": a["target_year"],
        "baseline_year": a["baseline_year"],
        "rule": a["rule"],
        "bounds": a["bounds"],
        "years": a["years"],
        "values": values,
        "current": a["current"],
        "latest_year": a["latest_year"],
        "warnings": a["warnings"],
        "projection": a["projection"],
        "pace": paced["per_year"][a["latest_year"]].as_dict() if a["latest_year"] is not None else None,
        "pace_projection": paced["projection"],
        "url": url_for("monitoring.indicator_page", ind_id=ind["id"]),
    }
