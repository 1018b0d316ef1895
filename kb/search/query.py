"""Query understanding: clean the typed text, read filters and phrases, find departments, expand synonyms; the
terms to look up come from the same whoosh analyzer that indexed the text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from kb.search.analysis import bigrams, normalise, search_tokens, synonym_groups, words
from nlp.model import KIND_LABELS

MAX_QUERY_CHARS = 200
MAX_FORMS = 6
SYNONYM_WEIGHT = 0.8
COMMON_SHARE = 0.4  # a token in more than this share of documents is too common to search for
TEXT_FIELDS = ("title", "text", "indicators", "groups")
_QUOTES = {'"': '"', "“": "”", "「": "」", "『": "』", "‘": "’", "＂": "＂"}
_PHRASE = re.compile("|".join(f"{re.escape(o)}([^{re.escape(c)}]*){re.escape(c)}" for o, c in _QUOTES.items()))
_FILTER = re.compile(r"(?<![\w])([a-zA-Z_]+|领域|类型|部门|角色|规划|指标)[:：]\s*(\S+)")
_SYNTAX = re.compile(r"[()\[\]{}<>^~*?!+\\/|&=;:：,，。、;；!！?？\"“”「」『』‘’＂'`@#$%]+")
_OPERATORS = re.compile(r"(?<!\w)(AND|OR|NOT|ANDNOT|ANDMAYBE)(?!\w)")
FILTER_KEYS = {
    "domain": "domain",
    "领域": "domain",
    "kind": "kind",
    "类型": "kind",
    "dept": "dept",
    "department": "dept",
    "部门": "dept",
    "role": "role",
    "角色": "role",
    "plan": "plan",
    "规划": "plan",
    "has": "has",
    "指标": "has",
}
ROLES = {"lead": "lead", "牵头": "lead", "co": "co", "配合": "co", "参与": "co"}
KIND_ALIASES = {
    **{v: k for k, v in KIND_LABELS.items()},
    **{k: k for k in KIND_LABELS},
    "目标": "goal",
    "措施": "measure",
    "策略措施": "measure",
    "指标": "goal",
}


class SearchError(ValueError):
    """A query or parameter the user must change; status is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


@dataclass
class Concept:
    """One meaningful word of the query with the forms it is searched in: (form, synonym of) pairs."""

    word: str
    forms: list[tuple[str, str | None]]
    phrase: bool = False

    @property
    def strings(self) -> list[str]:
        return [f for f, _ in self.forms]


@dataclass
class ParsedQuery:
    """What the user asked for, after cleaning."""

    text: str
    concepts: list[Concept] = field(default_factory=list)
    depts: list[tuple[str, str, bool]] = field(default_factory=list)  # (canonical, as typed, stem only)
    excluded: list[str] = field(default_factory=list)
    chunks: list[str] = field(default_factory=list)  # the free-text pieces as typed (for did-you-mean)
    filters: dict[str, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.concepts and not self.depts


def clean(q: str) -> str:
    """Drop control and format characters, NFKC-normalise nothing else, collapse whitespace."""
    if len(q) > MAX_QUERY_CHARS * 4:
        raise SearchError(f"查询过长(最多 {MAX_QUERY_CHARS} 个字符)")
    q = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in q)
    q = " ".join(q.split())
    if len(q) > MAX_QUERY_CHARS:
        raise SearchError(f"查询过长(最多 {MAX_QUERY_CHARS} 个字符)")
    return q


def expand(word: str) -> list[tuple[str, str | None]]:
    """The word and its synonym forms: every group term inside the word replaced by the other members."""
    forms: dict[str, str | None] = {word: None}
    for group in synonym_groups():
        inside = [t for t in group if t in word]
        if inside:
            term = max(inside, key=len)  # 毛入学率 holds 入学率: replace the longest member only
            for other in group:
                if other != term:
                    forms.setdefault(word.replace(term, other), word)
    return list(forms.items())[:MAX_FORMS]


def _department(word: str, alone: bool) -> tuple[str, bool] | None:
    """(canonical, stem only) when the word names a registry department; a bare stem counts only on its own."""
    from nlp.registry import resolve

    if len(word) < 2:
        return None
    dep = resolve(word)
    if dep is None:
        return None
    forms = {normalise(n) for n in dep.names} | {normalise("市" + n) for n in dep.names}
    if word in forms:
        return dep.canonical, False
    return (dep.canonical, True) if alone else None


