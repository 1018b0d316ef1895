"""Every department's duties (kb.duties) over the reviewed items, kept up to date from the items a review changed.

Pages ask "which items is 市卫健委 on" and "which departments are named anywhere" on every department page and
item form. The index is made in one pass per build and then updated per change (kb.reviews.statecache's `update`):
a department review costs the changed items' duties and the lists of the departments they name, not a pass over
every item. Lists are copied when written, so a thread still reading the previous index sees it unchanged.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kb.duties import item_duties

Duty = tuple[str, str, tuple[int, ...], dict[str, Any] | None]  # (item id, role, clause indexes, item-level tag)


@dataclass(frozen=True)
class DutyIndex:
    """Department → its duties in document order; item → the departments with a duty on it; every name."""

    by_name: dict[str, list[Duty]]
    of_item: dict[str, tuple[str, ...]]
    names: frozenset[str]  # every department named on some item or clause (has a duty somewhere)


def _duties(it: dict[str, Any]) -> dict[str, Duty]:
    """The item's duties (kb.duties) as index entries, by department."""
    return {
        name: (it["id"], duty.role, tuple(sorted({c["index"] for c, _a in duty.clause_tags})), duty.tag)
        for name, duty in item_duties(it).items()
    }


def build(items: Iterable[dict[str, Any]]) -> DutyIndex:
    """The index of these items (in their order), from scratch."""
    by_name: dict[str, list[Duty]] = {}
    of_item: dict[str, tuple[str, ...]] = {}
    for it in items:
        duties = _duties(it)
        for name, duty in duties.items():
            by_name.setdefault(name, []).append(duty)
        if duties:
            of_item[it["id"]] = tuple(duties)
    return DutyIndex(by_name, of_item, frozenset(by_name))


def updated(
    old: DutyIndex, items: Mapping[str, dict[str, Any]], changed: Iterable[str], position: Mapping[str, int]
) -> DutyIndex:
    """The index build() would make of `items` when only the `changed` items differ from those `old` was made of;
    `old` is left as it was. `position` is each item's place in document order: a duty is found, replaced or
    inserted by bisection, and only the lists of departments whose duty on a changed item differs are copied."""
    by_name, of_item = dict(old.by_name), dict(old.of_item)
    own: set[str] = set()
    for iid in sorted({i for i in changed if i in position}, key=position.__getitem__):
        fresh = _duties(items[iid]) if iid in items else {}
        for name in {*old.of_item.get(iid, ()), *fresh}:
            duties = by_name.get(name, [])
            at = bisect_left(duties, position[iid], key=lambda d: position[d[0]])
            here = at < len(duties) and duties[at][0] == iid
            if here and duties[at] == fresh.get(name):
                continue
            if name not in own:  # copied once per update: threads reading the old index keep the old list
                duties = by_name[name] = list(duties)
                own.add(name)
            if name in fresh:
                duties[at : at + here] = [fresh[name]]
            elif here:
                del duties[at]
            if not duties:
                del by_name[name]
                own.discard(name)
        if fresh:
            of_item[iid] = tuple(fresh)
        else:
            of_item.pop(iid, None)
    names = old.names if by_name.keys() == old.by_name.keys() else frozenset(by_name)
    return DutyIndex(by_name, of_item, names)
