"""Search text analysis: the one whoosh analyzer (jieba search-mode cut with the policy and department dictionary,
then a stop-word filter) that indexes every text field and reads every query, and the CJK-bigram analyzer."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import StopFilter, Token, Tokenizer

from nlp.lang import jieba_tokenizer, read_lines

SYNONYMS_FILE = "synonyms.tsv"
STOPWORDS_FILE = "search_stopwords.txt"
SHORT_TEXT = 64  # texts up to this length have their simplified form remembered
BLOCK_CACHE = 100_000  # cuts of jieba blocks remembered (clauses, items and raw texts share most blocks)
SAME_LENGTH_CACHE = 8192  # texts of result rows normalised for highlighting (the same rows are shown again)
_WORD = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+(?:\.[0-9]+)?")
_lock = threading.Lock()


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Function words that are neither indexed nor searched."""
    return frozenset(read_lines(STOPWORDS_FILE))


def _terms(cell: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalise(t.strip()) for t in re.split(r"[\t|]", cell) if t.strip()))


@lru_cache(maxsize=1)
def _synonym_lines() -> tuple[list[tuple[str, ...]], dict[str, tuple[str, ...]], dict[str, frozenset[str]]]:
    """(two-way groups, one-way everyday word → plan terms, word → words it must never match) of synonyms.tsv."""
    groups: list[tuple[str, ...]] = []
    oneway: dict[str, tuple[str, ...]] = {}
    never: dict[str, frozenset[str]] = {}
    for line in read_lines(SYNONYMS_FILE):
        if line.startswith("!"):  # a negative rule: "!A<TAB>B|C": A is not B (in both directions)
            head, _, rest = line[1:].partition("\t")
            a, others = _terms(head), _terms(rest)
            if not a or not others:
                raise ValueError(f"{SYNONYMS_FILE}: negative rule without two sides: {line!r}")
            for x in a:
                never[x] = never.get(x, frozenset()) | frozenset(others)
            for y in others:
                never[y] = never.get(y, frozenset()) | frozenset(a)
        elif ">" in line:  # a one-way rule: "typed|typed > plan term|plan term"
            typed, _, target = line.partition(">")
            ts, targets = _terms(typed), _terms(target)
            if not ts or not targets:
                raise ValueError(f"{SYNONYMS_FILE}: one-way rule without two sides: {line!r}")
            for t in ts:
                oneway[t] = tuple(dict.fromkeys((*oneway.get(t, ()), *targets)))
        else:
            terms = _terms(line)
            if len(terms) > 1:
                groups.append(terms)
    return groups, oneway, never


def synonym_groups() -> tuple[tuple[str, ...], ...]:
    """Groups of equivalent terms from nlp/data/synonyms.tsv (each member is searched as every other)."""
    return tuple(_synonym_lines()[0])


def everyday_terms() -> dict[str, tuple[str, ...]]:
    """Everyday words people type → the plan's terms they are searched as (one way: 孩子 → 儿童, not back)."""
    return _synonym_lines()[1]


def never_same() -> dict[str, frozenset[str]]:
    """Word → words it must not match through a synonym or a shared part (留守儿童 is not 留守老人)."""
    return _synonym_lines()[2]


def department_names() -> list[str]:
    """Every registry name form, so the analyzer never splits a department name."""
    from nlp.registry import departments

    names = set()
    for d in departments():
        for n in d.names:
            names.add(n)
            if not n.startswith(("市", "各")):
                names.add("市" + n)
    return sorted(names)


def registry_groups() -> list[str]:
    """Collective phrases of the department registry (群团组织 …), kept whole like department names."""
    from nlp.registry import groups

    return sorted(groups())


@lru_cache(maxsize=1)
def search_jieba():
    """A private jieba Tokenizer for search: the project's dictionary plus department names and synonym terms.

    A copy, so adding search words never changes how the analysis pipeline segments plan text.
    """
    import jieba

    base = jieba_tokenizer()
    with _lock:
        tok = jieba.Tokenizer()
        tok.FREQ = dict(base.FREQ)
        tok.total = base.total
        tok.user_word_tag_tab = dict(base.user_word_tag_tab)
        tok.initialized = True
        for w in department_names():
            tok.add_word(w, 5000)
        # The analysis pipeline adds collective phrases to the shared dictionary only once it has tagged a plan;
        # add them here too so the index (built after tagging) and queries (served without it) cut alike.
        for w in registry_groups():
            tok.add_word(w, 5000)
        for w in [*(w for g in synonym_groups() for w in g), *everyday_terms()]:
            if len(w) > 1 and not tok.FREQ.get(w):
                tok.add_word(w, 3000)
        # jieba's add_word only ever adds to the total, so it depends on what was added before; recount it.
        tok.total = sum(tok.FREQ.values())
    return tok


def is_word(word: str) -> bool:
    """Whether the word is in the search dictionary with a frequency (jieba keeps every prefix at 0 besides)."""
    return search_jieba().FREQ.get(word, 0) > 0


@lru_cache(maxsize=1)
def _t2s():
    """OpenCC's traditional → simplified converter (phrase-aware: 乾淨 → 干净 but 乾隆 stays), loaded once."""
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """Traditional characters as simplified; plain simplified or ASCII text is returned as it is, without a call."""
    if text.isascii():
        return text
    return _simplified_short(text) if len(text) <= SHORT_TEXT else _t2s().convert(text)


