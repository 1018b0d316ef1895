"""Quantitative targets: every measured quantity in an item's (repaired) text becomes an Indicator record."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from nlp.indicator_counts import digits_for_numerals
from nlp.indicator_names import _scope_of, _share_scope, _split_names, _trim, distribute
from nlp.indicator_shapes import _PUNCT, Cand, find_shapes, patterns
from nlp.model import Indicator, Plan

_SENT = "。;;!!??\n"
_JOINS = ("", "、", ",", ",", ";", ";")


def _last_of(text: str, chars: str, end: int) -> int:
    """Offset just after the last of `chars` before `end` (0 if none)."""
    return max(text.rfind(c, 0, end) for c in chars) + 1


def _accept(cands: list[Cand]) -> list[Cand]:
    """Keep candidates in priority order unless they overlap one already kept; return them in text order."""
    kept: list[Cand] = []
    for c in cands:
        if all(c.end <= k.start or c.start >= k.end for k in kept):
            kept.append(c)
    return sorted(kept, key=lambda c: c.start)


def _year(text: str, start: int, end: int, default: int) -> int:
    """到2025年 / 十四五期末 in the sentence before the target; else the plan's end year."""
    p = patterns()
    sent = text[_last_of(text, _SENT, start) : end]
    sent = p.baseline.sub("", sent)
    for word, y in p.d["year_words"].items():
        if word in sent:
            return y
    years = [int(y) for y in p.year.findall(sent)]
    return years[-1] if years else default


def _names_for(text: str, c: Cand, bound: int) -> tuple[list[str], int, str | None]:
    """Names, raw start and per for a candidate whose names are written before it."""
    p = patterns()
    if "given_text" in c.extra:
        return _share_scope(_split_names(c.extra["given_text"])), c.start, None
    region, at = text[bound : c.anchor], bound  # `at`: where the region starts in the text
    per = None
    if b := p.baseline.search(region):  # 近视率在2018年的基础上每年降低…: the name ends where the baseline starts
        c.baseline = c.baseline or b.group(0)
        if pm := p.per.fullmatch(region[b.end() :].strip(",,")):
            per = pm.group(0)
        region, at = (region[: b.start()], at) if b.start() else (region[b.end() :], at + b.end())
    if m := p.per.search(region):
        per = m.group(0)
        # 每千名儿童拥有医生数: the per qualifies the name and stays in it; 近视率每年降低: an adverb of the verb
        if region[m.end() :].strip("拥有"):
            region, at = region[m.start() :], at + m.start()
        else:
            region = region[: m.start()]
    name = _trim(region)
    if per and not name.startswith(per) and region.startswith(per):
        name = region  # the per starts the name: keep it whole (a cut word inside must not drop it)
    if c.strip is not None and (m := c.strip.search(name)):
        name = name[m.end() :]
    # 孕产妇保健水平 --孕产妇系统管理率: a sub-target mark inside the name starts the real name
    name = re.split(r"\s*(?:━+|—{2,}|-{2,})\s*", name)[-1].lstrip("、,, ")
    start = at + len(region) - len(name) if name else c.start  # the name is still the region's tail here
    name = p.name_year.sub("", name).strip("、,, ")  # 巩固率2015年达到96%: the year is not part of the name
    if g := p.name_gap.search(name):  # 以乡镇为单位适龄儿童…接种率, …覆盖率农村以县级助产机构为单位到2005年…
        c.scope, name = c.scope or g.group(0), (name[: g.start()] + name[g.end() :]).strip("、,, ")
    names = _share_scope(_split_names(name)) if c.split and name else [name]
    return names, start, per


def _unit_noun(name: str, unit: str | None) -> str:
    """接触户外自然光 + 小时 → …时间; 执业医生 + 名 → …数: the name says what is measured."""
    d = patterns().d
    if name and unit in d["time_units"] and not name.endswith("时间"):
        return name + "时间"
    if name and unit in d["count_units"] and not name.endswith(("数", "率")):
        return name + "数"
    return name


