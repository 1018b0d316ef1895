"""The 任务分解责任清单 as rows: whole plan, one department's list, the indicator list — filtered, format-free."""

from __future__ import annotations

from typing import Any

from kb import departments
from kb.duties import UnknownDepartment, duties, item_duties
from kb.exports.cells import REVIEWED, ItemCells, basis_text, is_reviewed
from kb.exports.table import DEPT_COLUMNS, INDICATOR_COLUMNS, PLAN_COLUMNS, ExportError, Filters, Row, Table, with_ids
from kb.labels import KIND, KIND_ALIAS, ROLE
from kb.reviews.snapshot import reviewed_items
from kb.store import KB

__all__ = ["LAYOUTS", "TASK_KINDS", "Selection", "basis_text", "is_reviewed"]

LAYOUTS = ("plan", "dept", "indicators")
TASK_KINDS = ("goal", "measure", "implementation", "monitoring")  # what the offices' list is made of


class Selection(ItemCells):
    """Items of the KB loaded once, with validated filters; builds any layout's Table."""

    def __init__(self, kb: KB, filters: Filters):
        self.f = filters
        plans = kb.plans()
        if filters.plan and not any(p["id"] == filters.plan for p in plans):
            raise ExportError(
                f"没有这个规划:{filters.plan}(已有:{'、'.join(p['id'] for p in plans)})", [p["id"] for p in plans], 404
            )
        self.plans = [p for p in plans if filters.plan in (None, p["id"])]
        self.all_items = reviewed_items(plan=filters.plan)
        self.by_id = {it["id"]: it for it in self.all_items}
        self.served_by: dict[str, list[str]] = {}
        for it in self.all_items:
            for g in it.get("serves") or []:
                self.served_by.setdefault(g, []).append(it["id"])
        self.domain = self._domain(filters.domain)
        self.kind = self._kind(filters.kind)
        self.role = self._role(filters.role)
        self.dept = self._dept(filters.dept) if filters.dept else None

    # -- validation ------------------------------------------------------------------------------
    def _domain(self, name: str | None) -> str | None:
        if not name:
            return None
        known = list(dict.fromkeys(it["domain"] for it in self.all_items if it["domain"]))
        codes = {it["domain_code"]: it["domain"] for it in self.all_items if it["domain"]}
        if name in known:
            return name
        if name in codes:
            return codes[name]
        partial = [d for d in known if name in d]
        if len(partial) == 1:
            return partial[0]
        raise ExportError(f"没有这个领域:{name}(可选:{'、'.join(known)})", known, 404)

    def _kind(self, name: str | None) -> str | None:
        if not name:
            return None
        by_label = {v: k for k, v in KIND.items()} | KIND_ALIAS
        kind = name if name in KIND else by_label.get(name)
        if kind is None:
            raise ExportError(
                f"没有这个类别:{name}(可选:{'、'.join(KIND[k] for k in TASK_KINDS)})",
                [KIND[k] for k in TASK_KINDS],
            )
        return kind

    def _role(self, role: str | None) -> str | None:
        if not role:
            return None
        by_label = {v: k for k, v in ROLE.items()}
        out = role if role in ROLE else by_label.get(role)
        if out is None:
            raise ExportError(f"职责只能是 lead(牵头) 或 co(配合),而不是“{role}”", list(ROLE))
        if not self.f.dept:
            raise ExportError("按职责(牵头/配合)筛选时需要同时指定部门")
        return out

    def _dept(self, name: str) -> str:
        dep = departments.resolve(name)
        if dep is None:
            raise ExportError(departments.unknown_message(name), departments.suggest(name), 404)
        return dep.canonical

    # -- selection -------------------------------------------------------------------------------
    def _keep(self, it: dict[str, Any], kinds: tuple[str, ...] | None = TASK_KINDS) -> bool:
        if self.kind and it["kind"] != self.kind:
            return False
        if not self.kind and kinds and it["kind"] not in kinds:
            return False
        if self.domain and it["domain"] != self.domain:
            return False
        return not self.f.reviewed_only or is_reviewed(it)

    def _role_of(self, it: dict[str, Any], dept: str) -> str | None:
        """The department's role in its duty on the item (kb.duties: item or clause level), or None."""
        duty = item_duties(it).get(dept)
        return duty.role if duty else None

    def items(self) -> list[dict[str, Any]]:
        """Items of the plan layout after every filter, in document order."""
        out = [it for it in self.all_items if self._keep(it)]
        if self.dept:
            out = [it for it in out if self._role_of(it, self.dept) in ((self.role,) if self.role else ("lead", "co"))]
        return out

    def dept_items(self, dept: str) -> list[tuple[str, dict[str, Any]]]:
        """(role, item) of a department's duties (kb.duties), led items first, each part in document order."""
        try:
            report = duties(self.all_items, dept)
        except UnknownDepartment as exc:
            raise ExportError(str(exc), exc.suggestions, 404) from exc
        roles = {r["id"]: r["role"] for g in report["domains"] for r in g["items"]}
        chosen = [
            (roles[it["id"]], it)
            for it in self.all_items
            if it["id"] in roles and self._keep(it, kinds=None) and self.role in (None, roles[it["id"]])
        ]
        return sorted(chosen, key=lambda ri: ri[0] != "lead")  # stable: document order within each role

    def describe(self, with_dept: bool = True) -> str:
        """The active filters in words (resolved names), for the caption under the title."""
        parts = [
            f"领域:{self.domain}" if self.domain else "",
            f"类别:{KIND[self.kind]}" if self.kind else "",
            f"部门:{self.dept}" if self.dept and with_dept else "",
            f"职责:{ROLE[self.role]}" if self.role else "",
            "仅已审核" if self.f.reviewed_only else "",
        ]
        return ";".join(p for p in parts if p)

    def tags(self) -> list[str]:
        """Resolved filter values for a file name: 儿童与健康, 政策措施, 市卫健委, 牵头, 已审核."""
        return [
            x
            for x in (
                self.domain,
                KIND.get(self.kind or ""),
                self.dept,
                ROLE.get(self.role or ""),
                REVIEWED if self.f.reviewed_only else None,
            )
            if x
        ]

    # -- tables ----------------------------------------------------------------------------------
    def _title(self, suffix: str) -> str:
        return (self.plans[0]["title"] if len(self.plans) == 1 else "规划") + suffix

    def _empty(self, what: str) -> ExportError:
        desc = self.describe()
        return ExportError(f"所选范围内没有{what}" + (f"({desc})" if desc else "") + ",未生成文件。", status=404)

    def plan_table(self) -> Table:
        """Layout (a): the whole plan, one row per goal/measure/implementation/monitoring item."""
        rows: list[Row] = []
        cols = with_ids(PLAN_COLUMNS, self.f.ids)
        for n, it in enumerate(self.items(), 1):
            c = self.item_cells(it) | {"no": str(n)}
            c["remark"] = self.remark(c)
            rows.append(Row([c[col.key] for col in cols], it["id"], c["title"], values=c))
        if not rows:
            raise self._empty("任务")
        return Table(
            "plan",
            self._title("任务分解责任清单"),
            self.describe(),
            "任务分解责任清单",
            cols,
            rows,
            merge=("domain",),
        )

    def dept_table(self, dept: str | None = None) -> Table:
        """Layout (b): one department's list — the items it leads, then the ones it supports."""
        name = dept or self.dept
        if not name:
            raise ExportError("请指定部门(--dept)")
        canonical = self._dept(name)
        rows: list[Row] = []
        cols = with_ids(DEPT_COLUMNS, self.f.ids)
        for n, (role, it) in enumerate(self.dept_items(canonical), 1):
            c = self.item_cells(it) | {"no": str(n), "role": ROLE.get(role, role)}
            c["remark"] = self.remark(c)
            rows.append(Row([c[col.key] for col in cols], it["id"], c["title"], role, c))
        if not rows:
            raise self._empty(f"{canonical}的任务")
        dep = departments.get(canonical)
        sub = ";".join(x for x in (dep.full if dep and dep.full != canonical else "", self.describe(False)) if x)
        return Table(
            "dept",
            self._title(f"任务分解责任清单({canonical})"),
            sub,
            canonical,
            cols,
            rows,
            merge=("role", "domain"),
            department=canonical,
        )

    def indicator_table(self) -> Table:
        """Layout (c): one row per quantitative target with its owners and the measures that serve it."""
        rows: list[Row] = []
        items = self.items() if self.dept else [it for it in self.all_items if self._keep(it, kinds=None)]
        for it in items:
            c = self.item_cells(it)
            measures = [m for m in self.served_by.get(it["id"], []) if m in self.by_id]
            if it["kind"] == "measure":
                measures = [it["id"], *measures]
            for ind in it.get("indicators") or []:
                cells = {
                    "no": str(len(rows) + 1),
                    "domain": c["domain"],
                    "name": ind["name"],
                    "target": self.target(ind, it),
                    "deadline": f"{ind['year']}年" if ind.get("year") else c["deadline"],
                    "lead": c["lead"],
                    "co": c["co"],
                    "item": f"{c['kind']}{it['number']}:{it['title']}",
                    "measures": "\n".join(
                        f"{KIND['measure']}{self.by_id[m]['number']}:{self.by_id[m]['title']}" for m in measures
                    ),
                    "status": c["status"],
                }
                rows.append(Row([cells[col.key] for col in INDICATOR_COLUMNS], it["id"], ind["name"], values=cells))
        if not rows:
            raise self._empty("指标")
        return Table(
            "indicators",
            self._title("指标责任清单"),
            self.describe(),
            "指标清单",
            INDICATOR_COLUMNS,
            rows,
            merge=("domain",),
        )

    def table(self, layout: str) -> Table:
        """The Table of a layout name (plan | dept | indicators)."""
        if layout not in LAYOUTS:
            raise ExportError(f"没有这种清单:{layout}(可选:{'、'.join(LAYOUTS)})", list(LAYOUTS))
        return {"plan": self.plan_table, "dept": self.dept_table, "indicators": self.indicator_table}[layout]()

    def department_tables(self) -> list[Table]:
        """One dept_table per department with work in the selection, registry order (for per-department sheets)."""
        names = {name for it in self.items() for name in item_duties(it)}
        order = [d.canonical for d in departments.all_departments() if d.canonical in names]
        order += sorted(names - set(order))
        out = []
        for name in order:
            try:
                out.append(self.dept_table(name))
            except ExportError:
                continue  # a name outside the registry or with nothing left after the filters: no sheet
        return out
