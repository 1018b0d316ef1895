"""Search text analysis: jieba search-mode tokens (policy and department dictionary) and CJK bigrams."""
from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

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


def warm_up() -> None:
    """Load the dictionaries now (the first query would otherwise pay for it)."""
    search_tokens("儿童")
    synonym_groups()
