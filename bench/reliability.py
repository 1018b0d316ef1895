"""Reliability of the responsibility tags: of the assignments at each confidence, how many are right.

Usage (from the repo, after a build and an export):
    KB_DATA_DIR=/tmp/d .venv/bin/python -m kb build
    KB_DATA_DIR=/tmp/d .venv/bin/python -m kb export --format json -o /tmp/e.json
    .venv/bin/python bench/reliability.py --export /tmp/e.json --gold ../shared/eval/gold-dev bench/heldout [--readme]

"Right" means the body is among the gold item's lead or co bodies; "lead right" means a lead tag whose body is a
gold lead. --readme rewrites the table between the reliability markers in README.md (so the README stays true).
It also reports the leave-one-row-out check of the co-ownership prior on the collected tables, the collected tables
(development data: rules have been written after reading them) and the blind rows (bench/heldout/departments.blind.tsv,
transcribed by someone who never ran the tagger, after its rules were written: scored, never read for rules).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
EVAL = Path("/work/shared/eval")  # score.py and the aliases (departments.tsv), as the other bench scripts read them
sys.path.insert(0, str(EVAL))

import score  # noqa: E402  (the project's scorer: one meaning of "matched item" and of a department name)

from nlp import coownership, registry  # noqa: E402
from nlp.departments import assign_text  # noqa: E402
from nlp.scoring import HIGH, certainty  # noqa: E402

BINS = ((0.8, 1.01, "≥ 0.8"), (0.6, 0.8, "0.6–0.8"), (0.4, 0.6, "0.4–0.6"), (0.0, 0.4, "< 0.4"))
MARKS = {"explicit": "明确", "high": "推断(高)", "low": "推断(低)"}
START, END = "<!-- reliability:start -->", "<!-- reliability:end -->"


def _rows(export: dict, gold_dir: Path) -> list[tuple[float, str, bool, bool]]:
    """(confidence, mark, right, lead_right) per item-level assignment of the gold's items."""
    aliases = score.load_aliases(gold_dir, EVAL)
    items = {score.gold_id(i): i for i in export["items"] if score.gold_id(i)}
    out = []
    for g in json.loads((gold_dir / "departments.gold.json").read_text(encoding="utf-8")):
        it = items.get(g["id"])
        if not it:
            continue
        want, leads = set(g["lead"]) | set(g["co"]), set(g["lead"])
        for d in it["departments"]:
            n = score.normalise(d["name"], aliases)
            mark = certainty(d["source"], d["confidence"])
            out.append((d["confidence"], mark, n in want, d["role"] != "lead" or n in leads))
    return out


def _line(label: str, rows: list) -> str:
    n = len(rows)
    right = sum(r[2] for r in rows)
    lead_ok = sum(r[3] for r in rows)
    if not n:
        return f"| {label} | 0 | – | – |"
    return f"| {label} | {n} | {right} ({right / n:.0%}) | {lead_ok / n:.0%} |"


def _published_rows(path: Path) -> list[tuple[float, str, bool, bool]]:
    """(confidence, mark, right, lead_right) per tag of the published rows that name their co-units (a row naming
    none of the registry's bodies cannot judge a co-unit), each tagged with its own source held out."""
    out = []
    for text, leads, co, source in table_rows(path):
        if co is None:
            continue
        coownership.hold_out({source})
        try:
            got = assign_text(text, kind="measure")
        finally:
            coownership.hold_out(set())
        for a in got:
            lead_ok = a.role != "lead" or not leads or a.name in leads
            out.append((a.confidence, certainty(a.source, a.confidence), a.name in leads | co, lead_ok))
    return out


def table(export: dict, gold_dirs: list[Path]) -> str:
    """The markdown reliability table, one block per gold set, and one for the blind published rows."""
    out = []
    blocks = [(gd.name, _rows(export, gd), "item-level tags") for gd in gold_dirs]
    blocks.append(("blind published rows", _published_rows(BLIND), "tags of the rows that name their co-units"))
    for name, rows, what in blocks:
        out += [
            f"**{name}** ({len(rows)} {what})",
            "",
            "| confidence / mark | tags | right | role right |",
            "|---|---|---|---|",
        ]
        out += [_line(label, [r for r in rows if lo <= r[0] < hi]) for lo, hi, label in BINS]
        out += [_line(MARKS[m], [r for r in rows if r[1] == m]) for m in MARKS]
        out.append("")
    return "\n".join(out)


