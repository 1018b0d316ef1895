"""The cells of the 任务分解责任清单: each item's 依据, 完成时限, served goals, task text and status, format-free
(kb/exports/rows.py selects the items and lays them out)."""

from __future__ import annotations

import re
from typing import Any

from kb import labels
from kb.duties import item_duties
from kb.labels import DEADLINE_KIND, KIND
from kb.monitoring.readings import plan_period
from kb.monitoring.targets import target_text
from kb.progress import deadlines

_STATE = labels.vocabulary("review_state")
REVIEWED, STATED, AUTO = _STATE["reviewed"], _STATE["stated"], _STATE["automatic"]
_SECTION_NUMBER = re.compile(r"^\s*(第[一二三四五六七八九十]+[章部分]|[一二三四五六七八九十]+[、.．])\s*")


def basis_text(it: dict[str, Any]) -> str:
    """The 依据 cell: each body with a duty (kb.duties: a clause-level one with its clauses) with how firm its tag is
    and its evidence words; 待确认 with candidates if no lead."""
    from kb.reviews.queue import CERTAINTY_LABELS

    deps = it.get("departments") or []
    lines = []
    if it.get("needs_review") and not any(d["role"] == "lead" for d in deps):
        cands = "、".join(c["name"] for c in it.get("candidates") or [])
        lines.append(f"牵头待确认{'(候选:' + cands + ')' if cands else ''}")
    for duty in item_duties(it).values():
        mark = "·".join(x for x in (CERTAINTY_LABELS[duty.mark()], duty.where) if x)
        words = "、".join(dict.fromkeys(e["text"] for e in duty.evidence()))
        lines.append(f"{duty.name}[{mark}]" + (f":{words}" if words else ""))
    return "\n".join(lines)


def duty_names(it: dict[str, Any], lead: bool) -> str:
    """The 牵头单位 (lead) or 责任单位 cell: every body with that role in kb.duties, a clause-level one with its
    clauses (市教育局（第3句）), so the plan-wide list names the same bodies as the department lists."""
    return "、".join(
        d.name + (f"（{d.where}）" if d.where else "") for d in item_duties(it).values() if (d.role == "lead") == lead
    )


def is_reviewed(item: dict[str, Any]) -> bool:
    """A reviewer confirmed, corrected or removed this item's tags (kb.reviews.overlay marks the ones kept
    source="reviewed" and lists the ones taken away in `removed`: an item whose only review removed a wrong body
    was reviewed all the same)."""
    tags = (item.get("departments") or []) + (item.get("serves_detail") or [])
    return bool(item.get("removed")) or any(x.get("source") == "reviewed" for x in tags)


def status(it: dict[str, Any]) -> str:
    """The 状态 cell: 人工审核 once a reviewer decided, 原文明确 where the plan's text names every body the item has
    (a stated assignment: nothing inferred to check), else 自动推断."""
    if is_reviewed(it):
        return REVIEWED
    deps = it.get("departments") or []
    return STATED if deps and all(d.get("source") == "explicit" for d in deps) else AUTO


class ItemCells:
    """Every cell of one item, given the selection's plans and items by id (Selection inherits this)."""

    plans: list[dict[str, Any]]
    by_id: dict[str, dict[str, Any]]

    def _domain_cell(self, it: dict[str, Any]) -> str:
        if it.get("domain"):
            return it["domain"]
        return _SECTION_NUMBER.sub("", it.get("section") or "") or KIND.get(it["kind"], it["kind"])

    def target(self, ind: dict[str, Any], it: dict[str, Any]) -> str:
        """An indicator's target as every page words it (kb.monitoring.targets.target_text, in its plan's years)."""
        plan = next((p for p in self.plans if p["id"] == it["plan"]), {"id": it["plan"]})
        return target_text(ind, plan_period(plan))

    def _deadline(self, it: dict[str, Any]) -> str:
        """完成时限 as kb.progress.deadlines reads it from the text (到2023年, 每年, 持续推进), else the plan's end."""
        period = next((p["meta"].get("period") for p in self.plans if p["id"] == it["plan"]), None) or []
        if len(period) != 2:
            return ""
        d = deadlines.from_text(it.get("text") or "", (int(period[0]), int(period[1])))
        if d["kind"] != "date":
            return DEADLINE_KIND[d["kind"]]
        return f"{d['date'][:4]}年"

    def _goal_ref(self, gid: str, it: dict[str, Any]) -> str:
        g = self.by_id.get(gid)
        if g is None:
            return gid.split(":")[-1]
        where = f"【{g['domain']}】" if g.get("domain") != it.get("domain") else ""
        title = g.get("title") or ""
        if title.endswith("…"):  # a title cut short for lists: the file shows the goal in full
            title = (g.get("text") or title).strip()
        return f"{where}{KIND['goal']}{g['number']}:{title}"

    def _task(self, it: dict[str, Any]) -> tuple[str, str]:
        """(title, cell text): the title, then the text without repeating it."""
        title, text = it.get("title") or "", it.get("text") or ""
        if title.endswith("…") and text.startswith(title.rstrip("…")):
            return "", text  # the title is only the text cut short: show the text once
        body = text[len(title) :].lstrip("。.,,;;:: ") if text.startswith(title) else text
        return title, f"{title}\n{body}" if body and title else (title or body)

    def item_cells(self, it: dict[str, Any]) -> dict[str, str]:
        """Every plan-layout cell of one item, by column key."""
        title, task = self._task(it)
        return {
            "domain": self._domain_cell(it),
            "kind": KIND.get(it["kind"], it["kind"]),
            "id": it["id"].split(":", 1)[-1],
            "task": task,
            "title": title,
            "lead": duty_names(it, lead=True),
            "co": duty_names(it, lead=False),
            "basis": basis_text(it),
            "serves": "\n".join(self._goal_ref(g, it) for g in it.get("serves") or []),
            "indicators": "\n".join(f"{ind['name']} {self.target(ind, it)}" for ind in it.get("indicators") or []),
            "deadline": self._deadline(it),
            "status": status(it),
        }

    def remark(self, c: dict[str, str]) -> str:
        """The 备注 cell of the 公文 list: the indicators, then the goals a measure serves."""
        parts = [c["indicators"]] if c["indicators"] else []
        if c["serves"]:
            parts.append("服务目标:" + c["serves"].replace("\n", ";"))
        return "\n".join(parts)
