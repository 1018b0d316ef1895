"""The indicator registry in the layout of a 统计监测报表制度: per indicator 定义, 计算方法, 计量单位, 资料来源
(the supplying department) and 报送频率. Defaults come from the plan and kb/data/monitoring_definitions.json;
an admin's edits live in the durable DB (indicator_registry) and are audited."""

from __future__ import annotations

import json
import re
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Any

from kb import monitoring as mon
from kb.exports.safety import xml_clean
from kb.monitoring.tables import Sheet
from kb.reviews.audit import append_entry
from kb.store.durable import durable_connection, transaction

DEFINITIONS_FILE = Path(__file__).parent.parent / "data" / "monitoring_definitions.json"
FIELDS = {"definition": "定义", "method": "计算方法", "unit": "计量单位", "source": "资料来源", "frequency": "报送频率"}
HEADER = ["序号", "领域", "指标名称", "目标值", *FIELDS.values(), "指标编号"]


class RegistryError(ValueError):
    """An edit the admin can correct (unknown field, bad frequency, too long); shown as is."""


@lru_cache(maxsize=1)
def definitions() -> dict[str, Any]:
    """Default definitions and methods, allowed frequencies (kb/data/monitoring_definitions.json)."""
    data = json.loads(DEFINITIONS_FILE.read_text(encoding="utf-8"))
    data["compiled"] = [(re.compile(d["match"]), d) for d in data["definitions"]]
    return data


def defaults(ind: dict[str, Any]) -> dict[str, str]:
    """What the registry shows before anyone edits it: the data file's definition, the target's unit, the lead."""
    data = definitions()
    known: dict[str, str] = next((d for rx, d in data["compiled"] if rx.search(ind["name"])), {})
    lead = [d["name"] for d in ind.get("departments", []) if d["role"] == "lead"]
    unit = mon.observation_unit(ind) or mon.norm_unit(ind.get("unit")) or ""
    return {
        "definition": known.get("definition", ""),
        "method": known.get("method", ""),
        "unit": unit,
        "source": "、".join(lead),
        "frequency": data["default_frequency"],
    }


def _stored(conn: sqlite3.Connection) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["plan"], r["indicator_name"]): dict(r) for r in conn.execute("SELECT * FROM indicator_registry")}


def entries(index: dict[str, dict[str, Any]], conn: sqlite3.Connection | None = None) -> list[dict[str, Any]]:
    """One registry entry per indicator: each field's value and whether it was edited (else a default)."""
    own = conn is None
    conn = conn or durable_connection()
    try:
        stored = _stored(conn)
    finally:
        if own:
            conn.close()
    out = []
    for ind_id, ind in index.items():
        base, row = defaults(ind), stored.get((ind["plan"], ind["name"])) or {}
        values = {k: (row.get(k) or base[k]) for k in FIELDS}
        out.append(
            {
                "id": ind_id,
                "name": ind["name"],
                "plan": ind["plan"],
                "domain": ind.get("domain") or "",
                "domain_code": ind.get("domain_code") or "",
                "target": f"{mon.target_text(ind, ind['period'])}({mon.target_year(ind, ind['period'])}年)",
                **values,
                "edited": sorted(k for k in FIELDS if row.get(k)),
                "updated_by": row.get("updated_by", ""),
                "updated_at": row.get("updated_at", ""),
            }
        )
    return out


def clean(fields: dict[str, Any]) -> dict[str, str]:
    """Validated field values: known names only, text without control characters, length and frequency checked."""
    data = definitions()
    out = {}
    for key, value in fields.items():
        if key not in FIELDS:
            raise RegistryError(f"没有这个字段: {key}(可用: {'、'.join(FIELDS)})")
        text = xml_clean(str(value if value is not None else "")).strip()
        if len(text) > data["max_length"]:
            raise RegistryError(f"{FIELDS[key]}过长: {len(text)} 字(不超过 {data['max_length']} 字)")
        if key == "frequency" and text and text not in data["frequencies"]:
            raise RegistryError(f"报送频率应为: {'、'.join(data['frequencies'])}")
        out[key] = text
    return out


def update(
    ind: dict[str, Any], fields: dict[str, Any], by: str, conn: sqlite3.Connection | None = None
) -> dict[str, str]:
    """Save an admin's values for one indicator (empty text restores the default); audited; returns the new row."""
    values = clean(fields)
    by = (by or "").strip()
    if not by:
        raise RegistryError("请填写修改人")

    def run(c: sqlite3.Connection) -> dict[str, str]:
        old = c.execute(
            "SELECT * FROM indicator_registry WHERE plan = ? AND indicator_name = ?", (ind["plan"], ind["name"])
        ).fetchone()
        before = {k: old[k] for k in FIELDS} if old else {k: "" for k in FIELDS}
        after = {**before, **values}
        c.execute(
            "INSERT INTO indicator_registry (plan, indicator_name, definition, method, unit, source, frequency, "
            "updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (plan, indicator_name) DO UPDATE SET "
            "definition = excluded.definition, method = excluded.method, unit = excluded.unit, "
            "source = excluded.source, frequency = excluded.frequency, updated_by = excluded.updated_by, "
            "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            (ind["plan"], ind["name"], *(after[k] for k in FIELDS), by),
        )
        append_entry(
            c,
            actor=by,
            action="registry.update",
            kind="indicator_registry",
            plan=ind["plan"],
            item=ind.get("item"),
            target=ind["id"],
            before=before,
            after=after,
        )
        return after

    return transaction(run, conn)


def sheet(rows: list[dict[str, Any]], title: str) -> Sheet:
    """The 统计监测指标体系 table."""
    lines = [
        [n, r["domain"], r["name"], r["target"], *(r[k] for k in FIELDS), r["id"]] for n, r in enumerate(rows, start=1)
    ]
    return Sheet(
        "统计监测指标体系",
        title,
        HEADER,
        lines,
        [6, 12, 28, 18, 36, 36, 10, 18, 10, 30],
        ["资料来源为负责报送数据的部门;报送频率为数据报送周期。未经修改的定义、计算方法取自常用指标解释,请核对。"],
    )
