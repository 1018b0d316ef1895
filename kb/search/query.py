"""Query understanding: clean the typed text, read filters and phrases, find departments, expand synonyms; the
terms to look up come from the same whoosh analyzer that indexed the text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from kb.labels import KIND
from kb.search.analysis import bigrams, everyday_terms, never_same, normalise, search_tokens, synonym_groups, words
from kb.search.intent import is_duty, is_filler, question_kind, role_of, strip_questions
from kb.search.thesaurus import everyday

MAX_QUERY_CHARS = 200
MAX_FORMS = 6
SYNONYM_WEIGHT = 0.8  # a synonym of a typed word weighs less than the word itself
EVERYDAY_WEIGHT = 0.8  # the plan's term for an everyday word (孩子 → 儿童): the word is rarely in the plan itself
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
    **{v: k for k, v in KIND.items()},
    **{k: k for k in KIND},
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
    never: frozenset[str] = frozenset()  # words this concept must not match through a part (negative rules)

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
    question: str | None = None  # who / how / what, from the question words removed
    role: str | None = None  # lead / co, from role words next to a department or in a "who" question
    stems: list[tuple[str, str]] = field(default_factory=list)  # (canonical, word): a department stem among words
    joined: list[str] = field(default_factory=list)  # words typed together (性教育 = 性 + 教育): the exact phrase

    @property
    def empty(self) -> bool:
        return not self.concepts and not self.depts


def clean(q: str) -> str:
    """Drop format characters, read control characters as spaces, NFKC-normalise nothing else, collapse
    whitespace. A format character (zero-width space, joiner, BOM, soft hyphen) is invisible inside a word pasted
    from a web page or a document: as a space it split 近\u200b视 into 近 and 视, which found nothing."""
    if len(q) > MAX_QUERY_CHARS * 4:
        raise SearchError(f"查询过长(最多 {MAX_QUERY_CHARS} 个字符)")
    q = "".join(_spaced(ch) for ch in q)
    q = " ".join(q.split())
    if len(q) > MAX_QUERY_CHARS:
        raise SearchError(f"查询过长(最多 {MAX_QUERY_CHARS} 个字符)")
    return q


def _spaced(ch: str) -> str:
    """A query character as clean() keeps it: format characters dropped, other control and space ones a space."""
    cat = unicodedata.category(ch)
    return "" if cat == "Cf" else " " if cat[0] in "CZ" else ch


def expand(word: str) -> list[tuple[str, str | None]]:
    """The word and its synonym forms: every group term inside the word replaced by the other members, and the
    plan's terms for an everyday word; never a form a negative rule keeps apart from the word."""
    forms: dict[str, str | None] = {word: None}
    everyday = everyday_terms()
    inside = [t for t in everyday if t in word]
    if inside:
        term = max(inside, key=len)
        for target in everyday[term]:
            forms.setdefault(word.replace(term, target), word)
    for group in synonym_groups():
        inside = [t for t in group if t in word]
        if inside:
            term = max(inside, key=len)  # 毛入学率 holds 入学率: replace the longest member only
            for other in group:
                if other != term:
                    forms.setdefault(word.replace(term, other), word)
    never = never_of(word)
    return [(f, via) for f, via in forms.items() if via is None or f not in never][:MAX_FORMS]


