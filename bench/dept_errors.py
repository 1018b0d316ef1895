"""Department errors by class on the gold sets: missed co-units and leads, wrong leads, false tags (by rule).

    .venv/bin/python bench/dept_errors.py [--gold /work/shared/eval/gold-dev bench/heldout] [--list] [--tables]

The default plan is read and tagged once (as the build does). Per gold set it counts:
  lead      right / gold lead tagged as co / gold lead not tagged / no lead given
  missed    (gold body not tagged) by the signal the item has for it: weak text support (below the listing
            threshold), a mandate match only, the co-ownership prior of the gold lead only, or no signal at all
  false     (tagged body not in the gold) by the strongest rule behind it: explicit, lexicon, co-ownership,
            domain convention, section prior, mandate
--list prints every error with its item id, so a class can be read (never to fit one row).
--tables classifies the lead of every published table row that names one (bench/heldout/departments.tables.tsv,
each row tagged with its own source held out of the co-ownership prior, as bench/reliability.py scores them):
right, no lead (by whether the text has any word for a body), gold lead tagged as co, or another body led by the
class of the evidence behind it.
--terms prints, per lexicon rule, how often the inferred tags it supports are right and wrong on each gold set
(rules wrong at least twice over the sets): a word wrong on both sets is a class; one right on one set and
wrong on the other is a convention the sets do not share.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, "/work/shared/eval")
sys.path.insert(0, str(REPO / "bench"))

import reliability  # noqa: E402  (the published table rows)
import score  # noqa: E402

from kb import paths  # noqa: E402
from nlp import coownership, departments, goalunits, lang  # noqa: E402
from nlp.pipeline import analyse_file  # noqa: E402

RULE_CLASS = (
    ("explicit", "explicit"),
    ("group:", "explicit"),
    ("lexicon:", "lexicon"),
    ("coown:", "coownership"),
    ("domain:", "convention"),
    ("goal:", "goal units"),
    ("prior:", "prior"),
    ("mandate:", "mandate"),
)


def rule_class(rule: str, source: str) -> str:
    """The class of one evidence rule."""
    if source == "explicit":
        return "explicit"
    for prefix, name in RULE_CLASS:
        if rule.startswith(prefix):
            return name
    return "other"


def gold_items(plan) -> dict:
    """The plan's items by the gold's id (score.gold_id: domain, kind, number); items the gold cannot name left out."""
    items = {}
    for it in plan.items:
        gid = score.gold_id({"kind": it.kind, "number": it.number, "domain": it.domain})
        if gid:
            items[gid] = it
    return items


def classify(plan, gold: list[dict], aliases: dict[str, str]) -> tuple[Counter, list[tuple[str, str, str, str]]]:
    """Counts per error class and the list of (class, item id, body, note)."""
    items = gold_items(plan)
    counts: Counter = Counter()
    errors: list[tuple[str, str, str, str]] = []
    for g in gold:
        it = items.get(g["id"])
        if it is None:
            continue
        want, leads = set(g["lead"]) | set(g["co"]), set(g["lead"])
        got = {score.normalise(a.name, aliases): a for a in it.departments}
        tagged_leads = [n for n, a in got.items() if a.role == "lead"]
        counts["items"] += 1
        if not tagged_leads:
            counts["lead: none given"] += 1
            errors.append(("lead: none given", g["id"], ",".join(leads), ""))
        elif tagged_leads[0] in leads:
            counts["lead: right"] += 1
        elif leads & set(got):
            counts["lead: gold lead tagged as co"] += 1
            errors.append(("lead: gold lead tagged as co", g["id"], tagged_leads[0], "gold " + ",".join(leads)))
        else:
            counts["lead: gold lead not tagged"] += 1
            errors.append(("lead: gold lead not tagged", g["id"], tagged_leads[0], "gold " + ",".join(leads)))
        hits, found = departments.item_hits(it)
        support: dict[str, float] = defaultdict(float)
        for h in hits:
            if not h.rule.startswith("mandate:"):
                support[score.normalise(h.dept, aliases)] += h.weight
        mand = {score.normalise(h.dept, aliases) for h in found}
        words = set(lang.cut(it.text))
        prior: set[str] = set()
        for lead in leads:
            prior |= {score.normalise(b, aliases) for b in coownership.prior(lead, words)}
        for body in sorted(want - set(got)):
            role = "lead" if body in leads else "co"
            if support.get(body, 0) > 0:
                cls = "weak text support"
            elif body in mand:
                cls = "mandate match only"
            elif body in prior:
                cls = "co-ownership prior only"
            else:
                cls = "no signal"
            counts[f"missed {role}: {cls}"] += 1
            counts["missed"] += 1
            errors.append((f"missed {role}: {cls}", g["id"], body, f"{support.get(body, 0):.2f}"))
        for body in sorted(set(got) - want):
            a = got[body]
            classes = {rule_class(e.rule, a.source) for e in a.evidence}
            order = [c for _, c in RULE_CLASS] + ["other"]
            cls = min(classes, key=order.index) if classes else "other"
            counts[f"false: {cls}"] += 1
            counts["false"] += 1
            errors.append((f"false: {cls}", g["id"], body, "; ".join(e.rule for e in a.evidence)[:120]))
        counts["right"] += len(want & set(got))
    return counts, errors


def table_leads() -> tuple[Counter, list[tuple[str, str, str, str]]]:
    """Lead classes over the published table rows that name a lead, and the list of (class, row text, led, gold)."""
    counts: Counter = Counter()
    errors: list[tuple[str, str, str, str]] = []
    for text, leads, _co, source in reliability.table_rows():
        if not leads:
            continue
        coownership.hold_out({source})
        try:
            got = departments.assign_text(text, kind="measure")
        finally:
            coownership.hold_out(set())
        tagged = [a for a in got if a.role == "lead"]
        if tagged and tagged[0].name in leads:
            counts["lead: right"] += 1
            continue
        if not tagged:
            cls = "no lead: " + ("weak or benefit words only" if got else "no word for any body")
        elif leads & {a.name for a in got}:
            cls = "lead: gold lead tagged as co"
        else:
            order = [c for _, c in RULE_CLASS] + ["other"]
            classes = {rule_class(e.rule, tagged[0].source) for e in tagged[0].evidence} or {"other"}
            cls = "lead: another body by " + min(classes, key=order.index)
        counts[cls] += 1
        errors.append((cls, text[:40], tagged[0].name if tagged else "-", "|".join(sorted(leads))))
    return counts, errors


def term_counts(plan, gold: list[dict], aliases: dict[str, str]) -> dict[str, list[int]]:
    """Lexicon rule (term→body) → [right, wrong] over the inferred item tags whose evidence it is."""
    items = gold_items(plan)
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for g in gold:
        it = items.get(g["id"])
        want = set(g["lead"]) | set(g["co"])
        for a in it.departments if it else []:
            if a.source == "explicit":
                continue
            right = score.normalise(a.name, aliases) in want
            for e in a.evidence:
                if e.rule.startswith("lexicon:"):
                    out[e.rule.split("(")[0]][0 if right else 1] += 1
    return out


def print_terms(plan, sets: list[tuple[str, list[dict], dict[str, str]]]) -> None:
    """The rules wrong at least twice over the gold sets, most wrong first, with right/wrong per set."""
    per = {name: term_counts(plan, gold, aliases) for name, gold, aliases in sets}
    rules = {r for c in per.values() for r in c}
    wrong = {r: sum(c.get(r, [0, 0])[1] for c in per.values()) for r in rules}
    print("## lexicon rules (right/wrong per set)")
    for r in sorted((r for r in rules if wrong[r] >= 2), key=lambda r: (-wrong[r], r)):
        cells = "  ".join(f"{n} {c.get(r, [0, 0])[0]}/{c.get(r, [0, 0])[1]}" for n, c in per.items())
        print(f"  {r:40s} {cells}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = [Path("/work/shared/eval/gold-dev"), REPO / "bench" / "heldout"]
    ap.add_argument("--gold", nargs="+", type=Path, default=default)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--terms", action="store_true", help="right/wrong per lexicon rule on each set")
    ap.add_argument("--tables", action="store_true", help="lead classes on the published table rows")
    a = ap.parse_args()
    plan = analyse_file(paths.DEFAULT_PLAN)
    departments.assign_departments(plan)
    goalunits.assign_goal_units(plan)
    sets = []
    for gd in a.gold:
        gold = json.loads((gd / "departments.gold.json").read_text(encoding="utf-8"))
        aliases = score.load_aliases(gd, Path("/work/shared/eval"))
        sets.append((gd.name, gold, aliases))
        counts, errors = classify(plan, gold, aliases)
        print(
            f"## {gd.name}: {counts['items']} items, {counts['right']} right tags, "
            f"{counts['missed']} missed, {counts['false']} false"
        )
        for k in sorted(counts):
            if k not in ("items", "right", "missed", "false"):
                print(f"  {k:45s} {counts[k]}")
        if a.list:
            for e in sorted(errors):
                print("   ", *e, sep="\t")
    if a.terms:
        print_terms(plan, sets)
    if a.tables:
        counts, errors = table_leads()
        print(f"## published tables: {sum(counts.values())} rows naming a lead")
        for k in sorted(counts):
            print(f"  {k:45s} {counts[k]}")
        if a.list:
            for e in sorted(errors):
                print("   ", *e, sep="\t")


if __name__ == "__main__":
    main()
