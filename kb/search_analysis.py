"""Search text analysis: one jieba analyzer (search-mode cut, policy and department dictionary) and CJK bigrams."""
from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

from whoosh.analysis import Token, Tokenizer

from nlp.lang import jieba_tokenizer, read_lines

SYNONYMS_FILE = "synonyms.tsv"
STOPWORDS_FILE = "search_stopwords.txt"
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
        for group in synonym_groups():
            for w in group:
                if len(w) > 1 and not tok.FREQ.get(w):
                    tok.add_word(w, 3000)
    return tok


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower case; the form both index and query are matched in."""
    return unicodedata.normalize("NFKC", text).lower()


def words(text: str) -> list[str]:
    """Normal-mode jieba words of a query chunk (meaningful units), without stop words and punctuation."""
    stops = stopwords()
    return [w for w in search_jieba().lcut(normalise(text)) if _WORD.search(w) and w not in stops]


def search_tokens(text: str) -> list[tuple[str, int, int]]:
    """Search-mode tokens (word, start, end) of text, overlapping sub-words included, stop words dropped."""
    stops = stopwords()
    norm = normalise(text)
    if len(norm) != len(text):  # NFKC changed the length (rare ligatures): offsets would drift, keep raw
        norm = text.lower()
    return [(w, s, e) for w, s, e in search_jieba().tokenize(norm, mode="search")
            if _WORD.search(w) and w not in stops]


def bigrams(text: str) -> list[tuple[str, int, int]]:
    """Overlapping CJK character bigrams (single characters for 1-char runs) and whole Latin/number words."""
    out = []
    norm = normalise(text)
    if len(norm) != len(text):
        norm = text.lower()
    for m in _CJK_RUN.finditer(norm):
        run, base = m.group(0), m.start()
        if not "\u3400" <= run[0] <= "\u9fff" or len(run) == 1:
            out.append((run, base, base + len(run)))
            continue
        out.extend((run[i:i + 2], base + i, base + i + 2) for i in range(len(run) - 1))
    return out


class _BaseTokenizer(Tokenizer):
    """Whoosh tokenizer over a (text → [(word, start, end)]) function; picklable (the schema is pickled)."""

    def _split(self, value: str) -> list[tuple[str, int, int]]:
        raise NotImplementedError

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pieces = self._split(value) if tokenize else [(value, 0, len(value))]
        for pos, (word, start, end) in enumerate(pieces):
            t.text = word
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = word
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar, t.endchar = start_char + start, start_char + end
            yield t


class JiebaSearchTokenizer(_BaseTokenizer):
    """jieba search-mode segmentation with the project dictionary."""

    def _split(self, value: str) -> list[tuple[str, int, int]]:
        return search_tokens(value)


class BigramTokenizer(_BaseTokenizer):
    """CJK bigrams: finds words that segmentation or a damaged text split differently."""

    def _split(self, value: str) -> list[tuple[str, int, int]]:
        return bigrams(value)


def analyzer() -> JiebaSearchTokenizer:
    """The analyzer used for indexing and querying every text field."""
    return JiebaSearchTokenizer()


def bigram_analyzer() -> BigramTokenizer:
    """The analyzer of the bigram fallback field."""
    return BigramTokenizer()


def warm_up() -> None:
    """Load the dictionaries now (the first query would otherwise pay for it)."""
    search_tokens("儿童")
    synonym_groups()
