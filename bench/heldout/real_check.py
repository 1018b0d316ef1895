"""Score the reader and segmenter on held-out real plan excerpts (bench/heldout/real/) in every text form.

Each excerpt was copied from a stored public page (URL in manifest.json) and its expected goals and measures were
written by reading it, before this scorer ran. For each excerpt and form (the text as published, run-on joined
with spaces, run-on with no separator at all, Word .docx, saved web page) it reports: refused or not, expected
items found (domain, kind, block, number), items not expected, and lines left unaccounted (no item, heading or
warning: dropped silently). Goal (#16): none refused, >= 90% of items, nothing dropped silently.

    .venv/bin/python bench/heldout/real_check.py [--dir bench/heldout/real] [--forms txt,runon,bare]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from forms import run_on, to_docx, to_html  # noqa: E402

from nlp.coverage import unaccounted_lines  # noqa: E402
from nlp.pipeline import analyse_file  # noqa: E402
from nlp.reader import PlanFormatError, read_plan_file  # noqa: E402

WRITERS = {
    "txt": lambda t: t.encode(),
    "runon": lambda t: run_on(t).encode(),
    "bare": lambda t: run_on(t, sep="").encode(),
    "docx": to_docx,
    "html": lambda t: to_html(t).encode(),
}


def expected_items(spec: dict) -> set[tuple]:
    return {(e["domain"], e["kind"], e["block"], n) for e in spec["expected"]["items"] for n in e["numbers"]}


def score(path: Path, spec: dict, form: str, tmp: Path) -> dict:
    """One excerpt in one form: refusal, found / expected, extra items, unaccounted lines."""
    target = tmp / f"{path.stem}.{form}"
    target.write_bytes(WRITERS[form](read_plan_file(path).text))
    want = expected_items(spec)
    try:
        plan = analyse_file(target, {"slug": "heldout"})
    except PlanFormatError as exc:
        return {"refused": str(exc), "found": 0, "expected": len(want), "extra": [], "unaccounted": [], "edits": []}
    got = {(i.domain, i.kind, i.block, i.number) for i in plan.items if i.kind in ("goal", "measure")}
    lost = unaccounted_lines(plan) if form == "txt" else []  # line numbers are the form's own elsewhere
    return {
        "refused": None,
        "found": len(want & got),
        "expected": len(want),
        "missing": sorted(map(str, want - got)),
        "extra": sorted(map(str, got - want)),
        "unaccounted": lost,
        # Text repairs applied to a real plan's intact text (#17: there should be none); layout fixes are not repairs.
        "edits": [f"{r.rule}:{r.before}→{r.after}" for r in plan.repairs if r.applied and r.kind != "layout"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=ROOT / "bench" / "heldout" / "real")
    ap.add_argument("--forms", default=",".join(WRITERS))
    args = ap.parse_args(argv)
    manifest = json.loads((args.dir / "manifest.json").read_text(encoding="utf-8"))
    totals = {f: [0, 0, 0, 0] for f in args.forms.split(",")}  # found, expected, refused, unaccounted
    with tempfile.TemporaryDirectory() as tmp:
        for name, spec in sorted(manifest.items()):
            for form in totals:
                r = score(args.dir / name, spec, form, Path(tmp))
                t = totals[form]
                t[0], t[1] = t[0] + r["found"], t[1] + r["expected"]
                t[2] += bool(r["refused"])
                t[3] += len(r["unaccounted"])
                flag = "REFUSED " + r["refused"] if r["refused"] else f"{r['found']}/{r['expected']}"
                print(f"{name:42} {form:5} {flag}")
                for key in ("missing", "extra"):
                    if r.get(key):
                        print(f"    {key}: {', '.join(r[key])}")
                if r["edits"]:
                    print(f"    applied repairs: {', '.join(r['edits'])}")
                for no, text in r["unaccounted"]:
                    print(f"    unaccounted line {no}: {text[:60]}")
    print()
    for form, (found, want, refused, lost) in totals.items():
        share = found / want if want else 1.0
        print(f"{form:5} items {found}/{want} = {share:.3f}   refused {refused}/{len(manifest)}   unaccounted {lost}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
