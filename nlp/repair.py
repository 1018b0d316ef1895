"""Repair layer: find defects in the published text and build a repaired copy with an offset map."""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from nlp.lang import cut, read_lines
from nlp.model import Repair
from nlp.reader import for_parsing
from nlp.repair_chars import find_dropped
from nlp.repair_lists import close_quotes, glued_members, list_separators, open_titles, repeated_heads
from nlp.repair_stops import find_stops

APPLY_THRESHOLD = 0.75
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
# Two or more rates written back to back ("6‰5‰3‰"): the separators were lost.
_VALUE_RUN = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?[%‰])((?:\d+(?:\.\d+)?[%‰])+)")
_ONE_VALUE = re.compile(r"\d+(?:\.\d+)?[%‰]")


@dataclass
class _Rule:
    name: str
    kind: str
    type: str
    pattern: re.Pattern
    replacement: str
    confidence: float
    token: str = ""
    before: re.Pattern | None = None


@lru_cache(maxsize=1)
def _rules() -> tuple[list[_Rule], tuple[str, ...]]:
    """Repair rules and known parenthetical words, from nlp/data."""
    rules = []
    for line in read_lines("repairs.tsv"):
        name, kind, typ, pattern, repl, conf = line.split("\t")[:6]
        if typ == "lone":
            token, *conds = pattern.split("@")
            opts = dict(c.split("=", 1) for c in conds)
            rules.append(
                _Rule(
                    name,
                    kind,
                    typ,
                    re.compile(opts.get("after", "")),
                    repl,
                    float(conf),
                    token=token,
                    before=re.compile(opts["before"]) if "before" in opts else None,
                )
            )
        else:
            rules.append(_Rule(name, kind, typ, re.compile(pattern), repl, float(conf)))
    words = tuple(sorted(read_lines("parentheticals.txt"), key=len, reverse=True))
    return rules, words


def _fingerprint(rule: str, raw: str, start: int, end: int) -> str:
    """Id from the rule and the surrounding text, so a repair keeps its id when unrelated text changes."""
    ctx = raw[max(0, start - 8) : end + 8]
    return hashlib.sha1(f"{rule}|{ctx}".encode()).hexdigest()[:12]


def make_repair(
    raw: str, start: int, end: int, after: str, rule: _Rule | str, kind: str = "", conf: float = 0.0
) -> Repair:
    """A Repair trimmed to its minimal edit (common prefix/suffix removed)."""
    name = rule.name if isinstance(rule, _Rule) else rule
    kind = rule.kind if isinstance(rule, _Rule) else kind
    conf = rule.confidence if isinstance(rule, _Rule) else conf
    before = raw[start:end]
    while before and after and before[0] == after[0]:
        before, after, start = before[1:], after[1:], start + 1
    while before and after and before[-1] == after[-1]:
        before, after, end = before[:-1], after[:-1], end - 1
    return Repair(
        start, end, before, after, name, kind, conf, conf >= APPLY_THRESHOLD, _fingerprint(name, raw, start, end)
    )


def find_repairs(raw: str, level: str = "市") -> list[Repair]:
    """All lexical repairs of the raw text (applied and suggested), without overlaps, in text order."""
    text = for_parsing(raw)
    rules, parentheticals = _rules()
    found: list[Repair] = []
    taken: set[int] = set()

    inserted: set[tuple[int, str]] = set()

    def add(rep: Repair) -> None:
        # The first rule (data order) to replace a span wins; insertions at one point may stack.
        if rep.start == rep.end:
            # Stacking is for a separator plus a restored character ("、" + "高"), never two of one kind.
            if rep.start not in taken and (rep.start, rep.kind) not in inserted:
                inserted.add((rep.start, rep.kind))
                found.append(rep)
            return
        span = set(range(rep.start, rep.end))
        if not span & taken and not any(rep.start < p < rep.end for p, _k in inserted):
            taken.update(span)
            found.append(rep)

    for m in _VALUE_RUN.finditer(text):
        values = _ONE_VALUE.findall(m.group())
        joined = "、".join(values[:-1]) + "和" + values[-1]
        for rep in _diff_inserts(raw, m.start(), m.end(), joined, "value_list_separators", "missing_punct", 0.9):
            add(rep)
    for rule in rules:
        if rule.type == "regex":
            for m in rule.pattern.finditer(text):
                repl = m.expand(rule.replacement.replace("{level}", level))
                add(make_repair(raw, m.start(), m.end(), repl, rule))
    lone: dict[str, list[_Rule]] = {}
    for rule in rules:
        if rule.type == "lone":
            lone.setdefault(rule.token, []).append(rule)
    for run in _CJK_RUN.finditer(text):
        b = run.start()
        for word in cut(run.group()):  # the cached cut: the dropped-character finder cuts these runs alike
            a, b = b, b + len(word)
            for rule in lone.get(word, ()):
                if rule.pattern.match(text, b) and (
                    rule.before is None or rule.before.search(text[max(0, a - 12) : a])
                ):
                    add(make_repair(raw, a, b, rule.replacement.replace("{level}", level), rule))
                    break
    for rep in find_dropped(raw, text, make_repair):  # after the rules: a rule's repair at a point wins
        add(rep)
    for rep in _close_brackets(raw, text, parentheticals):
        add(rep)
    for rep in (
        list_separators(raw, text, make_repair)
        + glued_members(raw, text, make_repair)
        + repeated_heads(raw, text, make_repair)
        + close_quotes(raw, text, make_repair)
        + open_titles(raw, text, make_repair)
    ):
        add(rep)
    for rep in find_stops(raw, text, make_repair):
        add(rep)
    return sorted(found, key=repair_order)


