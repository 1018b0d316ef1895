"""Reports per (item, department, period): drafts, submissions, returns; every change in the audit log."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from kb.monitoring import observations as obsdb
from kb.monitoring import values as mvalues
from kb.progress import Conflict, Forbidden, NotFound, ProgressError, rules, status_code
from kb.progress.periods import Period
from kb.reviews.audit import append_entry, now

TEXT_FIELDS = ("progress", "next_steps", "difficulties", "evidence")
FIELDS = ("status", *TEXT_FIELDS, "indicator_values")
_LINK = re.compile(r"[a-z][a-z0-9+.-]*:", re.I)


@dataclass
class Draft:
    """What a reporter sends for one report (validated by `validate`)."""

    item: str
    status: str = "not_started"
    progress: str = ""
    next_steps: str = ""
    difficulties: str = ""
    evidence: str = ""
    indicator_values: dict[str, dict[str, Any]] = field(default_factory=dict)


def clean_text(name: str, value: Any) -> str:
    text = "" if value is None else str(value)
    text = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text).replace("\r\n", "\n").strip()
    limit = int(rules()["text_limits"][name])
    if len(text) > limit:
        raise ProgressError(f"“{LABELS[name]}”过长({len(text)} 字,最多 {limit} 字)")
    return text


LABELS = {
    "progress": "工作进展",
    "next_steps": "下一步措施",
    "difficulties": "存在困难",
    "evidence": "佐证材料(文号/链接)",
    "status": "状态",
    "indicator_values": "指标数值",
    "return_comment": "退回意见",
    "reason": "理由",
}


def check_evidence(text: str) -> None:
    """Document numbers or links, one per line; a link must be http(s) (no javascript: or file:)."""
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        m = _LINK.match(line)
        if m and not line.lower().startswith(("http://", "https://")) and not re.match(r".{1,12}〔", line):
            raise ProgressError(f"佐证材料第{n}行: 链接只能是 http:// 或 https:// 开头的网址")


def check_submission(fields: dict[str, Any]) -> None:
    """A submitted report must say what was done: 工作进展 may be empty in a draft, never in a submission."""
    if not fields.get("progress"):
        raise ProgressError("提交前请填写“工作进展”(只保存草稿时可以留空)")


def indicator_entries(
    item: dict[str, Any], values: dict[str, Any], period: Period, index: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Validated indicator values of this item for the period's year: {id: {"value", "unit", "raw"}} (blank dropped)."""
    own = {i["id"] for i in item.get("indicators") or []}
    out: dict[str, dict[str, Any]] = {}
    for ind_id, raw in (values or {}).items():
        raw_value = raw.get("raw", raw.get("value")) if isinstance(raw, dict) else raw
        if raw_value is None or not str(raw_value).strip():
            continue
        if ind_id not in own or ind_id not in index:
            raise ProgressError(f"指标“{ind_id}”不属于条目 {item['id']}")
        try:
            entry = mvalues.make_entry(index[ind_id], period.year, raw_value)
        except obsdb.ObservationError as exc:
            raise ProgressError(f"指标“{index[ind_id]['name']}”: {exc}") from None
        out[ind_id] = {"value": entry.value, "unit": entry.unit}
    return out


