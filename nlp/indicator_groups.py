"""Shape matchers for grouped targets: directions without a number, duration series and 各N values."""

from __future__ import annotations

import re

from nlp.indicator_names import cut_at
from nlp.indicator_patterns import _PUNCT, Cand, noun_after, patterns, unit_of
from nlp.lang import cut


def _directional(text: str) -> list[Cand]:
    """Targets with a direction but no number: 近视率明显下降, 提高抢救成功率."""
    p, out = patterns(), []
    suffixes, not_rates = tuple(p.d["metric_suffixes"]), tuple(p.d["not_rates"])
    for m in p.direction_after.finditer(text):
        before = text[: m.start()]
        if not before.endswith(suffixes) or before.endswith(not_rates) or p.relative_value.match(text, m.end()):
            continue
        down = m.group("dir") in p.d["directional_down"]
        out.append(
            Cand(m.start(), m.end(), m.start(), [(None, None, None)], "decrease" if down else "increase", split=True)
        )
    for m in p.direction_before.finditer(text):
        names = m.group("names")
        if names.endswith(not_rates) or _predicate_follows(text, m.end()) or cut_at(names):
            continue
        down = m.group("dir") in p.d["verb_first_down"]
        out.append(
            Cand(
                m.start(),
                m.end(),
                m.start(),
                [(None, None, None)],
                "decrease" if down else "increase",
                names=None,
                name_start=m.start("names"),
                split=True,
                extra={"given_text": names},
            )
        )
    return out


def _predicate_follows(text: str, end: int) -> bool:
    """提升…率达到90%: the names are the subject of the verb after them, not the object of 提升.

    Not so after a comma that opens another verb-first target (提高…早诊早治率,降低死亡率).
    """
    p, rest = patterns(), text[end:]
    if rest[:1] in ",," and p.direction_before.match(rest, 1):
        return False
    return bool(p.subject_of.match(rest))


def _tokens(text: str) -> list[tuple[int, int, str]]:
    """jieba tokens with offsets (spaCy Doc over the project tokenizer)."""
    from nlp.lang import spacy_nlp

    return [(t.idx, t.idx + len(t.text), t.text) for t in spacy_nlp()(text)]


def _series(text: str) -> list[Cand]:
    """小学生10小时初中生9小时高中生8小时睡眠时间: one duration per group, groups are the preceding tokens."""
    p = patterns()
    times = list(p.time.finditer(text))
    if len(times) < 2:
        return []
    toks = _tokens(text)
    ends = {e: (s, w) for s, e, w in toks}
    chains: list[list[tuple[int, str, re.Match]]] = []
    for m in times:
        s, w = ends.get(m.start(), (None, ""))
        if s is None or not re.fullmatch(r"[\u4e00-\u9fff]{2,6}", w) or p.per.fullmatch(w):
            continue
        prev = chains[-1][-1][2] if chains else None
        if prev is not None and re.fullmatch(r"[、,,和及与]?", text[prev.end() : s]):
            chains[-1].append((s, w, m))
        else:
            chains.append([(s, w, m)])
    out = []
    for ch in (c for c in chains if len(c) >= 2):
        noun, end = noun_after(text, ch[-1][2].end())
        noun = noun if noun.endswith("时间") else noun + "时间"
        ctx = text[max(0, ch[0][0] - 12) : ch[0][0]]
        out.append(
            Cand(
                ch[0][0],
                end,
                ch[0][0],
                [(float(m.group("num")), None, m.group("unit")) for _, _, m in ch],
                ">=" if p.ge_context.search(ctx) else "==",
                names=[w + noun for _, w, _ in ch],
                name_start=ch[0][0],
                scope=None,
                extra={"scopes": [w for _, w, _ in ch]},
            )
        )
    return out


def _each(text: str) -> list[Cand]:
    """校内校外各1小时体育活动: the value applies to every listed item."""
    p, out = patterns(), []
    for m in p.each.finditer(text):
        left = max(text.rfind(c, 0, m.start()) for c in _PUNCT) + 1
        region = text[left : m.start()]
        per = p.per.search(region)
        items_at = left + (per.end() if per else 0)
        words = [w for w in cut(text[items_at : m.start()]) if w not in "、和及与"]
        if not words or len(words) > 4:
            continue
        noun, end = noun_after(text, m.end())
        unit = unit_of(m.group("unit"))
        if unit in p.d["time_units"] and not noun.endswith("时间"):
            noun += "时间"
        out.append(
            Cand(
                items_at,
                end,
                items_at,
                [(float(m.group("num")), None, unit)],
                ">=" if p.ge_context.search(region) else "==",
                names=[w + noun for w in words],
                name_start=items_at,
                per=per.group(0) if per else None,
            )
        )
    return out
