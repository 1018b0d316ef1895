"""Explicit department mentions in plan text: registry names, collective forms and 牵头/配合 cues."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from nlp import lang, registry

CUES_FILE = "role_cues.tsv"
# An enumeration of bare stems closed by a generic noun: "教育、民政、公安…等有关部门".
_ENUM_TAIL = r"(?:等)?(?:有关|相关)?(?:部门|机关|单位)"
_TERRITORIAL = "各区县(市)人民政府"


@dataclass
class Mention:
    """A span of text naming one or more departments."""

    start: int
    end: int
    text: str
    departments: tuple[str, ...]  # canonical names
    rule: str  # mention | collective | group
    cue: str | None = None  # lead | co when the text states the role
    cue_before: bool = False  # the cue precedes the body ("支持工会、共青团…"): it reaches the list members after it


@lru_cache(maxsize=1)
def _forms() -> dict[str, tuple[tuple[str, ...], str]]:
    """Every surface form → (canonical names, rule); collective phrases win over single names."""
    forms: dict[str, tuple[tuple[str, ...], str]] = {
        n: ((d.canonical,), "mention") for d in registry.departments() for n in d.local_names
    }
    forms.update({n: ((d.canonical,), "mention") for d in registry.departments() for n in d.names})
    for phrase, (members, _role) in registry.groups().items():
        forms[phrase] = (members, "group")
    return forms


def name_forms() -> list[str]:
    """Every surface form of a registry body or collective phrase (words of the analysis dictionary)."""
    return list(_forms())


@lru_cache(maxsize=1)
def matcher():
    """PhraseMatcher over the project's spaCy pipeline (jieba's dictionary holds every form, so each stays whole)."""
    from spacy.matcher import PhraseMatcher

    forms = _forms()
    nlp = lang.spacy_nlp()
    pm = PhraseMatcher(nlp.vocab)
    for form in forms:
        pm.add(form, [nlp.make_doc(form)])
    return pm


@lru_cache(maxsize=1)
def _form_regex() -> re.Pattern:
    """Character-level fallback for a name jieba glued to its neighbour (e.g. 少先队妇联)."""
    return re.compile("|".join(re.escape(f) for f in sorted(_forms(), key=len, reverse=True)))


@lru_cache(maxsize=1)
def _enum_regex() -> tuple[re.Pattern, re.Pattern, dict[str, str]]:
    """(enumeration pattern, single-stem pattern, stem → canonical)."""
    stems = {s: d.canonical for d in registry.departments() for s in d.stems}
    stems.update({n: d.canonical for d in registry.departments() for n in d.aliases})
    alt = "|".join(re.escape(s) for s in sorted(stems, key=len, reverse=True))
    return re.compile(rf"(?:{alt})(?:[、,,和及与](?:{alt}))+{_ENUM_TAIL}"), re.compile(alt), stems


def names_any(text: str) -> bool:
    """Whether the text may name a body: any registry form or an enumeration of stems occurs in it (a character
    test, no tokenising: the quick check before find_mentions)."""
    return bool(_form_regex().search(text) or _enum_regex()[0].search(text))


_LIST_JOINER = re.compile(r"(?:[、,,和及与]|以及)[县区市]?")
# a body's name the registry does not hold, in a list of bodies: a short name ending in an organ's word
UNLISTED = r"[^、,，。;；:：()（）\s]{1,10}?(?:办公室|委员会|政府|办|局|委|部|厅|署|行|院|会|中心|公司|集团)"


@lru_cache(maxsize=1)
def _cues() -> tuple[re.Pattern, dict[str, str], re.Pattern, dict[str, str]]:
    """(after-pattern, after cue → role, before-pattern, before cue → role) from role_cues.tsv."""
    after: dict[str, str] = {}
    before: dict[str, str] = {}
    for n, line in enumerate(lang.read_lines(CUES_FILE), 1):
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) < 3 or cells[1] not in ("lead", "co", "shared") or cells[2] not in ("after", "before"):
            raise ValueError(f"{CUES_FILE}: row {n} needs cue<TAB>lead|co|shared<TAB>after|before: {line!r}")
        (after if cells[2] == "after" else before)[cells[0]] = cells[1]

    def alt(d: dict[str, str]) -> str:
        return "|".join(re.escape(c) for c in sorted(d, key=len, reverse=True))

    # "由统计部门牵头", "工会配合", "等有关部门按职责分工负责": generic nouns may sit between the body and the cue,
    # and bodies the registry does not hold ("…财政部、人民银行、侨办等按职责分工负责"): the cue still covers the list
    a = re.compile(
        rf"^(?:[、,，和及与]{UNLISTED})*(?:等)?(?:有关|相关)?(?:部门|单位|组织|机构)?(?:要|应|应当)?({alt(after)})"
    )
    b = re.compile(rf"({alt(before)})(?:有关|相关)?$")
    return a, after, b, before


# A label before a list of bodies gives them their role: "牵头单位：县教育局；配合单位：县卫健局、县体育局";
# "责任单位：A、B" lists the bodies that answer for the task, the first listed leading (as "A、B按职责分工负责").
LABEL_ROLES = {
    "牵头单位": "lead",
    "牵头部门": "lead",
    "配合单位": "co",
    "配合部门": "co",
    "协办单位": "co",
    "参与单位": "co",
    "主要责任单位": "shared",
    "责任单位": "shared",
    "责任部门": "shared",
}
_LABEL_ALT = "|".join(sorted(LABEL_ROLES, key=len, reverse=True))
_LABEL_BEFORE = re.compile(rf"({_LABEL_ALT})\s*[：:]\s*$")
LABEL = re.compile(rf"(?:{_LABEL_ALT})\s*[：:]")


def _cue(text: str, start: int, end: int) -> tuple[str | None, bool]:
    """(the role the text gives the body at start:end, whether its cue precedes the body)."""
    after_re, after, before_re, before = _cues()
    m = after_re.match(text[end : end + 80])  # room for unlisted bodies before the cue
    if m and not LABEL.match(text, end + m.start(1)):  # "县教育局配合单位：": the next label, not a cue
        return after[m.group(1)], False
    label = _LABEL_BEFORE.search(text[max(0, start - 10) : start])
    if label:
        return LABEL_ROLES[label.group(1)], True
    m = before_re.search(text[max(0, start - 4) : start])
    return (before[m.group(1)], True) if m else (None, False)


def _pick_longest(cands: list[Mention]) -> list[Mention]:
    """Keep the longest of overlapping mentions (各级政府妇儿工委 over 各级政府)."""
    out: list[Mention] = []
    for m in sorted(cands, key=lambda m: (-(m.end - m.start), m.start)):
        if all(m.end <= o.start or m.start >= o.end for o in out):
            out.append(m)
    return sorted(out, key=lambda m: m.start)


def find_mentions(text: str) -> list[Mention]:
    """Every explicit mention in text with its character span, longest match first, cues attached."""
    forms = _forms()
    doc = lang.spacy_nlp().make_doc(text)
    cands: list[Mention] = []
    for match_id, s, e in matcher()(doc):
        span = doc[s:e]
        deps, rule = forms[doc.vocab.strings[match_id]]
        cands.append(Mention(span.start_char, span.end_char, span.text, deps, rule))
    bounds = {t.idx for t in doc} | {len(text)}
    for fm in _form_regex().finditer(text):
        if fm.start() in bounds and fm.end() in bounds:  # never cut a word: 组织部 must not fire inside 组织部署
            deps, rule = forms[fm.group()]
            cands.append(Mention(fm.start(), fm.end(), fm.group(), deps, rule))
    enum_re, stem_re, stems = _enum_regex()
    for em in enum_re.finditer(text):
        deps = tuple(dict.fromkeys(stems[n] for n in stem_re.findall(em.group()) if n in stems))
        cands.append(Mention(em.start(), em.end(), em.group(), deps, "collective"))
    out = _pick_longest(cands)
    # "县级以上人民政府妇女儿童工作委员会": a government qualifying the body right after it is not itself named.
    out = [
        m
        for m, nxt in zip(out, [*out[1:], None], strict=False)
        if not (nxt and nxt.start == m.end and m.departments == (_TERRITORIAL,))
    ]
    for m in out:
        m.cue, m.cue_before = _cue(text, m.start, m.end)
    # "支持工会、共青团、妇联…": a cue before a list covers every member joined after it.
    for m, nxt in itertools.pairwise(out):
        if nxt.cue is None and m.cue and m.cue_before and _LIST_JOINER.fullmatch(text[m.end : nxt.start]):
            nxt.cue, nxt.cue_before = m.cue, True
    # "市财政局、市医保局配合": a cue after a list covers every member joined to it by 、,和 及 与.
    for m, nxt in reversed(list(itertools.pairwise(out))):
        if m.cue is None and nxt.cue and _LIST_JOINER.fullmatch(text[m.end : nxt.start]):
            m.cue = nxt.cue
    # "A、B、C按职责分工负责": each answers for its part, the first listed leads (the published tables' convention),
    # unless the sentence has named its lead already: "(科技部牵头,发展改革委、财政部等按职责分工负责)" lists co-units
    shared = [m.cue == "shared" for m in out]
    for i, m in enumerate(out):
        if shared[i]:
            joined = i > 0 and shared[i - 1] and _LIST_JOINER.fullmatch(text[out[i - 1].end : m.start])
            m.cue = "co" if joined or _led_before(out, i, text) else "lead"
    return out


_SENTENCE_END = re.compile(r"[。;；!！?？\n]")
_UNLISTED_LEAD = re.compile(rf"{UNLISTED}(?:牵头|主责|负总责)")


def _led_before(out: list[Mention], i: int, text: str) -> bool:
    """Whether a body named earlier in the same sentence as out[i] is cued as its lead (X牵头, Y…负责)."""
    start = 0
    for m in reversed(out[:i]):
        if _SENTENCE_END.search(text[m.end : out[i].start]):
            start = m.end
            break
        if m.cue == "lead":
            return True
    # a lead the registry does not hold ("(外专局牵头，外交部、教育部…按职责分工负责)") still leads
    before = _SENTENCE_END.split(text[start : out[i].start])[-1]
    return bool(_UNLISTED_LEAD.search(before))
