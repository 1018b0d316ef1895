"""Repairs of lost separators and quotes: list members written back to back, quotes left unclosed."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from functools import lru_cache

from nlp.lang import cut, jieba_tokenizer, read_lines
from nlp.model import Repair
from nlp.registry import departments
from nlp.repair_lexicon import _cfg as _char_cfg
from nlp.repair_lexicon import _cut as _dict_cut

# A stop ends a quotation's reach: an unclosed “ is closed before the first of these.
_QUOTE_STOPS = re.compile(r"[,。;:!?\n]")
_LIST_WINDOW = 16  # how far back a 、 shows that we are inside an enumeration (or right after the pair)


@lru_cache(maxsize=1)
def list_terms() -> re.Pattern:
    """Regex of enumeration members: data terms plus every department name of two or more characters."""
    terms = set(read_lines("list_terms.txt"))
    terms |= {n for d in departments() for n in d.names if len(n) >= 2}
    return re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))


def list_separators(raw: str, text: str, make) -> list[Repair]:
    """Insert 、 between two list members that touch, when a 、 just before shows an enumeration."""
    reps: list[Repair] = []
    pattern = list_terms()
    pos = 0
    while True:
        m = pattern.search(text, pos)
        if not m:
            return reps
        nxt = pattern.match(text, m.end())
        if nxt and "、" in text[max(0, m.start() - _LIST_WINDOW) : nxt.end() + 1]:
            reps.append(make(raw, m.end(), m.end(), "、", "list_separator", "missing_punct", 0.85))
        pos = m.end()


def close_quotes(raw: str, text: str, make) -> list[Repair]:
    """Unbalanced quotes: an opening “ is closed at the clause end; in a run of quoted terms (“A”“B”) a ”
    without its “ gets one as far back as the next quoted term is long (parallel terms have similar length)."""
    reps = []
    for m in re.finditer("”“", text):
        clause = _QUOTE_STOPS.split(text[: m.start()])[-1]
        if "“" in clause:
            continue
        stop = _QUOTE_STOPS.search(text, m.end())
        nxt = text[m.end() : stop.start() if stop else len(text)].split("”")[0]
        start = m.start() - len(nxt)
        if 2 <= len(nxt) <= 8 and len(clause) > len(nxt):
            reps.append(make(raw, start, start, "“", "open_quote", "missing_punct", 0.75))
    for m in re.finditer("“", text):
        stop = _QUOTE_STOPS.search(text, m.end())
        end = stop.start() if stop else len(text)
        if "”" not in text[m.end() : end] and "“" not in text[m.end() : end] and end > m.end():
            reps.append(make(raw, end, end, "”", "close_quote", "missing_punct", 0.8))
    return reps


@lru_cache(maxsize=1)
def _title_joiners() -> tuple[str, ...]:
    """Words joining two document titles (《A》和《B》), longest first (nlp/data/title_joiners.txt)."""
    return tuple(sorted(read_lines("title_joiners.txt"), key=len, reverse=True))


def open_titles(raw: str, text: str, make) -> list[Repair]:
    """A 》 whose 《 was lost: after the previous title and its joiner (《A》和B》 → 《A》和《B》) the title is known
    to start, so the 《 goes back there; a 》 with no title before it on its line gets nothing (a guess)."""
    reps = []
    for m in re.finditer("》", text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        prev = max(text.rfind("》", line_start, m.start()), text.rfind("《", line_start, m.start()))
        if prev < 0 or text[prev] == "《":
            continue  # balanced, or nothing to anchor the title's start
        between = text[prev + 1 : m.start()]
        joiner = next((j for j in _title_joiners() if between.startswith(j)), None)
        if joiner and len(between) - len(joiner) >= 4 and not _QUOTE_STOPS.search(between):
            at = prev + 1 + len(joiner)
            reps.append(make(raw, at, at, "《", "open_title", "missing_bracket", 0.85))
    return reps


_CHAIN = re.compile(r"[\u4e00-\u9fff]+(?:、[\u4e00-\u9fff]+)+")


def _members(segs: list[str]) -> set[str]:
    """A 、-list's members: the middle ones whole, the first's last word and the last's first word."""
    return {cut(segs[0])[-1], *segs[1:-1], cut(segs[-1])[0]}