def parse(q: str, filters: dict[str, str | None] | None = None) -> ParsedQuery:
    """Read the typed query: phrases, field filters, -exclusions, departments, words with synonyms."""
    text = clean(q)
    pq = ParsedQuery(text=text, filters={k: v for k, v in (filters or {}).items() if v not in (None, "")})
    rest = text
    for m in _PHRASE.finditer(text):
        phrase = normalise(m.group(m.lastindex or 1) or "").strip()
        if any(ch.isalnum() for ch in phrase):
            pq.concepts.append(Concept(phrase, [(phrase, None)], phrase=True))
    rest = _PHRASE.sub(" ", rest)
    if any(ch in rest for ch in _QUOTES) or any(ch in rest for ch in _QUOTES.values()):
        pq.messages.append("引号不成对,已按普通词语搜索")
    for m in _FILTER.finditer(rest):
        key = FILTER_KEYS.get(m.group(1).lower())
        if key:
            pq.filters.setdefault(key, m.group(2))
    rest = _FILTER.sub(lambda m: " " if FILTER_KEYS.get(m.group(1).lower()) else m.group(0), rest)
    if _OPERATORS.search(rest):
        pq.messages.append("不支持 AND/OR/NOT 运算符,已按普通词语搜索(多个词之间用空格分隔)")
        rest = _OPERATORS.sub(" ", rest)
    chunks = []
    for chunk in rest.split():
        if chunk.startswith("-") and len(chunk) > 1 and any(c.isalnum() for c in chunk):
            pq.excluded.append(normalise(_SYNTAX.sub("", chunk[1:])))
            continue
        chunks.extend(_SYNTAX.sub(" ", chunk).replace("-", " ").split())
    seen = {c.word for c in pq.concepts}
    pq.chunks = [normalise(c) for c in chunks]
    for chunk in chunks:
        ws = words(chunk)
        for w in ws:
            dep = _department(w, alone=len(ws) == 1)
            if dep:
                pq.depts.append((dep[0], w, dep[1]))
                if not dep[1]:
                    continue
            if w not in seen:
                seen.add(w)
                pq.concepts.append(Concept(w, expand(w)))
    if pq.empty and not pq.filters:
        pq.messages.append("请输入要搜索的词语")
    return pq


Terms = dict[tuple[str, str], float]  # (field, token) → query weight


def concept_query(c: Concept, df=None) -> list[tuple[str, str, float]]:
    """Every search-mode token of every form in the text fields, plus bigrams of the forms as fallback.

    df(field, token) → share of documents holding it: a token in most documents (儿童) says nothing next to
    the concept's other tokens and would cost a scan of most postings, so it is left out.
    """
    subs: list[tuple[str, str, float]] = []
    for form, via in c.forms:
        weight = 1.0 if via is None else SYNONYM_WEIGHT
        toks = list(dict.fromkeys(t for t, _, _ in search_tokens(form)))
        if df and len(toks) > 1:
            toks = [t for t in toks if df("text", t) < COMMON_SHARE] or toks
        for tok in toks:
            # A longer token is more specific than its parts; weight by length so 高中阶段 beats 阶段.
            w = weight * (1.0 + 0.25 * (len(tok) - 2)) if len(tok) > 1 else weight * 0.5
            subs.extend((f, tok, w) for f in TEXT_FIELDS)
        if len(toks) > 1:  # the raw text repeats the repaired one: only the whole form is looked up there
            subs.append(("raw", form, weight))
        grams = list(dict.fromkeys(b for b, _, _ in bigrams(form)))
        if df and len(grams) > 1:
            grams = [g for g in grams if df("ngram", g) < COMMON_SHARE] or grams
        subs.extend(("ngram", bg, weight) for bg in grams)
    return subs


def build(pq: ParsedQuery, df=None) -> Terms:
    """The weighted terms of every concept (summed by BM25F per document; coverage is applied later)."""
    terms: Terms = {}
    for c in pq.concepts:
        for f, tok, w in concept_query(c, df):
            terms[(f, tok)] = max(terms.get((f, tok), 0.0), w)
    return terms
