"""Lost sentence stops found from the plan's own sentences.

The plan shows which words open its sentences: the first word after an intact 。/; and the first word of an
item body. A word's opener rate is how often it stands there among all its occurrences (加强 opens most of its
sentences, 服务 almost none). In a long run without punctuation, a stop is proposed before a word with a high
rate when a complete clause stands before it; the confidence is the rate, so only words the plan itself uses as
openers almost always are applied, the others are suggestions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

from nlp.lang import jieba_tokenizer, read_lines
from nlp.model import Repair

_PUNCT = set(",,。;;::!!??、()()“”《》\n")
# Where a clause starts in intact text: after any clause punctuation, at a line start, after an item number.
_STARTS = re.compile(
    r"(?:^|[,,。;;!!??::]|\n)\s*(?:\d+[.、.]|[((][一二三四五六七八九十]+[))]|[一二三四五六七八九十]+、)?\s*", re.M
)
_CJK = re.compile(r"[\u4e00-\u9fff]+")


@lru_cache(maxsize=1)
def _cfg() -> dict[str, float]:
    """Thresholds of the stop finder (nlp/data/repair_scores.tsv, stop_* rows)."""
    rows = (ln.split("\t")[:2] for ln in read_lines("repair_scores.tsv"))
    return {k: float(v) for k, v in rows if k.startswith("stop_")}


@lru_cache(maxsize=1)
def _binding() -> frozenset[str]:
    """Tokens that bind the next word to what precedes them (的, 和, 对 …): no sentence ends after them."""
    return frozenset(read_lines("stop_binding.txt"))


@lru_cache(maxsize=1)
def _subjects() -> tuple[str, ...]:
    """Endings of nouns that act as a subject: a verb right after them is their predicate, not a new sentence."""
    return tuple(read_lines("stop_subjects.txt"))


@lru_cache(maxsize=65536)
def _cut(s: str) -> tuple[str, ...]:
    """jieba's cut (HMM on), cached: the same heads and chunks recur across a plan."""
    return tuple(jieba_tokenizer().cut(s, HMM=True))


def opener_rates(text: str) -> dict[str, float]:
    """Per word: the share of its occurrences that open a sentence or an item body (intact stops only)."""
    starts: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for m in _STARTS.finditer(text):
        line_end = text.find("\n", m.end())
        line = text[m.end() : line_end if line_end >= 0 else len(text)]
        if len(line) < 16 and not re.search(r"[,,。;;]", line):
            continue  # a heading line (主要目标, 政策措施) opens no sentence
        head = text[m.end() : m.end() + 12]
        words = _cut(head)
        if words and _CJK.fullmatch(words[0]):
            starts[words[0]] += 1
    for chunk in re.split(r"[\n。;;,,::]", text):
        for w in _cut(chunk):
            total[w] += 1
    need = _cfg()["stop_min_starts"]
    return {w: starts[w] / max(total[w], starts[w]) for w in starts if starts[w] >= need}


def find_stops(raw: str, text: str, make: Callable[..., Repair]) -> list[Repair]:
    """Stops proposed inside long unpunctuated runs, before a word the plan uses as a sentence opener."""
    cfg, binding = _cfg(), _binding()
    rates = opener_rates(text)
    reps: list[Repair] = []
    for m in re.finditer(r"[^,,。;;::!!??、\n]+", text):
        run = m.group()
        if len(run) < cfg["stop_min_run"]:
            continue
        pos, prev = 0, ""
        words = _cut(run)
        for i, w in enumerate(words):
            rate = rates.get(w, 0.0)
            left, right = pos, len(run) - pos
            if (
                rate >= cfg["stop_min_rate"]
                and _CJK.fullmatch(w)
                and w not in binding
                and _CJK.fullmatch(prev or "-")
                and left >= cfg["stop_min_left"]
                and _has_verb(run[:pos])  # a complete clause before it: 到2010年 or a noun phrase is no sentence
                and right >= cfg["stop_min_right"]
                and prev not in binding
                and not prev.endswith(_subjects())  # 监护人坚持…, 人民政府将…: the opener is the predicate
                and rates.get(prev, 0.0) < cfg["stop_min_rate"]  # two openers in a row are one verb group
                and not (i + 1 < len(words) and words[i + 1] in binding and len(w) == 1)
                and not _in_brackets(run, pos)
            ):
                conf = round(min(0.95, cfg["stop_base"] + cfg["stop_slope"] * rate), 2)
                at = m.start() + pos
                reps.append(make(raw, at, at, "。", "sentence_stop", "missing_punct", conf))
            pos, prev = pos + len(w), w
    return reps


@lru_cache(maxsize=4096)
def _has_verb(clause: str) -> bool:
    """Whether jieba's part-of-speech tagger finds a verb in the clause (not a verbal noun, not 到/为/是)."""
    return any(f.startswith("v") and f != "vn" and w not in _binding() for w, f in _pos_tagger().cut(clause))


@lru_cache(maxsize=1)
def _pos_tagger():
    """jieba's part-of-speech tagger over the project's tokenizer (its dictionary and registered names)."""
    import jieba.posseg

    return jieba.posseg.POSTokenizer(jieba_tokenizer())


def _in_brackets(run: str, pos: int) -> bool:
    """Inside an open bracket or quotation of the run (a parenthetical is not a sentence)."""
    head = run[:pos]
    return head.count("(") > head.count(")") or head.count("“") > head.count("”") or head.count("《") > head.count("》")
