"""Counted targets and number forms: minimum counts (至少配备2名…), per-period counts, fractions, Chinese numerals."""

from __future__ import annotations

import re

from nlp.indicator_shapes import _PUNCT, Cand, patterns, unit_of
from nlp.items import clause_starts
from nlp.lang import cut
from nlp.reader import fold_width


def fraction(s: str) -> float:
    """'1/6', '六分之一' or '八成' as a percentage (16.67, 16.67, 80.0)."""
    m = patterns().fraction.fullmatch(s)
    if m and m.group("cheng"):
        return float(patterns().d["cn_digits"].get(m.group("cheng"), "10")) * 10
    if m and m.group("cd"):  # N分之M: the denominator is written first
        den = cn_number(m.group("cd"))
        return round(100 * cn_number(m.group("cn")) / den, 2) if den else 0.0
    return round(100 * int(m.group("fn")) / int(m.group("fd")), 2) if m else 0.0


def cn_number(s: str) -> int:
    """'6', '六', '十二', '二十五', '一百', '万' as an integer (digits and place values; 0 if unreadable)."""
    if s.isdigit():
        return int(s)
    d = patterns().d
    total, digit = 0, None
    for ch in s:
        if ch in d["cn_digits"]:
            digit = int(d["cn_digits"][ch])
        elif ch in d["cn_multipliers"]:
            total += (1 if digit is None else digit) * d["cn_multipliers"][ch]
            digit = None
        else:
            return 0
    return total + (digit or 0)


def _count_name(noun: str, unit: str | None) -> str:
    """至少1小时的体育锻炼时间 → 体育锻炼时间; 1名全科医生 → 全科医生数; 1次家庭教育指导 → 家庭教育指导次数."""
    d = patterns().d
    if unit in d["time_units"]:
        return noun if noun.endswith("时间") else noun + "时间"
    return noun + ("次数" if unit in ("次", "人次") else "数")


def counts(text: str, m: re.Match, comparator: str, per: str | None = None) -> list[Cand]:
    """A count and the further counts chained to it (至少组织1次A和2次B): one candidate each."""
    p, out = patterns(), list[Cand]()
    start, num, unit, pos = m.start(), m.group("num"), m.group("unit"), m.end()
    while True:
        # 开展1次以上宣传活动: the tail after the count states the direction and is not part of the noun
        if tail := next((t for t in sorted(p.d["tails"], key=len, reverse=True) if text.startswith(t, pos)), None):
            comparator, pos = p.d["tails"][tail] or comparator, pos + len(tail)
        noun, end = _counted(text, pos)
        if not noun:
            return out
        u = unit_of(unit)
        out.append(
            Cand(
                start,
                end,
                start,
                [(float(num), None, u)],
                comparator,
                names=[_count_name(noun, u)],
                name_start=pos,
                per=per,
            )
        )
        nxt = p.count_more.match(text, end)
        if not nxt:
            return out
        start, num, unit, pos = end, nxt.group("num"), nxt.group("unit"), nxt.end()


def _counted(text: str, pos: int) -> tuple[str, int]:
    """The thing a count counts (…2次家庭教育实践活动): up to punctuation, a list separator or a new verb.

    A strong clause opener (加强, 鼓励) after the noun starts a new sentence whose stop was lost: 2名…医生|加强…,
    unless it is a subject noun, the head of the noun (特殊教育|学校); a target verb starts the counted thing's
    predicate (1个危重新生儿救治中心|达到国家建设标准要求).
    """
    p, i, opens = patterns(), pos, clause_starts()
    subjects, verbs = set(p.d["subject_openers"]), p.d["verbs"]
    words: list[str] = []
    for w in cut(text[pos : pos + 40]):
        if w[0] in _PUNCT or w in ("和", "、", "及", "与") or len(words) >= 10:
            break
        opener = opens.get(w) == "strong" and w not in subjects
        if words and (w in p.noun_stop or opener or (len(w) > 1 and w in verbs)):
            break
        words.append(w)
        i += len(w)
    phrase = "".join(words)
    return phrase[phrase.rfind("的") + 1 :], i


def digits_for_numerals(text: str) -> str:
    """The text as the patterns read it, same length: Chinese numerals before a unit as digits (一次 → 1次), and
    full-width punctuation as ASCII (the reader's fold, for text that did not come through it)."""
    p = patterns()
    return p.cn_digit.sub(lambda m: p.d["cn_digits"][m.group("d")], fold_width(text))
