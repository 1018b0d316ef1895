"""Lost sentence stops found from the plan's own sentences.

The plan shows which words open its sentences: the first word after an intact 。/; and the first word of an
item body. A word's opener rate is how often it stands there among all its occurrences (加强 opens most of its
sentences, 服务 almost none). In a long run without punctuation, a stop is proposed before a word with a high
rate when a complete clause stands before it; the confidence is the rate, so only words the plan itself uses as
openers almost always are applied, the others are suggestions.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

from nlp.lang import jieba_tokenizer, read_lines, repair_scores
from nlp.model import Repair

_PUNCT = set(",,。;;::!!??、()()“”《》\n")
# Where a clause starts in intact text: after any clause punctuation, at a line start, after an item number.
_STARTS = re.compile(
    r"(?:^|[,,。;;!!??::]|\n)\s*(?:\d+[.、.]|[((][一二三四五六七八九十]+[))]|[一二三四五六七八九十]+、)?\s*", re.M
)
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_CLAUSE_END = re.compile(r"[\n,,。;;!!??::]")


@lru_cache(maxsize=1)
def _cfg() -> dict[str, float]:
    """Thresholds of the stop finder (nlp/data/repair_scores.tsv, stop_* rows)."""
    return repair_scores("stop_")


@lru_cache(maxsize=1)
def _binding() -> frozenset[str]:
    """Tokens that bind the next word to what precedes them (的, 和, 对 …): no sentence ends after them."""
    return frozenset(read_lines("stop_binding.txt"))


@lru_cache(maxsize=1)
def _subjects() -> tuple[str, ...]:
    """Endings of nouns that act as a subject: a verb right after them is their predicate, not a new sentence."""
    return tuple(read_lines("stop_subjects.txt"))


@lru_cache(maxsize=1)
def _frames() -> tuple[str, ...]:
    """Words that open a frame whose predicate comes later (采取…等方式加强…, 在…中加强…)."""
    return tuple(read_lines("stop_frames.txt"))


def _opens_frame(text: str, at: int) -> bool:
    """Whether the clause holding offset at (back to its last ,。;: or line start) opens with a frame word."""
    start = max(text.rfind(c, 0, at) for c in ",,。;;::\n") + 1
    return text[start:at].lstrip().startswith(_frames())


@lru_cache(maxsize=65536)
def _cut(s: str) -> tuple[str, ...]:
    """jieba's cut (HMM on), cached: the same heads and chunks recur across a plan."""
    return tuple(jieba_tokenizer().cut(s, HMM=True))


def _intact_clauses(text: str) -> list[tuple[tuple[str, ...], bool]]:
    """The plan's intact clauses as words, each with whether intact punctuation (not a line end) closes it.

    A clause is intact when it is shorter than stop_intact_max characters: a longer run may hold lost stops, and
    counting its words would make every opener look rarer than it is. Heading lines open no sentence.
    """
    out = []
    limit = _cfg()["stop_intact_max"]
    for m in _STARTS.finditer(text):
        at = m.end()  # searched from here: slicing off the rest of the text per clause start was quadratic
        end = _CLAUSE_END.search(text, at)
        clause = text[at : end.start()] if end else text[at:]
        line_end = text.find("\n", at)
        line = text[at : line_end if line_end >= 0 else len(text)]
        if len(line) < 16 and not re.search(r"[,,。;;]", line):
            continue  # a heading line (主要目标, 政策措施) opens no sentence
        if 2 <= len(clause) < limit:
            out.append((_cut(clause), end is not None and end.group() != "\n"))
    return out


def _clause_counts(text: str) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Per word, over the plan's intact clauses: how often it opens one, closes one, and occurs at all."""
    starts: Counter[str] = Counter()
    ends: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for words, closed in _intact_clauses(text):
        total.update(words)
        if words and _CJK.fullmatch(words[0]):
            starts[words[0]] += 1
        if closed and words and _CJK.fullmatch(words[-1]):
            ends[words[-1]] += 1
    return starts, ends, total


def opener_rates(text: str) -> dict[str, float]:
    """Per word: the share of its occurrences in intact clauses that open the clause (加强 most, 服务 almost none)."""
    starts, _ends, total = _clause_counts(text)
    return _opener_rates(starts, total)


def _opener_rates(starts: Counter[str], total: Counter[str]) -> dict[str, float]:
    """Opener rates from counted clauses (words opening at least stop_min_starts of them)."""
    need = _cfg()["stop_min_starts"]
    return {w: starts[w] / total[w] for w in starts if starts[w] >= need}