def never_of(word: str) -> frozenset[str]:
    """Words a negative rule keeps apart from this word (from the longest rule word inside it)."""
    rules = never_same()
    inside = [t for t in rules if t in word]
    return rules[max(inside, key=len)] if inside else frozenset()


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
    """Read the typed query: phrases, field filters, -exclusions, question, role and duty words, departments, words
    with synonyms."""
    text = clean(q)
    pq = ParsedQuery(text=text, filters={k: v for k, v in (filters or {}).items() if v not in (None, "")})
    rest = text
    for m in _PHRASE.finditer(text):
        phrase = normalise(m.group(m.lastindex or 1) or "").strip()
        if any(ch.isalnum() for ch in phrase):
            pq.concepts.append(Concept(phrase, [(phrase, None)], phrase=True, never=never_of(phrase)))
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
    chunks, kinds = [], []
    for chunk in rest.split():
        if chunk.startswith("-") and len(chunk) > 1 and any(c.isalnum() for c in chunk):
            pq.excluded.append(normalise(_SYNTAX.sub("", chunk[1:])))
            continue
        stripped, found = strip_questions(normalise(chunk))
        kinds += found
        chunks.extend(_SYNTAX.sub(" ", stripped).replace("-", " ").split())
    pq.question = question_kind(kinds)
    seen = {c.word for c in pq.concepts}
    pq.chunks = [normalise(c) for c in chunks]
    roles: list[tuple[str, str]] = []  # (word, role), kept as words unless a department or "who" makes them roles
    words_in_order: list[str] = []
    chunk_words: list[tuple[str, list[str]]] = []
    for chunk in chunks:
        ws = [w for w in words(chunk) if not is_filler(w)]
        chunk_words.append((chunk, ws))
        for w in ws:
            if role_of(w):
                roles.append((w, role_of(w) or ""))
                words_in_order.append(w)
                continue
            dep = _department(w, alone=len(ws) == 1 or all(role_of(x) or is_duty(x) or x == w for x in ws))
            if dep:
                pq.depts.append((dep[0], w, dep[1]))
                if not dep[1]:
                    continue
            elif len(w) > 1:
                stem = _stem(w)
                if stem:
                    pq.stems.append((stem, w))
            words_in_order.append(w)
    named = bool(pq.depts or pq.stems)
    # Next to a department, 任务 / 职责 … ask for its duty list: no word to find (nor part of the words typed together)
    dropped = {w for w in words_in_order if named and is_duty(w) and not role_of(w)}
    words_in_order = [w for w in words_in_order if w not in dropped]
    for chunk, ws in chunk_words:
        together = "".join(w for w in ws if not role_of(w) and w not in dropped and not _department(w, alone=False))
        if len(together) > 1 and together in normalise(chunk) and together not in ws:
            pq.joined.append(together)
    if roles and (named or pq.question == "who"):
        role_words = {w for w, _ in roles}
        stems = {w for _, w, stem in pq.depts if stem} | {w for _, w in pq.stems}
        topic = [w for w in words_in_order if w not in role_words and w not in stems]
        # 卫健委负责(什么) asks for all the department answers for, its 配合 duties too; 牵头 filters by the role
        if topic or pq.question == "who" or not all(is_duty(w) for w, _ in roles):
            pq.role = roles[0][1]
        words_in_order = [w for w in words_in_order if w not in role_words]
    for w in words_in_order:
        if w not in seen:
            seen.add(w)
            pq.concepts.append(Concept(w, expand(w), never=never_of(w)))
    if pq.empty and not pq.filters:
        pq.messages.append("请输入要搜索的词语")
    return pq


def _stem(word: str) -> str | None:
    """The canonical department a bare stem names (卫健, 公安) when the word is nothing but the stem."""
    found = _department(word, alone=True)
    return found[0] if found and found[1] else None


def refine(pq: ParsedQuery, df) -> None:
    """Settle what the index decides: a department stem that is no word of the plan (卫健) is the department,
    not a word to find; df(field, token) → documents holding it."""
    for canon, w in pq.stems:
        if not df("text", w) and not df("title", w):
            if all(d[0] != canon for d in pq.depts):
                pq.depts.append((canon, w, True))
            pq.concepts = [c for c in pq.concepts if c.word != w]
    # A short name typed on its own (卫健, or 司法 / 公安 / 生态环境, which are plan words too) is the department:
    # next to other words (司法 普法) it picks the department's items and is no word to find; alone it is both.
    stems_as_depts = {w for _, w, stem in pq.depts if stem}
    others = [c for c in pq.concepts if c.word not in stems_as_depts]
    pq.concepts = [
        c
        for c in pq.concepts
        if c.word not in stems_as_depts or (not others and (df("text", c.word) or df("title", c.word)))
    ]

    everyday(pq, lambda w: df("text", w) + df("title", w))


Terms = dict[tuple[str, str], float]  # (field, token) → query weight


def concept_query(c: Concept, df=None) -> list[tuple[str, str, float]]:
    """Every search-mode token of every form in the text fields, plus bigrams of the forms as fallback.

    df(field, token) → share of documents holding it: a token in most documents (儿童) says nothing next to
    the concept's other tokens and would cost a scan of most postings, so it is left out.
    """
    subs: list[tuple[str, str, float]] = []
    typed_best = 0.0  # the typed word's heaviest token: no expansion may weigh more than its share of it
    for form, via in c.forms:
        weight = 1.0 if via is None else SYNONYM_WEIGHT
        toks = list(dict.fromkeys(t for t, _, _ in search_tokens(form)))
        if df and len(toks) > 1:
            toks = [t for t in toks if df("text", t) < COMMON_SHARE] or toks
        for tok in toks:
            # A longer token is more specific than its parts; weight by length so 高中阶段 beats 阶段.
            w = weight * (1.0 + 0.25 * (len(tok) - 2)) if len(tok) > 1 else weight * 0.5
            if via is None:
                typed_best = max(typed_best, w)
            elif typed_best:
                w = min(w, typed_best * weight)  # 托育 → 婴幼儿照护: longer, yet weighs less than the word typed
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
