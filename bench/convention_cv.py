"""Leave-one-domain-out choice of the scoring settings: the domain-convention prior (nlp.departments.CONVENTION_WEIGHT
/ CONVENTION_MIN), the corroboration a lone lexicon word needs (ALONE_MIN); a further setting is one more GRIDS entry.

    .venv/bin/python bench/convention_cv.py [--gold ../shared/eval/gold-dev] [--heldout bench/heldout]

The default plan is read once; for every setting on the grid it is tagged again and scored per domain of the
development gold. For each domain in turn the setting with the best pooled F1 on the *other* domains is chosen and
that domain is scored with it (so no domain's figure comes from a setting tuned on it). Printed per grid: the
per-domain choices, the pooled leave-one-domain-out F1 / lead accuracy against the setting switched off, and the
held-out set and the published tables scored with the setting chosen on the whole development gold (never tuned
on them). Beside it, the choice over the domains of both gold sets as folds (each domain scored with the setting
that is best on the other folds), with each source of the published tables one more fold, so a setting is kept
only where it helps on folds it was not chosen on.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, "/work/shared/eval")
sys.path.insert(0, str(REPO / "bench"))

import dept_errors  # noqa: E402  (the plan's items by gold id)
import reliability  # noqa: E402  (the published tables, scored with their own source held out)
import score  # noqa: E402

from kb import paths  # noqa: E402
from nlp import coownership, departments, goalunits, scoring, unled  # noqa: E402
from nlp.pipeline import analyse_file  # noqa: E402

BY = [0]  # what a fold's choice maximises: 0 = F1, 1 = lead accuracy (--by lead, for a setting that moves roles only)
WEIGHTS = (0.0, 0.2, 0.3, 0.4, 0.6)
MINIMA = (0.2, 0.3, 0.5, 0.7)


def counts(plan, gold: list[dict], aliases: dict[str, str]) -> dict[str, list[int]]:
    """Per gold domain: [tp, fp, fn, lead right, items] of the plan as tagged now."""
    items = dept_errors.gold_items(plan)
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for g in gold:
        it = items.get(g["id"])
        got = [(score.normalise(a.name, aliases), a.role) for a in (it.departments if it else [])]
        names = {n for n, _ in got}
        want = set(g["lead"]) | set(g["co"])
        leads = [n for n, r in got if r == "lead"]
        c = out[g["id"].split("-")[0]]
        c[0] += len(want & names)
        c[1] += len(names - want)
        c[2] += len(want - names)
        c[3] += bool(leads) and leads[0] in set(g["lead"])
        c[4] += 1
    return out


def f1(c: list[int]) -> tuple[float, float]:
    """(F1, lead accuracy) of summed counts."""
    tp, fp, fn, lead, n = c
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return (2 * p * r / (p + r) if p + r else 0.0), (lead / n if n else 0.0)


def pooled(by_domain: dict[str, list[int]], domains) -> list[int]:
    return [sum(by_domain[d][k] for d in domains) for k in range(5)]


GRIDS = {
    "convention": [
        {"CONVENTION_WEIGHT": w, "CONVENTION_MIN": m} for w in WEIGHTS for m in (MINIMA if w else MINIMA[:1])
    ],
    # a co-unit resting on one lexicon word alone is held back as a candidate below this weight (0 = never)
    "alone": [{"ALONE_MIN": m} for m in (0.0, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 1.01)],
    # where nothing leads, the best mandate match leads (flagged for review) from this summed support (inf = never)
    # … and whether it needs a text that names no body and no lexicon word at all (the gate)
    "mandate_lead": [
        {"MANDATE_LEAD_MIN": m, "MANDATE_LEAD_GATE": g}
        for m in (float("inf"), 0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15)
        for g in ((True,) if m == float("inf") else (True, False))
    ],
    # where nothing leads, the body the text's weak words point at most leads, flagged (False = the item has no lead)
    "weak_lead": [{"WEAK_LEAD": w} for w in (False, True)],
    # the co-ownership prior by topic: its weight (x the share of matching published rows) and the share it needs
    "coown": [
        {"CO_WEIGHT": w, "CO_MIN_SHARE": m}
        for w in (0.3, 0.5, 0.6, 0.8)
        for m in ((0.0,) if w == 0.3 else (0.0, 0.5, 0.67))
    ],
    # the summed weight an inferred body needs to be listed on an item (nlp.departments.ITEM_MIN)
    "item_min": [{"ITEM_MIN": m} for m in (0.5, 0.35, 0.4, 0.45, 0.55, 0.6, 0.7)],
    # how much more a measure's heading words weigh than its body's in who leads (choose with --by lead)
    "title_boost": [{"TITLE_BOOST": b} for b in (1.5, 1.0, 2.0, 3.0, 4.0, 6.0)],
    # a goal's co-unit from its serving measures where its own words agree (inf = off), and whether a goal one
    # measure alone serves takes that measure's bodies (GOAL_SOLE)
    "goal_units": [
        {"GOAL_SHARE": s, "GOAL_SOLE": sole}
        for s in (float("inf"), 0.5, 1 / 3, 0.25)
        for sole in ((False,) if s == float("inf") else (False, True))
    ],
    # a goal's serving-measure body its words do not name, where the tables list it beside the goal's lead
    "goal_pair": [
        {"GOAL_PAIR_MIN": m, "GOAL_PAIR_DOMAIN": d}
        for m in (float("inf"), 0.67, 0.5, 0.4, 0.3)
        for d in ((True,) if m == float("inf") else (True, False))
    ],
}


def _owner(setting: str):
    """The module a setting lives in."""
    return next(m for m in (goalunits, scoring, departments, coownership, unled) if hasattr(m, setting))


def run_grid(name: str, plan, sets: dict, heldout: Path) -> None:
    """Tag the plan with every setting of one grid (the others as in the code), choose leave-one-domain-out."""
    base = {k: getattr(_owner(k), k) for k in GRIDS[name][0]}
    runs, tables = {}, {}
    for setting in GRIDS[name]:
        for k, v in setting.items():
            setattr(_owner(k), k, v)
        departments.assign_departments(plan)
        goalunits.assign_goal_units(plan)
        key = tuple(setting.items())
        runs[key] = {gd: counts(plan, *sets[gd]) for gd in sets}
        tables[key], per_source = reliability.table_counts()
        runs[key]["tables"] = per_source  # each published source is one more fold
    for k, v in base.items():
        setattr(_owner(k), k, v)
    for key, by_set in runs.items():  # every setting on every set, for the record (the choice is made below)
        figs = " ".join(
            f"{getattr(gd, 'name', gd)} {f1(pooled(c, list(c)))[0]:.3f}/{f1(pooled(c, list(c)))[1]:.3f}"
            for gd, c in by_set.items()
        )
        print(f"  {dict(key)}: {figs} (tables lead {tables[key][3]}/{tables[key][4]})")
    dev = {k: v[next(iter(sets))] for k, v in runs.items()}
    domains = sorted(next(iter(dev.values())))
    cv = [0] * 5
    print(f"## {name}")
    for d in domains:
        rest = [x for x in domains if x != d]
        best = max(dev, key=lambda k: f1(pooled(dev[k], rest))[BY[0]])
        got = dev[best][d]
        cv = [x + y for x, y in zip(cv, got)]
        print(f"{d:12s} chosen on the others: {dict(best)} -> F1 {f1(got)[0]:.3f}")
    off = pooled(dev[next(iter(dev))], domains)
    print(
        f"dev leave-one-domain-out: F1 {f1(cv)[0]:.3f} lead {f1(cv)[1]:.3f} "
        f"(first setting: {f1(off)[0]:.3f} / {f1(off)[1]:.3f})"
    )
    both = {
        k: {(getattr(gd, "name", gd), d): c for gd, by in v.items() for d, c in by.items()} for k, v in runs.items()
    }
    folds = sorted(next(iter(both.values())))
    cv2 = [0] * 5
    for fold in folds:
        rest = [x for x in folds if x != fold]
        pick = max(both, key=lambda k: f1(pooled(both[k], rest))[BY[0]])
        cv2 = [x + y for x, y in zip(cv2, both[pick][fold])]
        print(f"{'/'.join(fold)[:40]:40s} chosen on the other {len(rest)} folds: {dict(pick)}")
    for name in [gd.name for gd in sets] + ["tables"]:
        own = [0] * 5
        for fold in folds:
            if fold[0] == name:
                rest = [x for x in folds if x != fold]
                pick = max(both, key=lambda k: f1(pooled(both[k], rest))[BY[0]])
                own = [x + y for x, y in zip(own, both[pick][fold])]
        ref = pooled(both[next(iter(both))], [f for f in folds if f[0] == name])
        print(
            f"{name}: leave-one-fold-out over all sets F1 {f1(own)[0]:.3f} lead {f1(own)[1]:.3f} "
            f"(first setting {f1(ref)[0]:.3f} / {f1(ref)[1]:.3f})"
        )
    best = max(dev, key=lambda k: f1(pooled(dev[k], domains))[BY[0]])
    pick = max(both, key=lambda k: f1(pooled(both[k], folds))[BY[0]])
    print(f"chosen on every fold of every set: {dict(pick)}")
    first = next(iter(dev))
    ho, hoff = runs[best][heldout], runs[first][heldout]
    hd = sorted(ho)
    tp, tf = reliability.prf(tables[best])[2], reliability.prf(tables[first])[2]
    print(
        f"chosen on all of dev: {dict(best)}; held-out F1 {f1(pooled(ho, hd))[0]:.3f} lead {f1(pooled(ho, hd))[1]:.3f} "
        f"(first setting: {f1(pooled(hoff, hd))[0]:.3f} / {f1(pooled(hoff, hd))[1]:.3f}); "
        f"published tables F1 {tp:.2f} (first setting: {tf:.2f})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, default=Path("/work/shared/eval/gold-dev"))
    ap.add_argument("--heldout", type=Path, default=REPO / "bench" / "heldout")
    ap.add_argument("--grid", choices=sorted(GRIDS), action="append", help="default: every grid")
    ap.add_argument("--by", choices=("f1", "lead"), default="f1", help="what each fold's choice maximises")
    a = ap.parse_args()
    BY[0] = 1 if a.by == "lead" else 0
    plan = analyse_file(paths.DEFAULT_PLAN)
    sets = {}
    for gd in (a.gold, a.heldout):
        sets[gd] = (
            json.loads((gd / "departments.gold.json").read_text(encoding="utf-8")),
            score.load_aliases(gd, Path("/work/shared/eval")),
        )
    for name in a.grid or list(GRIDS):
        run_grid(name, plan, sets, a.heldout)


if __name__ == "__main__":
    main()
