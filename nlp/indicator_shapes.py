"""Shape matchers for quantitative targets: each finds predicates (达到90%以上, 下降20%, 全覆盖 …) in a text."""

from __future__ import annotations

import re

from nlp.indicator_groups import _directional, _each, _series
from nlp.indicator_patterns import (  # re-exported: callers import the shared helpers from here
    _PUNCT,
    Cand,
    Value,
    comparator_from,
    noun_after,
    parse_values,
    patterns,
    unit_of,
)

__all__ = [
    "_PUNCT",
    "Cand",
    "Value",
    "comparator_from",
    "find_shapes",
    "noun_after",
    "parse_values",
    "patterns",
    "unit_of",
]


def find_shapes(text: str) -> list[Cand]:
    """All predicate candidates in priority order (earlier shapes win overlaps)."""
    from nlp.indicator_counts import counts, fraction  # counts build on this module's patterns (no cycle at import)

    p = patterns()
    out: list[Cand] = []
    for m in p.extension.finditer(text):  # 从6-24月龄延伸到6-36月龄: coverage of an age band widened
        out.append(
            Cand(
                m.start(),
                m.end(),
                m.start(),
                [(float(m.group(3)), None, m.group(2))],
                "==",
                baseline=text[m.start() + 1 : m.group(0).find(m.group(2)) + m.start() + len(m.group(2))],
                suffix=m.group(2) + "上限",
                extra={"scope_from": m.end()},
            )
        )
    out += _series(text) + _each(text)
    for m in p.count.finditer(text):  # 至少设置1个危重新生儿救治中心: the counted thing follows
        out += counts(text, m, ">=")
    for m in p.periodic.finditer(text):  # 每年进行1次体检: the activity follows
        out += counts(text, m, ">=", per=m.group("per"))
    for m in p.range.finditer(text):  # 每个区县3-5家社会组织
        noun, end = noun_after(text, m.end())
        if noun:
            out.append(
                Cand(
                    m.start(),
                    end,
                    m.start(),
                    [(float(m.group(1)), float(m.group(2)), m.group("unit"))],
                    ">=",
                    names=[noun + "数"],
                    name_start=m.end(),
                )
            )
    for m in p.value.finditer(text):
        vals = parse_values(m.group("vals"))
        out.append(
            Cand(
                m.start(),
                m.end(),
                m.start(),
                vals,
                comparator_from(m.group("verb"), m.group("tail")),
                scope=(m.group("gap") or None),
                split=True,
                extra={"each": "分别" in m.group("adv")},
            )
        )
    for m in p.value_frac.finditer(text):  # 达到八成以上: a share in tenths or as a fraction
        frac: list[Value] = [(fraction(m.group("frac")), None, "%")]
        out.append(
            Cand(m.start(), m.end(), m.start(), frac, comparator_from(m.group("verb"), m.group("tail")), split=True)
        )
    for m in p.relative.finditer(text):  # 以2020年为基数下降20%, 下降1/6
        down = m.group("dir") in p.d["relative"]["down"]
        base = p.baseline.search(m.group(0))
        hi = float(m.group("num2")) if m.group("num2") else None  # 每年降低0.5到1个百分点
        value = (
            (float(m.group("num")), unit_of(m.group("unit"))) if m.group("num") else (fraction(m.group("frac")), "%")
        )
        out.append(
            Cand(
                m.start(),
                m.end(),
                m.start(),
                [(value[0], hi, value[1])],
                "decrease_by" if down else "increase",
                baseline=base.group(0) if base else None,
                split=True,
                extra={"each": "分别" in m.group(0)},
            )
        )
    for m in re.finditer(p.d["coverage"], text):  # 实现农村卫生厕所全覆盖 → 覆盖率 == 100%
        out.append(
            Cand(m.start(), m.end(), m.start(), [(100.0, None, "%")], "==", suffix="覆盖率", strip=p.coverage_prefix)
        )
    out += _directional(text)
    return out