def repair_order(r: Repair) -> tuple[int, int, int]:
    """Text order; at one point, punctuation and brackets go before restored characters of the next word."""
    return r.start, r.end, 0 if r.kind in ("missing_punct", "missing_bracket") else 1


def _diff_inserts(raw: str, start: int, end: int, new: str, rule: str, kind: str, conf: float) -> list[Repair]:
    """Split a replacement of raw[start:end] by new into pure insertions (new only adds characters)."""
    reps: list[Repair] = []
    i, j = start, 0
    pending, at = "", start
    while j < len(new):
        if i < end and new[j] == raw[i]:
            if pending:
                reps.append(make_repair(raw, at, at, pending, rule, kind, conf))
                pending = ""
            i, j = i + 1, j + 1
        else:
            at = i if not pending else at
            pending += new[j]
            j += 1
    if pending:
        reps.append(make_repair(raw, at, at, pending, rule, kind, conf))
    return reps


def _close_brackets(raw: str, text: str, words: tuple[str, ...]) -> list[Repair]:
    """Unclosed "(" inside a line: close it after a known parenthetical word, else suggest nothing."""
    reps = []
    for m in re.finditer(r"\(", text):
        line_end = text.find("\n", m.end())
        line_end = len(text) if line_end < 0 else line_end
        nxt_open = text.find("(", m.end(), line_end)
        stop = line_end if nxt_open < 0 else nxt_open
        if ")" in text[m.end() : stop]:
            continue
        for w in words:
            if text.startswith(w, m.end()) and not text.startswith(")", m.end() + len(w)):
                at = m.end() + len(w)
                reps.append(make_repair(raw, at, at, ")", "close_bracket", "missing_bracket", 0.9))
                break
    return reps


class OffsetMap:
    """Maps offsets in the raw text to offsets in the repaired text."""

    def __init__(self, edits: list[tuple[int, int, int, int]]):
        self._edits = edits  # (raw_start, raw_end, text_start, text_end), in order
        self._keys = [e[0] for e in edits]
        self._text_keys = [e[2] for e in edits]  # to_raw's bisect keys, kept: it is called per clause boundary

    def to_text(self, raw_offset: int, before_inserts: bool = False) -> int:
        """Repaired offset; with before_inserts an insertion made exactly at raw_offset is not skipped."""
        find = bisect.bisect_left if before_inserts else bisect.bisect_right
        i = find(self._keys, raw_offset)
        if not i:
            return raw_offset
        _r0, r1, t0, t1 = self._edits[i - 1]
        return t0 if raw_offset < r1 else t1 + (raw_offset - r1)

    def to_raw(self, text_offset: int) -> int:
        """Raw offset of a repaired-text offset (inside inserted text → where the insertion is)."""
        i = bisect.bisect_right(self._text_keys, text_offset)
        if not i:
            return text_offset
        r0, r1, _t0, t1 = self._edits[i - 1]
        return r0 if text_offset < t1 else r1 + (text_offset - t1)


def apply_repairs(raw: str, repairs: list[Repair]) -> tuple[str, OffsetMap]:
    """The repaired text (applied repairs only) and the raw→repaired offset map."""
    out, edits, pos, delta = [], [], 0, 0
    for r in sorted((r for r in repairs if r.applied), key=repair_order):
        if r.start < pos:
            continue  # overlapping edits were filtered earlier; never corrupt the text
        out.append(raw[pos : r.start])
        t0 = r.start + delta
        out.append(r.after)
        pos = r.end
        delta += len(r.after) - (r.end - r.start)
        edits.append((r.start, r.end, t0, t0 + len(r.after)))
    out.append(raw[pos:])
    return "".join(out), OffsetMap(edits)
