"""The Chinese words shown for codes (kinds, roles, sources, comparators, statuses, audit actions): one vocabulary.

The data is nlp/data/labels.json, shared with nlp (item kinds); CLI, web pages and exports all read it here.
"""

from __future__ import annotations

from nlp.lang import read_json


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
SEARCH_FIELD = vocabulary("search_field")


def target_text(ind: dict, spaced: bool = False) -> str:
    """An indicator's target for people: ≥90%, 3–5家, 每千名儿童≥2.8张, 下降20%(基数:2020年); '' when it has none.

    `spaced` puts a space between the comparator and the value (the web pages' style: ≥ 90%).
    """
    comp = ind.get("comparator") or ""
    value = "" if ind.get("value") is None else f"{ind['value']:g}"
    if ind.get("value_max") is not None:
        value = f"{value}–{ind['value_max']:g}" if value else f"{ind['value_max']:g}"
    word = "" if comp == "==" else COMPARATOR.get(comp, comp)  # an exact value reads as the value alone
    amount = f"{value}{ind.get('unit') or ''}" if value else ""
    text = (f"{word} {amount}" if spaced and word and amount else f"{word}{amount}").strip()
    if ind.get("per"):
        text = f"{ind['per']}{text}"
    if ind.get("baseline"):
        text += f"(基数:{ind['baseline']})"
    return text
