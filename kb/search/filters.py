"""Search filters: a query's filter values validated and turned into one boolean mask over items."""

from __future__ import annotations

from typing import Any

import numpy as np

from kb.labels import KIND
from kb.search.analysis import normalise
from kb.search.engine import Engine
from kb.search.query import KIND_ALIASES, ROLES, ParsedQuery, SearchError

_TRUE = {"1", "true", "yes", "y", "是", "有", "indicator", "indicators", "on"}
_FALSE = {"0", "false", "no", "n", "否", "无", "off"}
KIND_CHOICES = ("goal", "measure", "implementation", "monitoring")  # the kinds a kind filter is offered with


def _filters(eng: Engine, pq: ParsedQuery, snap: Any) -> tuple[np.ndarray | None, dict[str, Any]]:
    """Validate filter values; a boolean mask over items and the resolved values (400 on a bad value)."""
    f, a, ix, out = pq.filters, eng.ix.arr, eng.ix, {}
    masks: list[np.ndarray] = []
    if f.get("domain"):
        val = normalise(str(f["domain"]))
        match = [d for d in eng.domains if d == val] or [d for d in eng.domains if val in d]
        if not match:
            names = "、".join(d for d in eng.domains if not d.isascii())
            raise SearchError(f"未知的领域“{f['domain']}”。可选:{names}")
        codes = [ix.domains.index(d) for d in match]
        masks.append(np.isin(a["domain"], codes) | np.isin(a["domain_code"], codes))
        out["domain"] = match[0]
    if f.get("kind"):
        kind = KIND_ALIASES.get(str(f["kind"]).strip().lower()) or KIND_ALIASES.get(str(f["kind"]).strip())
        if not kind:
            names = "、".join(f"{KIND[k]}({k})" for k in KIND_CHOICES)
            raise SearchError(f"未知的类型“{f['kind']}”。可选:{names}")
        masks.append(a["kind"] == ix.kinds.index(kind) if kind in ix.kinds else np.zeros(ix.n_items, dtype=bool))
        out["kind"] = kind
    if f.get("plan"):
        if f["plan"] not in eng.plans:
            raise SearchError(f"没有这个规划“{f['plan']}”。已有:{'、'.join(eng.plans)}")
        masks.append(a["plan"] == ix.plans.index(f["plan"]))
        out["plan"] = f["plan"]
    role = None
    if f.get("role"):
        role = ROLES.get(str(f["role"]).strip().lower())
        if not role:
            raise SearchError(f"未知的角色“{f['role']}”。可选:lead(牵头)、co(配合)")
        if not f.get("dept"):
            raise SearchError("角色筛选(role)需要同时指定部门(dept)")
        out["role"] = role
    if f.get("dept"):
        from nlp.registry import resolve, unknown_message

        dep = resolve(str(f["dept"]))
        if dep is None:
            raise SearchError(unknown_message(str(f["dept"])))
        out["dept"] = dep.canonical
        member, lead = eng.dept_masks(dep.canonical, snap)
        masks.append(lead if role == "lead" else member & ~lead if role == "co" else member)
    has = f.get("has")
    if has not in (None, ""):
        val = str(has).strip().lower()
        if val not in _TRUE | _FALSE:
            raise SearchError(f"无法理解的指标筛选“{has}”。可用:has_indicator=1 或 0")
        masks.append(a["has_ind"] == (val in _TRUE))
        out["has_indicator"] = val in _TRUE
    return (np.logical_and.reduce(masks) if masks else None), out


def _int(value: Any, name: str, lo: int, hi: int) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise SearchError(f"参数 {name} 必须是整数") from None
    if not lo <= n <= hi:
        raise SearchError(f"参数 {name} 必须在 {lo} 到 {hi} 之间")
    return n
