"""Score indicator extraction on the real-plan development set (expected.json): detection and per-field P/R.

    .venv/bin/python bench/indicators_real/score.py            # figures
    .venv/bin/python bench/indicators_real/score.py --misses   # and every miss, wrong field and false target

A plan that parses is scored by item (<file>#<item id>); an excerpt without plan structure line by line
(<file>#L<n>). Units not in expected.json expect no target, so every target found there is a false one.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from nlp.indicators import _plan_year, extract_indicators  # noqa: E402
from nlp.model import Indicator, Plan  # noqa: E402
from nlp.pipeline import analyse_file  # noqa: E402
from nlp.reader import PlanFormatError  # noqa: E402

EXPECTED = Path(__file__).with_name("expected.json")
FIELDS = ("name", "comparator", "value", "value_max", "unit", "year", "baseline_year", "per", "scope")
ANY = "*"


def predictions(files: dict[str, dict]) -> dict[str, list[Indicator]]:
    """Targets found per unit, for every file of the set."""
    out: dict[str, list[Indicator]] = {}
    for rel, spec in files.items():
        meta = {"slug": Path(rel).stem, "title": spec["title"], "period": spec["period"]}
        try:
            plan = analyse_file(ROOT / rel, meta)
        except PlanFormatError:  # an excerpt without headings or numbered items: read line by line
            year = _plan_year(Plan(id="x", title=spec["title"], raw_text="", text="", meta=meta))
            lines = (ROOT / rel).read_text(encoding="utf-8").split("\n")
            for n, line in enumerate(lines, 1):
                if line.strip():
                    out[f"{rel}#L{n}"] = extract_indicators(line, default_year=year)
            continue
        for item in plan.items:
            out[f"{rel}#{item.id.split(':', 1)[1]}"] = list(item.indicators)
    return out


def _norm(field: str, v: Any) -> Any:
    """Compare names without the spaces a PDF wrap leaves; numbers as floats."""
    if field == "name" and isinstance(v, str):
        return re.sub(r"\s+", "", v)
    if field in ("value", "value_max") and v is not None:
        return round(float(v), 2)
    return v


def _common(a: str, b: str) -> int:
    """Length of the longest common substring (how alike two names are)."""
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


def _agree(g: dict, p: Indicator) -> int:
    """How many scored fields of an expected row a found target has right (ties between equal values)."""
    return sum(_norm(f, getattr(p, f)) == _norm(f, g.get(f)) for f in _scored(g))


def _match(gold: list[dict], preds: list[Indicator]) -> list[tuple[dict, Indicator | None]]:
    """Pair each expected target with a found one: same value and unit, the likeliest name first."""
    left, pairs = list(preds), []
    for g in gold:
        same = [p for p in left if _norm("value", p.value) == _norm("value", g["value"]) and p.unit == g["unit"]]
        name = _norm("name", g["name"] or "")
        ranked = sorted(same, key=lambda p: (_norm("name", p.name) == name, _agree(g, p), _common(name, p.name)))
        best = ranked[-1] if ranked else None
        if best is not None and g["value"] is None and _common(name, _norm("name", best.name)) < 2:
            best = None  # a target without a value is only recognised by its name
        if best is not None:
            left.remove(best)
        pairs.append((g, best))
    return pairs


def _scored(g: dict) -> list[str]:
    """The fields this expected row scores."""
    fields = [f for f in FIELDS if f != "scope" or "scope" in g]
    return [f for f in fields if g.get(f) != ANY and not (f == "name" and g.get("name") is None)]


def score(show: bool = False) -> dict[str, Any]:
    """Detection P/R, per-field accuracy over matched targets and exact (every scored field) P/R."""
    exp = json.loads(EXPECTED.read_text(encoding="utf-8"))
    got = predictions(exp["files"])
    gold_n = sum(len(v) for v in exp["units"].values())
    pred_n = sum(len(v) for v in got.values())
    tp = exact = 0
    right: dict[str, list[int]] = {f: [0, 0] for f in FIELDS}
    for unit in sorted(set(got) | set(exp["units"])):
        gold, preds = exp["units"].get(unit, []), got.get(unit, [])
        pairs = _match(gold, preds)
        for g, p in pairs:
            if p is None:
                show and print(f"MISS  {unit}  {g}")
                continue
            tp += 1
            wrong = [f for f in _scored(g) if _norm(f, getattr(p, f)) != _norm(f, g.get(f))]
            for f in _scored(g):
                right[f][0] += f not in wrong
                right[f][1] += 1
            exact += not wrong
            if wrong and show:
                print(f"WRONG {unit}  " + "; ".join(f"{f}: {getattr(p, f)!r} != {g.get(f)!r}" for f in wrong))
        matched = {id(x) for _, x in pairs if x is not None}
        for p in [p for p in preds if id(p) not in matched]:
            show and print(f"FALSE {unit}  {p.name} {p.comparator} {p.value} {p.unit} | {p.raw}")
    report = {
        "targets": gold_n,
        "found": pred_n,
        "detection": {"precision": tp / pred_n if pred_n else 0.0, "recall": tp / gold_n},
        "exact": {"precision": exact / pred_n if pred_n else 0.0, "recall": exact / gold_n},
        "fields": {f: round(a / n, 3) for f, (a, n) in right.items() if n},
    }
    return report


def main() -> None:
    """Print the figures (and with --misses every difference)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--misses", action="store_true", help="list misses, wrong fields and false targets")
    r = score(ap.parse_args().misses)
    d, e = r["detection"], r["exact"]
    print(f"targets {r['targets']}  found {r['found']}")
    print(f"detection  P {d['precision']:.3f}  R {d['recall']:.3f}")
    print(f"exact      P {e['precision']:.3f}  R {e['recall']:.3f}   (every scored field right)")
    print("fields     " + "  ".join(f"{f} {v:.3f}" for f, v in r["fields"].items()))


if __name__ == "__main__":
    main()