def glued_members(raw: str, text: str, make) -> list[Repair]:
    """A list whose first member is glued to the word before it (能力政府社会、学校、家庭): the 、 goes between
    them when the plan lists that word with at least two of the same members elsewhere (政府、企业、学校、家庭、
    社会). The plan's own enumerations say which words are members of one list; a pair the plan also writes
    together elsewhere is one phrase (医疗康复、教育、住房: 医疗康复 is written twice), not two members."""
    chains = [(m, m.group().split("、")) for m in _CHAIN.finditer(text)]
    lists = [_members(segs) for _m, segs in chains]
    reps = []
    for i, (m, segs) in enumerate(chains):
        first = cut(segs[0])
        if len(first) < 2 or len(first[-2]) < 2:
            continue
        word, own = first[-2], lists[i]
        if text.count(word + first[-1]) > 1:
            continue
        if any(word in other and len(own & other) >= 2 for j, other in enumerate(lists) if j != i):
            at = m.start() + len(segs[0]) - len(first[-1])
            reps.append(make(raw, at, at, "、", "glued_member", "missing_punct", 0.85))
    return reps


_BEFORE_DENG = re.compile(r"[\u4e00-\u9fff]+(?=等)")
_HEAD_REACH = 24  # how far before 等 the repeated members are looked for
_MEMBER_LEN = (3, 7)
_JOINERS = "和与及或的"


def repeated_heads(raw: str, text: str, make) -> list[Repair]:
    """Members of a list closed by 等 that lost their 、 but share a head word and a length (…全国低碳日全国科技周等):
    a 、 before each repeat of the head; and before the first one when the text before it ends like the first
    member (环境日|全国低碳日: members of one list share their last character too)."""
    reps = []
    for m in _BEFORE_DENG.finditer(text):
        run, toks, pos = m.group(), cut(m.group()), [0]
        for t in toks:
            pos.append(pos[-1] + len(t))
        for head in dict.fromkeys(t for t in toks if len(t) == 2):
            starts = [pos[i] for i, t in enumerate(toks) if t == head and pos[i] >= len(run) - _HEAD_REACH]
            if len(starts) < 2 or any(run[a - 1] in _JOINERS for a in starts[1:]):
                continue  # 全国科技周和全国低碳日: joined already
            lens = [b - a for a, b in zip(starts, [*starts[1:], len(run)], strict=True)]
            if max(lens) - min(lens) > 1 or min(lens) < _MEMBER_LEN[0] or max(lens) > _MEMBER_LEN[1]:
                continue
            first_end = run[starts[0] + lens[0] - 1]
            cuts = starts[1:] if starts[0] == 0 or run[starts[0] - 1] != first_end else starts
            reps += [make(raw, m.start() + a, m.start() + a, "、", "repeated_head", "missing_punct", 0.8) for a in cuts]
    return reps


_CLAUSE = re.compile(r"[^,,。;;::!!??\n]+")


def lost_in_slots(raw: str, text: str, lost: dict[str, float], make: Callable[..., Repair]) -> list[Repair]:
    """A list member that opens with a lone character standing where the member before it has a two-character word
    — the same word follows both (年龄标准优先、身标准补充), or each is its member's only word next to two-character
    members (年龄、身、体重) — lost a character of that word: one this plan demonstrably loses (its channel, `lost`)
    fills it when that makes a dictionary word (身 → 身高), the likeliest by its loss rate. Members of one list are
    parallel; a character the plan does not lose is never inserted, so intact text is left alone."""
    freq, need, reps = jieba_tokenizer().FREQ, _char_cfg()["char_min_freq"], []
    for m in _CLAUSE.finditer(text) if lost else ():
        segs = m.group().split("、")
        starts = [m.start() + sum(len(x) + 1 for x in segs[:i]) for i in range(len(segs))]
        for i in range(1, len(segs)):
            before, words = _dict_cut(segs[i - 1]), _dict_cut(segs[i])
            if not words or len(words[0]) != 1 or not before:
                continue
            if len(words) > 1:
                slot = any(len(a) == 2 and b == words[1] for a, b in itertools.pairwise(before))
            else:
                after = _dict_cut(segs[i + 1]) if i + 1 < len(segs) else ()
                slot = len(before[-1]) == 2 and bool(after) and len(after[0]) == 2
            if not slot:
                continue
            pairs = [(r, ch, w) for ch, r in lost.items() for w in (words[0] + ch, ch + words[0])]
            fills = [f for f in pairs if freq.get(f[2], 0) >= need]
            if fills:
                rate, ch, word = max(fills)
                at = starts[i] + (1 if word[0] == words[0] else 0)
                conf = round(_char_cfg()["char_confidence"] * rate / sum({f[1]: f[0] for f in fills}.values()), 2)
                reps.append(make(raw, at, at, ch, "dropped_char_lexicon", "dropped_char", conf))
    return reps
