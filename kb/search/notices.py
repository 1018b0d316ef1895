"""Notices a search answers with besides its results: what a typed role word filtered."""

from __future__ import annotations

from kb.labels import ROLE
from kb.search.query import ParsedQuery


def role_note(pq: ParsedQuery) -> str | None:
    """教育局牵头 lists only what the department leads: say so (the department alone lists all its duties)."""
    if not (pq.role and pq.depts and not pq.concepts):
        return None
    names = "、".join(dict.fromkeys(d for d, _, _ in pq.depts))
    return f"只显示{names}{ROLE[pq.role]}的条目(搜索“{names}”可看全部)"
