"""Progress operations for pages, API, CLI and packets: resolve the item and duty, check rights, write in one go."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from kb.progress import Forbidden, NotFound, ProgressError, periods, store
from kb.progress import attachments as att
from kb.progress.board import plan_for
from kb.progress.scope import Scope, UnknownDepartment, indicator_index, scope
from kb.reviews.audit import now, read, transaction
from kb.store.users import AccountError, department_name


def canonical(department: str) -> str:
    """A department's canonical name (any alias); NotFound when the registry does not know it."""
    try:
        return department_name(department)
    except AccountError:
        # department_name speaks of binding an account; here the name came from an address or a packet
        raise NotFound(f"没有这个部门“{department}”") from None


def duty(s: Scope, item_id: str, department: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(item, duty row) when the department has a duty on the item; ProgressError / Forbidden otherwise."""
    item = s.by_id.get(item_id)
    if item is None:
        raise NotFound(f"没有这个条目“{item_id}”")
    try:
        mine = s.duties(department).get(item_id)
    except UnknownDepartment as exc:
        raise ProgressError(str(exc)) from None
    if mine is None:
        raise Forbidden(f"条目 {item_id} 不是{department}的职责,不能填报")
    return item, mine


def check_period(conn: sqlite3.Connection, s: Scope, plan: str, code: str) -> periods.Period:
    return periods.check(periods.parse(code), s.plan_period(plan), periods.cadence(conn, plan))


def write_report(
    user: dict[str, Any],
    department: str,
    period: str,
    draft: store.Draft,
    *,
    submit: bool,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Validate and save one report in its own transaction (drafts and submissions); returns the stored row."""
    s = scope()
    department = canonical(department)
    store.may_write(user, department)
    item, mine = duty(s, draft.item, department)

    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        p = check_period(conn, s, item["plan"], period)
        fields = store.validate(draft, item, p, indicator_index(s))
        return store.save(
            conn, user, item, department, mine["role"], p, fields, submit=submit, expected_version=expected_version
        )

    return transaction(run)


def return_report(user: dict[str, Any], report_id: int, comment: str) -> dict[str, Any]:
    return transaction(lambda conn: store.return_report(conn, user, report_id, comment))


def accept_report(user: dict[str, Any], report_id: int) -> dict[str, Any]:
    return transaction(lambda conn: store.accept_report(conn, user, report_id))


def report_for(user: dict[str, Any], report_id: int) -> dict[str, Any]:
    """A stored report the user may see (admin and reviewers: all; a reporter: its department's)."""
    rep = read(lambda conn: store.get_by_id(conn, report_id))
    if rep is None:
        raise NotFound(f"没有这份报告(编号 {report_id})")
    may_read(user, rep["department"])
    return rep


def may_read(user: dict[str, Any] | None, department: str) -> None:
    """Progress data is for signed-in accounts: admin and reviewers see all, a reporter its own department."""
    if not user:
        raise Forbidden("请先登录")
    if user.get("role") == "reporter" and user.get("department") != department:
        raise Forbidden(f"您只能查看本部门({user.get('department')})的进度报告")


def attach(user: dict[str, Any], report_id: int, filename: str, data: bytes) -> dict[str, Any]:
    """Add a 佐证材料 file to a report the user may write."""
    rep = report_for(user, report_id)
    store.may_write(user, rep["department"])
    att.check(filename, data)  # refuse before taking the write lock
    return transaction(lambda conn: att.add(conn, rep, filename, data, user["name"]))


def detach(user: dict[str, Any], report_id: int, attachment_id: int) -> None:
    rep = report_for(user, report_id)
    store.may_write(user, rep["department"])
    transaction(lambda conn: att.remove(conn, rep, attachment_id, user["name"]))


def sync_duties(s: Scope, department: str) -> int:
    """Record duties added, removed or changed in role since the department was last looked at; returns how many.

    The first look only remembers the duties (a new department has no history to report).
    """
    current = {i: (d["role"], d["title"] or "") for i, d in s.duties(department).items()}

    def run(conn: sqlite3.Connection) -> int:
        seen = {
            r["item"]: (r["role"], r["title"])
            for r in conn.execute(
                "SELECT item, role, title FROM progress_duty_seen WHERE department = ?", (department,)
            )
        }
        first = (
            not seen
            and not conn.execute(
                "SELECT 1 FROM progress_events WHERE department = ? AND kind LIKE 'duty.%' LIMIT 1", (department,)
            ).fetchone()
        )
        events = []
        for item, (role, title) in current.items():
            if item not in seen:
                events.append(("duty.added", item, title, "牵头" if role == "lead" else "配合"))
            elif seen[item][0] != role:
                events.append(
                    (
                        "duty.role",
                        item,
                        title,
                        f"{'牵头' if seen[item][0] == 'lead' else '配合'} → {'牵头' if role == 'lead' else '配合'}",
                    )
                )
        events += [("duty.removed", item, title, "") for item, (_r, title) in seen.items() if item not in current]
        if not events:
            return 0
        at = now()
        if not first:
            conn.executemany(
                "INSERT INTO progress_events (at, department, kind, item, title, detail) VALUES (?,?,?,?,?,?)",
                [(at, department, k, i, t, d) for k, i, t, d in events],
            )
        conn.execute("DELETE FROM progress_duty_seen WHERE department = ?", (department,))
        conn.executemany(
            "INSERT INTO progress_duty_seen (department, item, role, title) VALUES (?,?,?,?)",
            [(department, i, r, t) for i, (r, t) in current.items()],
        )
        return 0 if first else len(events)

    return transaction(run)


def events(department: str, limit: int = 100) -> list[dict[str, Any]]:
    """What changed for a department, newest first."""
    return read(
        lambda conn: [
            dict(r)
            for r in conn.execute(
                "SELECT * FROM progress_events WHERE department = ? ORDER BY id DESC LIMIT ?", (department, limit)
            )
        ]
    )


def set_cadence(user: dict[str, Any], plan: str | None, cadence: str) -> None:
    if user.get("role") != "admin":
        raise Forbidden("只有管理员可以设置报告周期")
    s = scope()
    transaction(lambda conn: periods.set_cadence(conn, plan_for(s, plan), cadence, user["name"]))


def set_deadline(user: dict[str, Any], item_id: str, text: str, reason: str = "") -> dict | None:
    from kb.progress import deadlines

    if user.get("role") != "admin":
        raise Forbidden("只有管理员可以调整完成时限")
    item = scope().by_id.get(item_id)
    if item is None:
        raise NotFound(f"没有这个条目“{item_id}”")
    return transaction(lambda conn: deadlines.set_override(conn, item, text, user["name"], reason))


def today() -> date:
    return date.today()


def import_packet(
    user: dict[str, Any], data: bytes, *, commit: bool, department: str | None = None, period: str | None = None
) -> dict[str, Any]:
    """Validate a packet (its department and period must be the user's / the ones given); write all or nothing."""
    from kb.monitoring.workbook import CellError, ImportRejected
    from kb.progress import packet_import as packet
    from kb.progress.board import Board

    wb_meta = packet.read_meta(packet.open_packet(data))
    dept = canonical(department or wb_meta.get("department", ""))
    if user.get("role") == "reporter" and user.get("department") != dept:
        raise ImportRejected(
            [
                CellError(
                    0, "", f"这是{wb_meta.get('department')}的填报包,您只能导入本部门({user.get('department')})的填报包"
                )
            ]
        )
    store.may_write(user, dept)
    s = scope()

    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        board = Board(conn, s, plan=wb_meta.get("plan"), period=period or wb_meta.get("period"))
        changes = packet.read(data, board, dept, conn)
        if commit:
            packet.commit(conn, changes, board, dept, user)
        return {
            "department": dept,
            "period": board.period.code,
            "period_label": board.period.label,
            "changes": [c.as_dict() for c in changes],
            "committed": commit,
        }

    return transaction(run) if commit else read(run)


def read_attachment(attachment_id: int) -> dict[str, Any]:
    """An attachment row (rights are checked on its report); ProgressError when there is none."""
    row = read(lambda conn: att.get(conn, attachment_id))
    if row is None or row["removed_at"]:
        raise NotFound("没有这个附件")
    return row