def _records(text: str, c: Cand, bound: int, default_year: int, prev: Indicator | None) -> list[Indicator]:
    """Indicator records for one accepted candidate."""
    if c.names is not None:
        names, start, per = c.names, c.name_start if c.name_start is not None else c.start, None
        region = text[bound : c.anchor]
        if c.per is None and (m := patterns().per.search(region)):
            per = m.group(0)
    else:
        names, start, per = _names_for(text, c, bound)
    per = c.per or per
    if per is None and prev is not None and prev.per and text[prev.span[1] : start] in ("、", "", ",", ","):
        # 每千名儿童拥有医生达1名、床位增至2.8张: the second target shares the per, in its name as in the first's
        per = prev.per
        if shared := re.match(re.escape(per) + r"(?:\w{0,2}?拥有)?", prev.name):
            names = [n if n.startswith(per) else shared.group(0) + n for n in names]
    names = [n + c.suffix if c.suffix and not n.endswith(c.suffix) else n for n in names]
    scope_only = None
    gap = patterns().name_year.sub("", text[prev.span[1] : start]).strip() if prev is not None else None
    if len(names) == 1 and not names[0].strip("?") and prev is not None and gap in _JOINS:
        # 到2005年要达到60%;到2010年要达到80%: a target without a name right after another repeats its name
        names, scope_only = [patterns().trailing_scope.sub("", prev.name)], prev.scope
    elif len(names) == 1 and prev is not None and (m := patterns().scope_only.match(names[0])):
        # 孕产妇保健覆盖率在城市达到90%以上,在农村达到60%以上: the second target repeats the name for 农村
        scope_only = m.group("s")
        base = patterns().trailing_scope.sub("", prev.name)
        names = [base]
    names = [_unit_noun(n, c.values[0][2]) for n in names]
    vals = c.values
    if len(names) == 1 and (len(vals) > 1 or c.extra.get("each")):  # 新生儿、婴儿和…死亡率分别降至2‰、3.5‰和5‰
        names = distribute(names[0], len(vals) if len(vals) > 1 else None)
    if len(names) > len(vals) > 1:
        names = names[-len(vals) :]
    if len(vals) == 1:
        vals = vals * len(names)
    names = names + [names[-1]] * (len(vals) - len(names))
    start = min(start, c.start)
    raw, year = text[start : c.end], _year(text, start, c.end, default_year)
    baseline = c.baseline or _sentence_baseline(text, start, c)
    scopes = c.extra.get("scopes") or [None] * len(names)
    out = []
    for name, (v, vmax, unit), sc in zip(names, vals, scopes, strict=False):
        if scope_only is None and (t := patterns().trailing_scope.search(name)):
            scope_only, name = t.group("s"), name[: t.start()]  # 婚前医学检查率城市达到80%
        scope = scope_only or c.scope or sc or _scope_of(name)
        if "scope_from" in c.extra:
            scope = text[c.extra["scope_from"] - len(c.baseline or "") : c.extra["scope_from"]] or scope
        out.append(
            Indicator(
                name=name or "?",
                comparator=c.comparator,
                value=v,
                value_max=vmax,
                unit=unit,
                per=per,
                scope=scope,
                year=year,
                baseline=baseline,
                raw=raw,
                span=(start, c.end),
                baseline_year=_baseline_year(baseline),
            )
        )
    return out


def _sentence_baseline(text: str, start: int, c: Cand) -> str | None:
    """以2010年为基数,5岁以下儿童死亡率下降1/6: a baseline leading the sentence is every relative target's in it."""
    if c.comparator not in ("decrease_by", "increase") or c.values[0][0] is None:
        return None
    found = list(patterns().sentence_baseline.finditer(text, _last_of(text, _SENT, start), start))
    return found[-1].group(0) if found else None


def _baseline_year(baseline: str | None) -> int | None:
    """The year of a baseline phrase (以2020年为基数 → 2020)."""
    m = re.search(r"(\d{4})年", baseline or "")
    return int(m.group(1)) if m else None


def extract_indicators(text: str, default_year: int = 2025) -> list[Indicator]:
    """All quantitative targets in `text`, in text order; spans are offsets in `text`."""
    return [replace(ind) for ind in _extracted(text, default_year)]  # copies: a caller numbers its own


# Plans of one province repeat each other's targets word for word: a text's targets are read once per process.
@lru_cache(maxsize=8192)
def _extracted(text: str, default_year: int) -> tuple[Indicator, ...]:
    if not text or not patterns().worth_reading.search(text):
        return ()
    original, text = text, digits_for_numerals(text)
    out = _extract(text, default_year)
    for ind in out:  # read on digits, reported as written (一次 stays 一次)
        ind.raw = original[ind.span[0] : ind.span[1]]
    return tuple(out)


def _extract(text: str, default_year: int) -> list[Indicator]:
    """Targets of a text whose numerals are digits."""
    out: list[Indicator] = []
    prev_end = 0
    for c in _accept(find_shapes(text)):
        if patterns().status.match(text, _last_of(text, _SENT, c.start)):
            continue  # 截至2020年,…死亡率分别下降至1.92‰: what was reached, not a target
        bound = max(_last_of(text, _PUNCT, c.anchor), prev_end)
        recs = _records(text, c, bound, default_year, out[-1] if out else None)
        if recs and not recs[0].name.strip("?") and bound > _last_of(text, _SENT, c.anchor):
            recs = _records(text, c, max(_last_of(text, _SENT, c.anchor), prev_end), default_year, None)
        out += recs
        prev_end = c.end
    return out


def tag_indicators(plan: Plan) -> None:
    """Fill item.indicators for every item of the plan, with stable ids '<item id>.i<n>'."""
    year = _plan_year(plan)
    for item in plan.items:
        item.indicators = extract_indicators(item.text or "", default_year=year)
        for n, ind in enumerate(item.indicators, 1):
            ind.id = f"{item.id}.i{n}"


def _plan_year(plan: Plan) -> int:
    """The plan's end year from its title, e.g. (2021-2025年) → 2025, else from its metadata's period."""
    m = re.search(r"20\d\d\s*[-—~至]\s*(20\d\d)", plan.title or "") or re.search(
        r"(20\d\d)\D*$", str(plan.meta.get("period") or "")
    )
    return int(m.group(1)) if m else 2025


def indicator_table(plan: Plan, domain: str | None = None) -> list[dict]:
    """Rows for `kb indicators [--domain D]`: one per target, domain given as code (health) or name (儿童与健康)."""
    rows = []
    for item in plan.items:
        if domain and domain not in (item.domain_code, item.domain):
            continue
        for ind in item.indicators:
            target = "" if ind.value is None else f"{ind.value:g}" + (f"-{ind.value_max:g}" if ind.value_max else "")
            rows.append(
                {
                    "id": ind.id,
                    "item": item.id,
                    "domain": item.domain,
                    "kind": item.kind,
                    "name": ind.name,
                    "comparator": ind.comparator,
                    "target": target + (ind.unit or ""),
                    "per": ind.per,
                    "scope": ind.scope,
                    "year": ind.year,
                    "baseline": ind.baseline,
                    "raw": ind.raw,
                }
            )
    return rows
