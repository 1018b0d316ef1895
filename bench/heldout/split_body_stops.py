"""Split the held-out repair gold by the dev gold's convention (idempotent; rewrites repairs.gold.json).

The dev gold lists, for stops, only a measure title's lost end, stops inside goals and list marks; it lists no
stop between two sentences of a body. Such body stops move to `body_stops` (whole rows, unscored by score.py;
`bench/repair_check.py --with-body-stops` scores them); a row that also ends a title keeps only that stop.

    .venv/bin/python bench/heldout/split_body_stops.py
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

from nlp.pipeline import analyse_file

HERE = Path(__file__).parent
PLAN = HERE.parents[1] / "corpus" / "yiyang-children-2021-2025.txt"
_STOPS = ",,。;;"


def _ops(row: dict, at: int) -> list[tuple[str, int, int, str]]:
    """(op, raw offset, raw end, inserted text) of one row found at raw offset `at`."""
    sm = difflib.SequenceMatcher(None, row["raw"], row["fixed"], autojunk=False)
    return [(op, at + i1, at + i2, row["fixed"][j1:j2]) for op, i1, i2, j1, j2 in sm.get_opcodes()]


def main() -> None:
    path = HERE / "repairs.gold.json"
    gold = json.loads(path.read_text(encoding="utf-8"))
    rows = list(({r["raw"]: r for r in gold["repairs"]} | {r["raw"]: r for r in gold.get("body_stops", [])}).values())
    plan = analyse_file(PLAN)
    raw, items = plan.raw_text, sorted(plan.items, key=lambda it: it.raw_start)
    found = [(r, raw.index(r["raw"])) for r in rows if raw.count(r["raw"]) == 1]
    stops = {a for r, at in found for op, a, _, t in _ops(r, at) if op == "insert" and t in _STOPS}

    def body(a: int, text: str) -> bool:
        """A stop after the first break of a non-goal item: the title has ended before it."""
        it = next((it for it in items if it.raw_start <= a <= it.raw_end), None)
        if text not in _STOPS or it is None or it.kind == "goal":
            return False
        return any(it.raw_start <= b < a for b in stops) or any(c in raw[it.raw_start : a] for c in _STOPS + "::\n")

    keep, moved = [], []
    for r in rows:
        at = raw.index(r["raw"]) if raw.count(r["raw"]) == 1 else None
        ops = _ops(r, at) if at is not None else []
        if not any(op == "insert" and body(a, t) for op, a, _, t in ops):
            keep.append(r)
            continue
        moved.append(r)
        rest = "".join("" if op == "insert" and body(a, t) else raw[a:b] if op == "equal" else t for op, a, b, t in ops)
        if rest != r["raw"]:
            keep.append({**r, "fixed": rest})
    gold["repairs"], gold["body_stops"] = keep, moved
    path.write_text(json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(keep)} scored rows, {len(moved)} body-stop rows")


if __name__ == "__main__":
    main()
