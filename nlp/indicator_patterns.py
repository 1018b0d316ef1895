"""Compiled indicator patterns, the predicate candidate type and the value helpers every shape matcher shares."""

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
    # a range (控制在30%-40%, 每年降低0.5到1个百分点) or a list of values (6‰、5‰和3‰)
    to = d["range_separators"]
    vals = rf"{num}(?:{unit})?{to}{num}{unit}|(?:{num}(?:{unit})?{sep})*{num}{unit}"
    up = [w + "(?=[^\u4e00-\u9fff\\d]|$)" if w.endswith("提") else w for w in d["directional_up"]]
    p = SimpleNamespace(d=d, num=num)
    blocked = {v: f"(?<![{b}]){v}" for v, b in d["verb_blockers"].items()}  # 作为一项 is no 为1项
    verbs = "|".join(blocked.get(v, v) for v in sorted(d["verbs"], key=len, reverse=True))
    p.value = re.compile(
        rf"(?P<gap>{d['scope_gap']})?(?P<adv>{adv})(?:{d['chained_verb']})?(?P<verb>{verbs})"
        rf"(?P<vals>{vals})(?P<tail>{_alt(d['tails'])})?"
    )
    p.one_value = re.compile(rf"({num})({unit})?")
    p.value_range = re.compile(rf"({num})(?:{unit})?{to}({num})({unit})")
    rel = d["relative"]
    p.relative = re.compile(
        rf"(?:{d['baseline']}[,,]?)?(?:分别)?(?P<dir>{_alt(rel['down'] + rel['up'])})"
        rf"(?:(?P<num>{num})(?:%|％|个百分点)?(?:{to}(?P<num2>{num}))?(?P<unit>%|％|个百分点)|(?P<frac>{d['fraction']}))"
    )
    p.relative_value = re.compile(rf"{num}(?:%|％|个百分点)")
    p.direction_after = re.compile(
        rf"(?P<adv>(?:{_alt(d['directional_adverbs'])})*)"
        rf"(?P<dir>{_alt(d['directional_down'])}|{'|'.join(sorted(up, key=len, reverse=True))})"
    )
    # the object of a verb-first target: any measured quantity (率, 比例, 数量 …), up to max_name characters;
    # …人数比例 is one quantity: a suffix directly followed by another is not the end
    metric = _alt(d["metric_suffixes"])
    rate = rf"[^,,。;;\n]{{1,{d['max_name']}}}?(?:{metric})(?!{metric})"
    p.direction_before = re.compile(
        rf"(?P<dir>{_alt(d['verb_first_up'][:-1] + d['verb_first_down'])}|提(?![{d['ti_blockers']}高升]))"
        rf"(?P<names>{rate}(?:[、和及与]{rate})*)(?!先)"
    )
    # a text without a digit, a Chinese numeral or a measured quantity holds no target (most items: read nothing)
    p.worth_reading = re.compile(rf"\d|{_alt(d['metric_suffixes'])}|{d['coverage']}|[{''.join(d['cn_digits'])}]")
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
    p.name_gap = re.compile(rf"^{d['scope_gap']}|{d['scope_gap']}$")
    p.sentence_baseline = re.compile(d["sentence_baseline"])
    p.year = re.compile(d["year"])
    p.name_strip = re.compile(d["name_strip"])
    p.coverage_prefix = re.compile(d["coverage_prefix"])
    p.cut_words, p.noun_stop = set(d["cut_words"]), set(d["noun_stop"])
    p.status = re.compile(_alt(d["status_cues"]))
    p.ge_context = re.compile(_alt(d["comparator_context_ge"]))
    return p


def unit_of(u: str | None) -> str | None:
    """Canonical unit (％ → %)."""
    return patterns().d["unit_aliases"].get(u, u) if u else None


def parse_values(s: str) -> list[tuple[float | None, float | None, str | None]]:
    """'6‰5‰3‰' or '6、5和3‰' → values; a missing unit is taken from the next value; '30%-40%' → one range."""
    if r := patterns().value_range.fullmatch(s):
        return [(float(r.group(1)), float(r.group(2)), unit_of(r.group(3)))]
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
