"""What a parse left unaccounted: body lines in no item, heading or page metadata and named by no warning.

"Nothing dropped silently" is checked with this on the real-plan fixtures (tests) and the held-out real excerpts
(bench/heldout/real_check.py): one definition for both.
"""

from __future__ import annotations

import re

from nlp.model import Plan

_LINES = re.compile(r"第 (\d+)(?:–(\d+))? 行")


def unaccounted_lines(plan: Plan) -> list[tuple[int, str]]:
    """Non-empty lines of the plan's text that are in no item, heading or page metadata and named by no warning."""
    raw = plan.raw_text
    starts = [0] + [i + 1 for i, ch in enumerate(raw) if ch == "\n"]
    covered: set[int] = set()
    for it in plan.items:
        first = raw.count("\n", 0, it.raw_start) + 1
        covered.update(range(first, raw.count("\n", 0, max(it.raw_start, it.raw_end - 1)) + 2))
    covered.update(h.line for h in plan.headings)
    for w in plan.warnings:
        for a, b in _LINES.findall(w):
            covered.update(range(int(a), int(b or a) + 1))
    meta = set(plan.meta.get("page", []))
    out = []
    for no, start in enumerate(starts, 1):
        end = raw.find("\n", start)
        text = raw[start : end if end >= 0 else len(raw)].strip()
        if text and no not in covered and text not in meta:
            out.append((no, text))
    return out
