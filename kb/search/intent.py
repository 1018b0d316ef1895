"""What a typed query asks besides its words: question phrases (谁, 哪个部门, 归谁管, 怎么, 要做哪些 …) that are
removed, role words (牵头, 配合, 负责 …) that filter or boost by role, filler words, and the words that ask for a
department's duties (任务, 职责 …); read from nlp/data/search_query.tsv."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from kb.search.analysis import normalise
from nlp.lang import read_lines

QUERY_FILE = "search_query.tsv"
KINDS = ("question", "role", "filler", "duty")
ROLE_VALUES = ("lead", "co")


@dataclass(frozen=True)
class QueryWords:
    """The query vocabulary: question phrases (longest first) with their kind, role words, filler words, duty
    words."""

    questions: tuple[tuple[str, str], ...]
    roles: dict[str, str]
    fillers: frozenset[str]
    duties: frozenset[str]


@lru_cache(maxsize=1)
def query_words() -> QueryWords:
    """Load search_query.tsv (a malformed line is refused with its text)."""
    questions: list[tuple[str, str]] = []
    roles: dict[str, str] = {}
    fillers: set[str] = set()
    duties: set[str] = set()
    for line in read_lines(QUERY_FILE):
        cells = line.split("\t")
        if len(cells) != 3 or cells[0] not in KINDS:
            raise ValueError(f"{QUERY_FILE}: expected 'kind<TAB>words<TAB>value' with kind in {KINDS}: {line!r}")
        kind, words, value = cells[0], [normalise(w) for w in cells[1].split("|") if w.strip()], cells[2].strip()
        if kind == "question":
            questions.extend((w, value) for w in words)
        elif kind == "role":
            if value not in ROLE_VALUES:
                raise ValueError(f"{QUERY_FILE}: a role is lead or co: {line!r}")
            roles.update(dict.fromkeys(words, value))
        elif kind == "duty":
            duties.update(words)
        else:
            fillers.update(words)
    questions.sort(key=lambda q: -len(q[0]))
    return QueryWords(tuple(questions), roles, frozenset(fillers), frozenset(duties))


def strip_questions(chunk: str) -> tuple[str, list[str]]:
    """The chunk without its question phrases (replaced by a space, so the words around them stay apart) and the
    kinds of question found (who / how / what)."""
    kinds: list[str] = []
    for phrase, kind in query_words().questions:
        if phrase in chunk:
            chunk = chunk.replace(phrase, " ")
            if kind != "-":
                kinds.append(kind)
    return chunk, kinds


def question_kind(kinds: list[str]) -> str | None:
    """The question the query asks: who wins over how and what (谁负责…要做哪些 asks for departments)."""
    for k in ("who", "how", "what"):
        if k in kinds:
            return k
    return None


def role_of(word: str) -> str | None:
    """lead / co when the word is a role word."""
    return query_words().roles.get(word)


def is_filler(word: str) -> bool:
    """A word that carries no search meaning in a query."""
    return word in query_words().fillers


def is_duty(word: str) -> bool:
    """A word asking for a department's duties (任务, 职责 …): no word to find next to a department."""
    return word in query_words().duties
