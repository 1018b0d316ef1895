"""Does learning from reviews help? Two-fold check with a gold set standing in for the reviewer.

    .venv/bin/python bench/learn_reviews.py [--gold ../shared/eval/gold-dev bench/heldout] [--per-gold]

The gold items are split in two folds. For the items of one fold, every inferred tag is "reviewed" (kept when the
gold lists the body, rejected otherwise); kb.reviews.learning turns those decisions into rule factors; the plan is
tagged again with them and scored on the *other* fold only (reviews held back). Printed: department F1 and lead
accuracy on the held-back fold without and with the learned factors. Reviews are applied on read regardless, so this
measures only what the inferred layer learned for items nobody reviewed. With --per-gold the folds are drawn within
each gold set apart, as one office reviewing its own plan by one convention would (the default mixes the sets).
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, "/work/shared/eval")

import score  # noqa: E402

from kb import paths  # noqa: E402
from kb.reviews.learning import factors  # noqa: E402
from nlp import departments  # noqa: E402
from nlp.pipeline import analyse_file  # noqa: E402


def tagged() -> dict[str, dict]:
    """gold id → export-like item of the default plan, tagged with the current rule factors."""
    plan = analyse_file(paths.DEFAULT_PLAN)
    out = {}
    for it in plan.items:
        d = {
            "kind": it.kind,
            "number": it.number,
            "domain": it.domain,
            "departments": [
                {"name": a.name, "role": a.role, "rules": [e.rule for e in a.evidence]} for a in it.departments
            ],
        }
        if gid := score.gold_id(d):
            out[gid] = d
    return out


def evaluate(items: dict[str, dict], gold: list[dict]) -> tuple[float, float]:
    report: dict = {}
    score.score_departments(items, gold, ALIASES, report)
    return report["departments"]["f1"], report["departments"]["lead_accuracy"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--gold", nargs="+", type=Path, default=[Path("/work/shared/eval/gold-dev"), REPO / "bench/heldout"]
    )
    ap.add_argument("--per-gold", action="store_true", help="draw the folds within each gold set apart")
    a = ap.parse_args()
    sets = [json.loads((d / "departments.gold.json").read_text(encoding="utf-8")) for d in a.gold]
    departments.set_rule_factors({})
    base = tagged()
    mixed = [("all", [g for s in sets for g in s])]
    groups = [(str(d), s) for d, s in zip(a.gold, sets, strict=True)] if a.per_gold else mixed
    for name, gold in groups:
        print(name)
        print("\n".join(two_folds(base, gold)))


def two_folds(base: dict[str, dict], gold: list[dict]) -> list[str]:
    """Learn on one fold's reviews, score the other fold, both ways round."""
    folds = [[g for g in gold if zlib.crc32(g["id"].encode()) % 2 == k] for k in (0, 1)]
    lines = []
    for k in (0, 1):
        train, test = folds[k], folds[1 - k]
        decisions = []
        for g in train:
            want = set(g["lead"]) | set(g["co"])
            for d in (base.get(g["id"]) or {}).get("departments", []):
                decisions.append((d["rules"], score.normalise(d["name"], ALIASES) in want))
        learned = factors(decisions)
        departments.set_rule_factors(learned)
        after = tagged()
        departments.set_rule_factors({})
        f0, l0 = evaluate(base, test)
        f1, l1 = evaluate(after, test)
        lines.append(
            f"fold {k}: {len(decisions)} reviewed tags → {len(learned)} rules re-weighted; held-back "
            f"{len(test)} items: F1 {f0:.3f} → {f1:.3f}, lead {l0:.3f} → {l1:.3f}"
        )
    return lines


ALIASES = score.load_aliases(Path("/work/shared/eval"))

if __name__ == "__main__":
    main()