@lru_cache(maxsize=65536)
def _simplified_short(text: str) -> str:
    """simplified() of a short text (query words, tokens): remembered, queries repeat them."""
    return _t2s().convert(text)


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower case, simplified characters: the form index and query are matched in."""
    return simplified(unicodedata.normalize("NFKC", text).lower())


@lru_cache(maxsize=SAME_LENGTH_CACHE)
def same_length_norm(text: str) -> str:
    """normalise(text) with the original's offsets: where NFKC or OpenCC would change the length, each character
    is normalised on its own (so a highlight found in the normalised text lands on the published characters)."""
    norm = normalise(text)
    if len(norm) == len(text):
        return norm
    out = []
    for ch in text:
        n = normalise(ch)
        out.append(n if len(n) == 1 else ch.lower())
    return "".join(out)


@lru_cache(maxsize=BLOCK_CACHE)
def _cut_block(block: str) -> tuple[tuple[str, int, int], ...]:
    """Search-mode words (with offsets) of one jieba block, punctuation dropped."""
    return tuple((w, s, e) for w, s, e in search_jieba().tokenize(block, mode="search") if _WORD.search(w))


def _blocks(norm: str) -> list[str]:
    """The non-empty blocks jieba cuts on their own (so cutting block by block gives jieba's result)."""
    import jieba

    return [block for block in jieba.re_han_default.split(norm) if block]


def _jieba_pieces(norm: str) -> Iterator[tuple[str, int, int]]:
    """jieba's search-mode tokenize of norm, cut block by block (an item's text re-uses the cuts of its clauses)."""
    base = 0
    for block in _blocks(norm):
        for w, s, e in _cut_block(block):
            yield w, base + s, base + e
        base += len(block)


def _bigram_pieces(norm: str) -> Iterator[tuple[str, int, int]]:
    """Overlapping CJK character bigrams (single characters for 1-char runs) and whole Latin/number words."""
    for m in _CJK_RUN.finditer(norm):
        run, base = m.group(0), m.start()
        if not "\u3400" <= run[0] <= "\u9fff" or len(run) == 1:
            yield run, base, base + len(run)
            continue
        for i in range(len(run) - 1):
            yield run[i : i + 2], base + i, base + i + 2


class PiecesTokenizer(Tokenizer):
    """A whoosh Tokenizer over a (normalised text → (word, start, end)) splitter; picklable (whoosh stores it)."""

    def _split(self, norm: str) -> Iterator[tuple[str, int, int]]:
        raise NotImplementedError

    def words(self, value: str) -> list[str]:
        """The texts of the tokens __call__ yields for value, without whoosh's Token objects (the index writer)."""
        return [w for w, _s, _e in self._split(same_length_norm(value))]

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __hash__(self):
        return hash(self.__class__.__name__)

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        norm = same_length_norm(value)
        pieces = self._split(norm) if tokenize else [(norm, 0, len(norm))]
        for pos, (word, start, end) in enumerate(pieces):
            t.text, t.boost, t.stopped = word, 1.0, False
            if keeporiginal:
                t.original = value[start:end]
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar, t.endchar = start_char + start, start_char + end
            yield t


class JiebaTokenizer(PiecesTokenizer):
    """jieba search-mode segmentation (overlapping sub-words) with the project dictionary, NFKC + lower case."""

    def _split(self, norm: str) -> Iterator[tuple[str, int, int]]:
        return _jieba_pieces(norm)

    def words(self, value: str) -> list[str]:
        return [w for block in _blocks(same_length_norm(value)) for w, _s, _e in _cut_block(block)]


class BigramTokenizer(PiecesTokenizer):
    """CJK bigrams: finds words that segmentation or a damaged text split differently."""

    def _split(self, norm: str) -> Iterator[tuple[str, int, int]]:
        return _bigram_pieces(norm)


@lru_cache(maxsize=1)
def analyzer():
    """The analyzer of every text field, for indexing and for queries: jieba tokenizer | stop words."""
    # The tokenizer already lower-cases (before the dictionary lookup, which needs it), so no LowercaseFilter.
    return JiebaTokenizer() | StopFilter(stoplist=stopwords(), minsize=1, renumber=False)


@lru_cache(maxsize=1)
def bigram_analyzer():
    """The analyzer of the bigram fallback field."""
    return BigramTokenizer()


def words(text: str) -> list[str]:
    """Normal-mode jieba words of a query chunk (meaningful units), without stop words and punctuation."""
    stops = stopwords()
    return [w for w in search_jieba().lcut(normalise(text)) if _WORD.search(w) and w not in stops]


def search_tokens(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) of text as the index analyzer reads it: search-mode sub-words, stop words dropped."""
    return [(t.text, t.startchar, t.endchar) for t in analyzer()(text, chars=True, mode="query")]


def bigrams(text: str) -> list[tuple[str, int, int]]:
    """(bigram, start, end) of text as the fallback field's analyzer reads it."""
    return [(t.text, t.startchar, t.endchar) for t in bigram_analyzer()(text, chars=True, mode="query")]


def warm_up() -> None:
    """Load the dictionaries now (the first query would otherwise pay for it)."""
    search_tokens("兒童")
    synonym_groups()
