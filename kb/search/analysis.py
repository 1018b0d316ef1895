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
BLOCK_CACHE = 100_000  # cuts of jieba blocks remembered (clauses, items and raw texts share most blocks)
_WORD = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+(?:\.[0-9]+)?")
_lock = threading.Lock()


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Function words that are neither indexed nor searched."""
    return frozenset(read_lines(STOPWORDS_FILE))


@lru_cache(maxsize=1)
def synonym_groups() -> tuple[tuple[str, ...], ...]:
    """Groups of equivalent terms from nlp/data/synonyms.tsv."""
    groups = []
    for line in read_lines(SYNONYMS_FILE):
        terms = tuple(dict.fromkeys(normalise(t) for t in re.split(r"[\t|]", line) if t.strip()))
        if len(terms) > 1:
            groups.append(terms)
    return tuple(groups)


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
        for group in synonym_groups():
            for w in group:
                if len(w) > 1 and not tok.FREQ.get(w):
                    tok.add_word(w, 3000)
        # jieba's add_word only ever adds to the total, so it depends on what was added before; recount it.
        tok.total = sum(tok.FREQ.values())
    return tok


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower case; the form both index and query are matched in."""
    return unicodedata.normalize("NFKC", text).lower()


def _same_length_norm(text: str) -> str:
    """normalise(text), or only lower case when NFKC would change the length (offsets must stay the original's)."""
    norm = normalise(text)
    return norm if len(norm) == len(text) else text.lower()


@lru_cache(maxsize=BLOCK_CACHE)
def _cut_block(block: str) -> tuple[tuple[str, int, int], ...]:
    """Search-mode words (with offsets) of one jieba block, punctuation dropped."""
    return tuple((w, s, e) for w, s, e in search_jieba().tokenize(block, mode="search") if _WORD.search(w))


def _jieba_pieces(norm: str) -> Iterator[tuple[str, int, int]]:
    """jieba's search-mode tokenize of norm, cut block by block (jieba cuts each block on its own, so the
    result is identical, and an item's text re-uses the cuts of its clauses)."""
    import jieba

    base = 0
    for block in jieba.re_han_default.split(norm):
        if block:
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


class _PiecesTokenizer(Tokenizer):
    """A whoosh Tokenizer over a (normalised text → (word, start, end)) splitter; picklable (whoosh stores it)."""

    def _split(self, norm: str) -> Iterator[tuple[str, int, int]]:
        raise NotImplementedError

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
        norm = _same_length_norm(value)
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


class JiebaTokenizer(_PiecesTokenizer):
    """jieba search-mode segmentation (overlapping sub-words) with the project dictionary, NFKC + lower case."""

    def _split(self, norm: str) -> Iterator[tuple[str, int, int]]:
        return _jieba_pieces(norm)


class BigramTokenizer(_PiecesTokenizer):
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
    search_tokens("儿童")
    synonym_groups()
