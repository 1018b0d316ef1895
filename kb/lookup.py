"""One resolver for ids people type: a full id (plan:health-m9) or its short form (health-m9)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from kb.errors import Ambiguous, NotFound


def short_id(full_id: str) -> str:
    """The part after the plan prefix: yiyang-children-2021-2025:health-m9 → health-m9."""
    return full_id.split(":", 1)[-1]


def resolve_id(ids: Iterable[str], ref: str, what: str = "条目") -> str:
    """The full id `ref` names among `ids`: exact, else the unique id whose short form is `ref`.

    Raises NotFound (suggestions: close ids) or Ambiguous (suggestions: every full id it could be).
    """
    ids = list(ids)
    if ref in ids:
        return ref
    ref_short = short_id(ref)
    hits = [i for i in ids if short_id(i) == ref_short] if ":" not in ref else []
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise Ambiguous(f"“{ref}”在多个规划中都有,请写完整编号: {'、'.join(hits)}", hits)
    raise NotFound(f"找不到{what}“{ref}”", close_ids(ids, ref))


def close_ids(ids: Iterable[str], ref: str, n: int = 5) -> list[str]:
    """Full ids whose short form is close to `ref`'s (for "did you mean")."""
    by_short: dict[str, str] = {}
    for i in ids:
        by_short.setdefault(short_id(i), i)
    return [by_short[k] for k in difflib.get_close_matches(short_id(ref), list(by_short), n=n, cutoff=0.5)]
