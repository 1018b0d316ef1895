"""Notices a search answers with besides its results: what a typed role word filtered, what -词 left, and which
typed words no item holds whole (the results then match only their parts)."""

from __future__ import annotations

from kb.labels import ROLE
from kb.search.query import ParsedQuery


def _quoted(words: list[str]) -> str:
    return "、".join(f"“{w}”" for w in words)


def role_note(pq: ParsedQuery) -> str | None:
    """教育局牵头 lists only what the department leads: say so (the department alone lists all its duties)."""
    if not (pq.role and pq.depts and not pq.concepts):
        return None
    names = "、".join(dict.fromkeys(d for d, _, _ in pq.depts))
    return f"只显示{names}{ROLE[pq.role]}的条目(搜索“{names}”可看全部)"


def nothing_found(pq: ParsedQuery, did_you_mean: list[str]) -> str:
    """Why the page is empty: -词 took away every match, or nothing matched."""
    if pq.excluded:
        return f"排除{_quoted(pq.excluded)}后没有剩下匹配的条目"
    return "没有找到匹配的条目" + ("" if did_you_mean else ",请换个说法或减少词语")


def partial_note(words: list[str]) -> str | None:
    """The results hold only parts of these typed words (课后服务: items with 服务): said before them."""
    if not words:
        return None
    return f"没有条目包含完整的{_quoted(words)},以下是部分匹配的结果"
