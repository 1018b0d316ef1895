"""Shape matchers for quantitative targets: each finds predicates (达到90%以上, 下降20%, 全覆盖 …) in a text."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from types import SimpleNamespace

from nlp.lang import cut, data_path

_PUNCT = ",,。;;::!!??\n"


Value = tuple[float | None, float | None, str | None]  # (value, value_max, unit)


@dataclass
class Cand:
    """A matched predicate; names are read from the text before `anchor` unless given."""

    start: int
    end: int
    anchor: int
    values: list[Value]
    comparator: str
    names: list[str] | None = None
    name_start: int | None = None
    per: str | None = None
    scope: str | None = None
    baseline: str | None = None
    suffix: str = ""
    strip: re.Pattern | None = None
    split: bool = False
    extra: dict = field(default_factory=dict)


def _alt(words) -> str:
    """Regex alternation, longest first so 降低到 wins over 降低."""
    return "|".join(sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def patterns() -> SimpleNamespace:
    """indicator_patterns.json compiled once (lazy: nothing happens at import)."""
    d = json.loads(data_path("indicator_patterns.json").read_text(encoding="utf-8"))
    num, unit = d["number"], "(?:" + "|".join(d["units"]) + ")"
    sep, adv = d["value_separators"], "(?:" + _alt(d["adverbs"]) + ")*"
    vals = rf"(?:{num}(?:{unit})?{sep})*{num}{unit}"
    up = [w + "(?=[^\u4e00-\u9fff\\d]|$)" if w.endswith("提") else w for w in d["directional_up"]]
    p = SimpleNamespace(d=d, num=num)
    p.value = re.compile(
        rf"(?P<gap>{d['scope_gap']})?(?P<adv>{adv})(?P<verb>{_alt(d['verbs'])})"
        rf"(?P<vals>{vals})(?P<tail>{_alt(d['tails'])})?"
    )
    p.one_value = re.compile(rf"({num})({unit})?")
    rel = d["relative"]
    p.relative = re.compile(
        rf"(?:{d['baseline']}[,,]?)?(?:分别)?(?P<dir>{_alt(rel['down'] + rel['up'])})"
        rf"(?:(?P<num>{num})(?P<unit>%|％|个百分点)|(?P<frac>{d['fraction']}))"
    )
    p.relative_value = re.compile(rf"{num}(?:%|％|个百分点)")
    p.direction_after = re.compile(
        rf"(?P<adv>(?:{_alt(d['directional_adverbs'])})*)"
        rf"(?P<dir>{_alt(d['directional_down'])}|{'|'.join(sorted(up, key=len, reverse=True))})"
    )
    rate = r"[^,,。;;\n]{1,20}?率"
    p.direction_before = re.compile(
        rf"(?P<dir>{_alt(d['verb_first_up'][:-1] + d['verb_first_down'])}|提(?![{d['ti_blockers']}高升]))"
        rf"(?P<names>{rate}(?:[、和及与]{rate})*)(?!先)"
    )
    p.subject_of = re.compile(
        rf"^(?:{d['scope_gap']}|{d['baseline']})?[,,]?{adv}"
        rf"(?:{_alt(d['directional_adverbs'])})*(?:{_alt(d['verbs'])}|{_alt(rel['down'] + rel['up'])})"
    )
    p.count = re.compile(rf"{d['count']}(?P<num>{num})(?P<unit>{unit})")
    p.range = re.compile(rf"(?<![\d.]){d['range']}(?P<unit>{'|'.join(d['range_units'])})")
    p.count_more = re.compile(rf"{d['count_more']}(?P<num>{num})(?P<unit>{unit})")
    p.periodic = re.compile(d["periodic"])
    p.fraction = re.compile(d["fraction"])
    p.value_frac = re.compile(
        rf"(?P<adv>{adv})(?P<verb>{_alt(d['verbs'])})(?P<frac>{d['fraction']})(?P<tail>{_alt(d['tails'])})?"
    )
    p.cn_digit = re.compile(d["cn_digit_context"])
    p.scope_only = re.compile(d["scope_only"])
    p.trailing_scope = re.compile(d["trailing_scope"])
    p.name_year = re.compile(d["name_year"])
    p.extension = re.compile(d["extension"])
    p.each = re.compile(rf"{d['each']}(?P<num>{num})(?P<unit>{unit})")
    p.time = re.compile(rf"(?P<num>{num})(?P<unit>{_alt(d['time_units'])})")
    p.per = re.compile("|".join(d["per"]))
    p.scope = re.compile("|".join(d["scope"]))
    p.baseline = re.compile(d["baseline"])
    p.year = re.compile(d["year"])
    p.name_strip = re.compile(d["name_strip"])
    p.coverage_prefix = re.compile(d["coverage_prefix"])
    p.cut_words, p.noun_stop = set(d["cut_words"]), set(d["noun_stop"])
    p.ge_context = re.compile(_alt(d["comparator_context_ge"]))
    return p


def unit_of(u: str | None) -> str | None:
    """Canonical unit (％ → %)."""
    return patterns().d["unit_aliases"].get(u, u) if u else None


def parse_values(s: str) -> list[tuple[float | None, float | None, str | None]]:
    """'6‰5‰3‰' or '6、5和3‰' → values; a missing unit is taken from the next value."""
    out: list[Value] = [(float(m.group(1)), None, unit_of(m.group(2))) for m in patterns().one_value.finditer(s)]
    for i in range(len(out) - 2, -1, -1):
        if out[i][2] is None:
            out[i] = (out[i][0], None, out[i + 1][2])
    return out


def noun_after(text: str, pos: int) -> tuple[str, int]:
    """The noun phrase written after a count (…1个危重新生儿救治中心,): up to punctuation or a new verb."""
    p, i = patterns(), pos
    words: list[str] = []
    for w in cut(text[pos : pos + 40]):
        if w[0] in _PUNCT or w in p.cut_words or (words and w in p.noun_stop) or len(words) >= 10:
            break
        words.append(w)
        i += len(w)
    phrase = "".join(words)
    return phrase[phrase.rfind("的") + 1 :], i


def comparator_from(verb: str, tail: str | None) -> str:
    """A tail (以上/以下/以内) states the direction; else the verb does."""
    d = patterns().d
    return d["tails"].get(tail or "", "") or d["verbs"].get(verb, ">=")


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
        value = (
            (float(m.group("num")), unit_of(m.group("unit"))) if m.group("num") else (fraction(m.group("frac")), "%")
        )
        out.append(
            Cand(
                m.start(),
                m.end(),
                m.start(),
                [(value[0], None, value[1])],
                "decrease_by" if down else "increase",
                baseline=base.group(0) if base else None,
                split=True,
            )
        )
    for m in re.finditer(p.d["coverage"], text):  # 实现农村卫生厕所全覆盖 → 覆盖率 == 100%
        out.append(
            Cand(m.start(), m.end(), m.start(), [(100.0, None, "%")], "==", suffix="覆盖率", strip=p.coverage_prefix)
        )
    out += _directional(text)
    return out


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
        words = cut(names)
        if names.endswith(not_rates) or p.subject_of.match(text[m.end() :]) or any(w in p.cut_words for w in words):
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
