"""Indicator names: the noun phrase before a predicate, split into parallel names and given their shared scope."""

from __future__ import annotations

import re

from nlp.indicator_patterns import patterns
from nlp.lang import cut

_SEPS = ("、", "和", "及", "与", "以及")


def cut_at(region: str) -> int:
    """Where a lost-punctuation clause before the name ends (0: the region is one noun phrase).

    A clause verb or clause-final noun (cut_words) followed by ≥2 more characters starts a new clause, unless it
    is part of the name: followed by a metric word or a coordinator (知识知晓率, 建立率, 措施比例, 知识和…), or the
    last such word before a 的 that leads the metric (配备…人员的中小学比例, 妇女对营养标签的知晓率: a relative clause).
    """
    p = patterns()
    suffixes, words = tuple(p.d["metric_suffixes"]), cut(region)
    de = region.rfind("的")
    relative = de >= 0 and len(region) - de - 1 <= p.d["relative_head_max"] and region.endswith(suffixes)
    cuts, pos = [], 0
    for i, w in enumerate(words):
        pos += len(w)
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w in p.cut_words and len(region) - pos >= 2 and not nxt.endswith(suffixes) and nxt not in _SEPS:
            cuts.append(pos)
    if relative and cuts and cuts[-1] <= de:
        cuts.pop()
    return cuts[-1] if cuts else 0


def _trim(region: str) -> str:
    """The indicator name at the end of `region`: drop a lost-punctuation clause before it and filler words."""
    p = patterns()
    name = region[cut_at(region) :]
    return name[len(m.group(0)) :] if (m := p.name_strip.match(name)) else name


def _split_names(name: str) -> list[str]:
    """'A率和B率' → [A率, B率]; parts without a metric suffix stay joined (艾滋病、梅毒和乙肝…治疗率)."""
    suffixes = tuple(patterns().d["metric_suffixes"])
    out, cur = [], ""
    for w in cut(name):  # split on separator tokens only: 普及率 keeps its 及
        if w in _SEPS and cur.endswith(suffixes) and len(cur) > 1:
            out.append(cur)
            cur = ""
        else:
            cur += w
    if cur.strip("".join(_SEPS)):
        out.append(cur.rstrip("".join(_SEPS)))
    return [n for n in out if n] or [name]


def _scope_of(name: str) -> str | None:
    """The population or area a name is restricted to (3岁以下儿童, 小学生, 农村 …)."""
    m = patterns().scope.search(name)
    return m.group(0) if m else None


def _share_scope(names: list[str]) -> list[str]:
    """'5岁以下儿童贫血患病率和生长迟缓率': the scope written once applies to every name without its own group."""
    first = _scope_of(names[0]) if names else None
    starts = tuple(patterns().d["group_starts"])
    if not first or not names[0].startswith(first):
        return names
    return [names[0]] + [n if n.startswith(starts) or _scope_of(n) else first + n for n in names[1:]]


def distribute(name: str, n: int | None) -> list[str]:
    """新生儿、婴儿和5岁以下儿童死亡率 → 新生儿死亡率, 婴儿死亡率, 5岁以下儿童死亡率: one head, on the last member.

    Only for parallel members: the last one opens with a group like the others (5岁以下儿童 ~ 婴儿) or with a word
    of the first one's length and last character (二级 ~ 三级); `n` (the number of values, when several) must equal
    the number of members. Anything else keeps the name whole (艾滋病、梅毒和乙肝感染孕产妇所生儿童治疗率).
    """
    p = patterns()
    members: list[str] = []
    cur = ""
    for w in cut(name):  # split on separator tokens only, as _split_names does
        if w in _SEPS:
            members, cur = [*members, cur], ""
        else:
            cur += w
    members = [m for m in [*members, cur] if m]
    if len(members) < 2 or (n is not None and n != len(members)):
        return [name]
    *firsts, last = members
    suffixes = tuple(p.d["metric_suffixes"])
    if any(m.endswith(suffixes) for m in firsts) or not last.endswith(suffixes):
        return [name]
    groups = sorted(p.d["group_starts"], key=len, reverse=True)
    if (m := p.scope.match(last)) or (m := re.match("|".join(groups), last)):
        head = m.group(0)
    elif last[: len(firsts[0])][-1:] == firsts[0][-1:]:
        head = last[: len(firsts[0])]
    else:
        return [name]
    shared = last[len(head) :]
    if not shared.endswith(suffixes) or any(len(f) > p.d["member_max"] for f in firsts):
        return [name]
    return [f + shared for f in firsts] + [last]