def coownership_cv() -> str:
    """Leave one source out: predict each published row's co-units from the rows of the *other* sources (a table
    never judges itself), and leave-one-row-out for comparison."""
    rows = [r for r in coownership.rows() if r.first_leads and len(r.bodies) > 1]
    out = []
    for label, rest_of in (
        ("leave-one-source-out", lambda r: tuple(x for x in coownership.rows() if x.source != r.source)),
        ("leave-one-row-out", lambda r: tuple(x for x in coownership.rows() if x is not r)),
    ):
        tp = fp = fn = 0
        for r in rows:
            prior = coownership.prior(r.bodies[0], set(r.topics), rest_of(r))
            got = {b for b, (share, _) in prior.items() if share >= 0.5}
            want = set(r.bodies[1:])
            tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
        p, rec, f = prf([tp, fp, fn])
        out.append(f"{label}: co-unit precision {p:.2f}, recall {rec:.2f}, F1 {f:.2f}")
    sources = len({r.source for r in coownership.rows()})
    return (
        f"Co-ownership prior over {len(rows)} published rows with a named lead from {sources} sources "
        f"(`nlp/data/coownership.tsv`), " + "; ".join(out) + "."
    )


TABLES = REPO / "bench" / "heldout" / "departments.tables.tsv"
BLIND = REPO / "bench" / "heldout" / "departments.blind.tsv"


def table_rows(path: Path = TABLES) -> list[tuple[str, set[str], set[str] | None, str]]:
    """(text, leads (empty where the table marks none), co (None where it names none of the registry's bodies,
    empty where it names the lead alone), source) per transcribed row of a table."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) != 4:
            raise SystemExit(f"{path.name}: line {n} needs text<TAB>lead<TAB>co<TAB>source")
        text, lead, co, source = cells
        leads = set() if lead == "-" else set(lead.split("|"))
        cos = None if co == "-" else set() if co == "none" else set(co.split("|"))
        for name in leads | (cos or set()):
            if registry.resolve(name) is None:
                raise SystemExit(f"{path.name}: line {n}: unknown body {name!r}")
        out.append((text, leads, cos, source))
    return out


def table_counts(path: Path = TABLES) -> tuple[list[int], dict[str, list[int]]]:
    """[tp, fp, fn, lead right, rows naming a lead] over the published rows, in all and per source; each row is
    tagged with the co-ownership rows of its own source held out (so no row is judged by its own table)."""
    total = [0, 0, 0, 0, 0]
    per: dict[str, list[int]] = {}
    for text, leads, co, source in table_rows(path):
        coownership.hold_out({source})
        try:
            got = assign_text(text, kind="measure")
        finally:
            coownership.hold_out(set())
        names = {a.name for a in got}
        tagged_leads = [a.name for a in got if a.role == "lead"]
        want = leads | (co or set())
        judged = names if co is not None else names & want  # a row naming no co-units is scored on its lead
        c = [
            len(judged & want),
            len(judged - want),
            len(want - names),
            int(bool(leads and tagged_leads and tagged_leads[0] in leads)),
            int(bool(leads)),
        ]
        for acc in (total, per.setdefault(source, [0, 0, 0, 0, 0])):
            for k in range(5):
                acc[k] += c[k]
    return total, per


def prf(c: list[int]) -> tuple[float, float, float]:
    """Precision, recall, F1 of [tp, fp, fn, …]."""
    tp, fp, fn = c[:3]
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def tables_cv(path: Path = TABLES, label: str = "Published tables") -> str:
    """The published rows scored with each row's own source held out of the co-ownership prior."""
    total, per = table_counts(path)
    p, r, f = prf(total)
    rows = len(table_rows(path))
    macro = sum(prf(c)[2] for c in per.values()) / len(per) if per else 0.0
    return (
        f"{label} (`{path.relative_to(REPO)}`, {rows} rows from {len(per)} stored pages, each tagged with its own "
        f"source held out of the co-ownership prior): precision {p:.2f}, recall {r:.2f}, "
        f"F1 {f:.2f} (mean over sources {macro:.2f}); lead right on {total[3]} of the {total[4]} rows that name one."
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--export", required=True, type=Path)
    ap.add_argument("--gold", nargs="+", required=True, type=Path)
    ap.add_argument("--readme", action="store_true", help="rewrite the table in README.md")
    a = ap.parse_args()
    export = json.loads(a.export.read_text(encoding="utf-8"))
    body = (
        f"Inferred tags at confidence ≥ {HIGH} are marked 推断(高), the rest 推断(低); 明确 = named in the text.\n\n"
        + table(export, a.gold)
        + "\n"
        + coownership_cv()
        + "\n\n"
        + tables_cv(TABLES, "Published tables, development data since session 16")
        + "\n\n"
        + tables_cv(BLIND, "Published rows kept blind, scored only")
    )
    print(body)
    if a.readme:
        readme = REPO / "README.md"
        text = readme.read_text(encoding="utf-8")
        block = f"{START}\n{body}\n{END}"
        pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no {START} … {END} block")
        readme.write_text(pattern.sub(lambda _m: block, text), encoding="utf-8")


if __name__ == "__main__":
    main()