def validate(draft: Draft, item: dict[str, Any], period: Period, index: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The stored fields of a report, or ProgressError naming the field."""
    code = status_code(draft.status)
    if code is None:
        raise ProgressError(f"状态须为 {' / '.join(rules()['statuses'].values())},而不是“{draft.status}”")
    fields: dict[str, Any] = {"status": code}
    for name in TEXT_FIELDS:
        fields[name] = clean_text(name, getattr(draft, name))
    check_evidence(fields["evidence"])
    fields["indicator_values"] = indicator_entries(item, draft.indicator_values, period, index)
    return fields


def _row(r: sqlite3.Row | None) -> dict[str, Any] | None:
    if r is None:
        return None
    out = dict(r)
    out["indicator_values"] = json.loads(out["indicator_values"] or "{}")
    return out


def get(conn: sqlite3.Connection, item: str, department: str, period: str) -> dict[str, Any] | None:
    return _row(
        conn.execute(
            "SELECT * FROM progress_reports WHERE item = ? AND department = ? AND period = ?",
            (item, department, period),
        ).fetchone()
    )


def get_by_id(conn: sqlite3.Connection, report_id: int) -> dict[str, Any] | None:
    return _row(conn.execute("SELECT * FROM progress_reports WHERE id = ?", (report_id,)).fetchone())


def reports(
    conn: sqlite3.Connection, period: str | None = None, department: str | None = None, item: str | None = None
) -> list[dict[str, Any]]:
    """Stored reports filtered by period, department and item."""
    sql, args = "SELECT * FROM progress_reports WHERE 1=1", []
    for col, val in (("period", period), ("department", department), ("item", item)):
        if val is not None:
            sql += f" AND {col} = ?"
            args.append(val)
    return [_row(r) for r in conn.execute(sql + " ORDER BY department, item", args)]  # type: ignore[misc]


def may_write(user: dict[str, Any], department: str) -> None:
    """Reporters write their own department's reports; the admin may enter them on a unit's behalf."""
    role = user.get("role")
    if role == "admin":
        return
    if role == "reporter" and user.get("department") == department:
        return
    if role == "reporter":
        raise Forbidden(f"您只能填报本部门({user.get('department')})的条目,不能填报{department}的条目")
    raise Forbidden("只有填报员或管理员可以填报进度")


def _snapshot(r: dict[str, Any] | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {k: r[k] for k in (*FIELDS, "state", "return_comment", "accepted_by", "version")}


def save(
    conn: sqlite3.Connection,
    user: dict[str, Any],
    item: dict[str, Any],
    department: str,
    role: str,
    period: Period,
    fields: dict[str, Any],
    *,
    submit: bool,
    expected_version: int | None = None,
    reason: str = "",
) -> dict[str, Any]:
    """Write one report inside the caller's transaction; Conflict when expected_version is stale. Returns the row.

    Unchanged content and state write nothing (a packet imported unchanged makes zero changes).
    """
    may_write(user, department)
    old = get(conn, item["id"], department, period.code)
    if expected_version is not None and (old["version"] if old else 0) != expected_version:
        who = old["updated_by"] if old else "?"
        raise Conflict(f"此报告已被 {who} 修改(版本 {old['version'] if old else 0}),请刷新后重新填写;您的内容未保存")
    same = old is not None and all(old[k] == fields[k] for k in FIELDS)
    # Saving without submitting makes a draft; saving nothing new keeps the state (returned stays returned).
    state = "submitted" if submit else (old["state"] if same and old else "draft")
    if submit:
        check_submission(fields)  # every path (form, API, packet, CLI) passes here
    if same and old and old["state"] == state:
        return old
    at, by = now(), user["name"]
    values = json.dumps(fields["indicator_values"], ensure_ascii=False, sort_keys=True)
    text = [fields[k] for k in ("status", *TEXT_FIELDS)]
    sub_by, sub_at = (
        (by, at)
        if state == "submitted" and (not old or old["state"] != "submitted")
        else ((old["submitted_by"], old["submitted_at"]) if old else (None, None))
    )
    if old is None:
        conn.execute(
            "INSERT INTO progress_reports (plan, item, item_fingerprint, department, period, role, status, progress, "
            "next_steps, difficulties, evidence, indicator_values, state, submitted_by, submitted_at, updated_by, "
            "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                item["plan"],
                item["id"],
                item.get("fingerprint") or "",
                department,
                period.code,
                role,
                *text,
                values,
                state,
                sub_by,
                sub_at,
                by,
                at,
            ),
        )
    else:
        conn.execute(
            "UPDATE progress_reports SET role = ?, status = ?, progress = ?, next_steps = ?, difficulties = ?, "
            "evidence = ?, indicator_values = ?, state = ?, submitted_by = ?, submitted_at = ?, updated_by = ?, "
            "updated_at = ?, version = version + 1, accepted_by = NULL, accepted_at = NULL WHERE id = ?",
            (role, *text, values, state, sub_by, sub_at, by, at, old["id"]),
        )
    new = get(conn, item["id"], department, period.code)
    action = "progress.submit" if state == "submitted" and (not old or old["state"] != "submitted") else "progress.save"
    append_entry(
        conn,
        actor=by,
        action=action,
        kind="progress",
        plan=item["plan"],
        item=item["id"],
        target=f"{department}@{period.code}",
        before=_snapshot(old),
        after=_snapshot(new),
        reason=reason,
    )
    return new  # type: ignore[return-value]


def _submitted(conn: sqlite3.Connection, user: dict[str, Any], report_id: int, verb: str) -> dict[str, Any]:
    """The submitted report an admin's decision (退回 / 确认) is about; Forbidden, NotFound or ProgressError else."""
    if user.get("role") != "admin":
        raise Forbidden(f"只有管理员(妇儿工委办)可以{verb}报告")
    old = get_by_id(conn, report_id)
    if old is None:
        raise NotFound(f"没有这份报告(编号 {report_id})")
    if old["state"] != "submitted":
        raise ProgressError(f"只能{verb}已提交的报告")
    return old


def _decided(
    conn: sqlite3.Connection, user: dict[str, Any], old: dict[str, Any], at: str, decision: str, comment: str
) -> dict[str, Any]:
    """Record an admin's decision on a report: the audit entry and the department's change-feed event."""
    new = get_by_id(conn, old["id"])
    append_entry(
        conn,
        actor=user["name"],
        action=f"progress.{decision}",
        kind="progress",
        plan=old["plan"],
        item=old["item"],
        target=f"{old['department']}@{old['period']}",
        before=_snapshot(old),
        after=_snapshot(new),
        reason=comment,
    )
    conn.execute(
        "INSERT INTO progress_events (at, department, kind, item, period, title, detail) VALUES (?,?,?,?,?,?,?)",
        (at, old["department"], f"report.{decision}ed", old["item"], old["period"], "", comment),
    )
    return new  # type: ignore[return-value]


def return_report(conn: sqlite3.Connection, user: dict[str, Any], report_id: int, comment: str) -> dict[str, Any]:
    """退回: the admin sends a submitted report back with a comment (inside the caller's transaction)."""
    if user.get("role") != "admin":
        raise Forbidden("只有管理员(妇儿工委办)可以退回报告")
    comment = clean_text("return_comment", comment)
    if not comment:
        raise ProgressError("请填写退回意见")
    old, at = _submitted(conn, user, report_id, "退回"), now()
    conn.execute(
        "UPDATE progress_reports SET state = 'returned', return_comment = ?, returned_by = ?, returned_at = ?, "
        "version = version + 1, accepted_by = NULL, accepted_at = NULL WHERE id = ?",
        (comment, user["name"], at, report_id),
    )
    return _decided(conn, user, old, at, "return", comment)


def accept_report(conn: sqlite3.Connection, user: dict[str, Any], report_id: int) -> dict[str, Any]:
    """确认: the admin confirms a submitted report as it stands (inside the caller's transaction)."""
    old, at = _submitted(conn, user, report_id, "确认"), now()
    if old.get("accepted_at"):
        raise ProgressError(f"此报告已由 {old['accepted_by']} 确认,无需再次确认")
    conn.execute(
        "UPDATE progress_reports SET accepted_by = ?, accepted_at = ?, version = version + 1 WHERE id = ?",
        (user["name"], at, report_id),
    )
    return _decided(conn, user, old, at, "accept", "")