def _boundary_model(
    starts: Counter[str], ends: Counter[str], total: Counter[str]
) -> tuple[dict[str, float], dict[str, float], float]:
    """Opener and closer log-odds per word, and the base log-odds of a clause boundary between two words.

    Learned from the plan's intact clauses: how often a word opens a clause, how often intact punctuation follows
    it (体系, 机制, 工作 close clauses; 儿童, 加强 rarely do). Rates are smoothed towards the base rate, so a word
    seen twice says little.
    """
    base = sum(starts.values()) / max(1, sum(total.values()))
    if not 0 < base < 1:  # no intact clause opens with a word, or every word opens one: the text has no model
        return {}, {}, 0.0
    m, need = _cfg()["stop_smoothing"], _cfg()["stop_min_starts"]

    def logit(k: int, n: int) -> float:
        p = (k + m * base) / (n + m)
        return math.log(p / (1 - p))

    opens = {w: logit(starts[w], total[w]) for w in starts if starts[w] >= need}
    closes = {w: logit(ends[w], total[w]) for w in total}
    return opens, closes, math.log(base / (1 - base))


def find_stops(raw: str, text: str, make: Callable[..., Repair]) -> list[Repair]:
    """Stops proposed inside long unpunctuated runs, before a word the plan uses as a sentence opener.

    The confidence combines, as independent evidence, how often the plan opens a clause with the next word and
    how often it closes one with the word before (naive Bayes over the boundary), shifted by stop_run_bias: the
    prior that a run much longer than the plan's clauses has lost a stop somewhere.
    """
    cfg, binding = _cfg(), _binding()
    starts, ends, total = _clause_counts(text)  # once: the rates and the model read the same counts
    rates = _opener_rates(starts, total)
    opens, closes, base = _boundary_model(starts, ends, total)
    reps: list[Repair] = []
    for m in re.finditer(r"[^,,。;;::!!??、\n]+", text):
        run = m.group()
        if len(run) < cfg["stop_min_run"]:
            continue
        pos, prev = 0, ""
        words = _cut(run)
        framed = _opens_frame(text, m.end())  # its first opener is the frame's predicate, not a new sentence
        for i, w in enumerate(words):
            rate = rates.get(w, 0.0)
            left, right = pos, len(run) - pos
            if (
                rate >= cfg["stop_min_rate"]
                and _CJK.fullmatch(w)
                and _CJK.fullmatch(prev or "-")
                and left >= cfg["stop_min_left"]
                # a complete clause before it (到2010年 or a noun phrase is no sentence): a verb, or a clause that
                # opens with one of the plan's own openers (健全…体系: jieba tags 健全 an adjective)
                and (_has_verb(run[:pos]) or rates.get(words[0], 0.0) >= cfg["stop_min_rate"])
                and right >= cfg["stop_min_right"]
                and prev not in binding
                and not prev.endswith(_subjects())  # 监护人坚持…, 人民政府将…: the opener is the predicate
                and rates.get(prev, 0.0) < cfg["stop_min_rate"]  # two openers in a row are one verb group
                and not (i + 1 < len(words) and words[i + 1] in binding and len(w) == 1)
                and not _in_brackets(run, pos)
            ):
                if framed:
                    framed = False
                    pos, prev = pos + len(w), w
                    continue
                score = opens[w] + closes.get(prev, base) - base + cfg["stop_run_bias"]
                conf = round(min(0.95, 1 / (1 + math.exp(-score))), 2)
                at = m.start() + pos
                reps.append(make(raw, at, at, "。", "sentence_stop", "missing_punct", conf))
            pos, prev = pos + len(w), w
    return reps


@lru_cache(maxsize=4096)
def _has_verb(clause: str) -> bool:
    """Whether jieba's part-of-speech tagger finds a verb in the clause (not a verbal noun, not 到/为/是)."""
    return any(f.startswith("v") and f != "vn" and w not in _binding() for w, f in pos_tagger().cut(clause))


@lru_cache(maxsize=1)
def pos_tagger():
    """jieba's part-of-speech tagger over the project's tokenizer (its dictionary and registered names)."""
    import jieba.posseg

    # Importing jieba.posseg already read the dictionary's tags for its own tagger (POSTokenizer(tok) reads them
    # again, ~0.45 CPU-s); both taggers read the same file, so share a copy of the table.
    tok = jieba_tokenizer()
    if tok.dictionary != jieba.posseg.dt.tokenizer.dictionary:
        return jieba.posseg.POSTokenizer(tok)
    tagger = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
    tagger.tokenizer, tagger.word_tag_tab = tok, dict(jieba.posseg.dt.word_tag_tab)
    return tagger


def _in_brackets(run: str, pos: int) -> bool:
    """Inside an open bracket or quotation of the run (a parenthetical is not a sentence)."""
    head = run[:pos]
    return head.count("(") > head.count(")") or head.count("“") > head.count("”") or head.count("《") > head.count("》")
