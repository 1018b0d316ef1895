"""The Chinese words shown for codes (kinds, roles, sources, comparators, statuses, audit actions): one vocabulary.

The data is nlp/data/labels.json, shared with nlp (item kinds); CLI, web pages and exports all read it here.
"""

from __future__ import annotations

from functools import lru_cache

from nlp.lang import read_json, read_lines


def vocabulary(category: str) -> dict[str, str]:
    """code → label for one category (kind, kind_short, kind_alias, role, source, comparator, status …)."""
    return dict(read_json("labels.json")[category])


def label(category: str, code: str | None, default: str | None = None) -> str:
    """The label of `code` in `category`; the code itself (or `default`) when the vocabulary lacks it."""
    if code is None:
        return default or ""
    return read_json("labels.json")[category].get(code, default if default is not None else code)


def code_of(category: str, word: str) -> str | None:
    """The code a user-typed word names: the code itself or its label (牵头 → lead); None when unknown."""
    vocab = read_json("labels.json")[category]
    if word in vocab:
        return word
    return next((code for code, lab in vocab.items() if lab == word), None)


KIND = vocabulary("kind")
KIND_SHORT = vocabulary("kind_short")
KIND_ALIAS = vocabulary("kind_alias")
ROLE = vocabulary("role")
SOURCE = vocabulary("source")
COMPARATOR = vocabulary("comparator")
STATUS = vocabulary("status")
WARNING = vocabulary("warning")
DECISION = vocabulary("decision")
ACTION = vocabulary("action")
USER_ROLE = vocabulary("user_role")
DEADLINE_KIND = vocabulary("deadline_kind")
CHANGE_KIND = vocabulary("change_kind")
REPAIR_KIND = vocabulary("repair_kind")
REPAIR_RULE = vocabulary("repair_rule")
REPAIR_CONFIDENCE = vocabulary("repair_confidence")
# 把握很大 from 0.9: where the bracket and heading repairs and the word list's firmest rules sit; between
# nlp.repair.APPLY_THRESHOLD and this a repair is applied but less firm (把握较大)
SURE_REPAIR = 0.9
SEARCH_FIELD = vocabulary("search_field")


@lru_cache(maxsize=1)
def _lexicon_rules() -> frozenset[str]:
    """The names of the word-list repair rules (nlp/data/repairs.tsv): one class, labelled as one."""
    return frozenset(line.split("\t")[0] for line in read_lines("repairs.tsv"))


def repair_rule_label(rule: str) -> str:
    """What a repair rule does, in words (按断句习惯补句号); a word-list rule says it came from the word list."""
    if rule in REPAIR_RULE:
        return REPAIR_RULE[rule]
    return REPAIR_RULE["lexicon"] if rule in _lexicon_rules() else rule


def repair_confidence_label(confidence: float) -> str:
    """A repair's confidence for people: 把握较大(75%); applied repairs start at nlp.repair.APPLY_THRESHOLD."""
    from nlp.repair import APPLY_THRESHOLD

    band = "sure" if confidence >= SURE_REPAIR else "likely" if confidence >= APPLY_THRESHOLD else "unsure"
    return f"{REPAIR_CONFIDENCE[band]}\uff08{confidence * 100:.0f}%\uff09"
