"""Repair check against a gold directory: P/R like the eval scorer, plus the edits missed and the ones unconfirmed.

.venv/bin/python bench/repair_check.py --gold bench/heldout [--plan corpus/yiyang-children-2021-2025.txt]
.venv/bin/python bench/repair_check.py --gold /work/shared/eval/gold-dev --title-rates   # per title-stop class
.venv/bin/python bench/repair_check.py --gold /work/shared/eval/gold-dev --title-features   # candidate cues, per gold
.venv/bin/python bench/repair_check.py --gold /work/shared/eval/gold-dev --genre-coverage   # rule words in the genre
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
from collections import Counter
from pathlib import Path

from nlp.lang import jieba_tokenizer, read_lines
from nlp.pipeline import analyse_file
from nlp.repair_stops import opener_rates, pos_tagger

_STOPS = str.maketrans(dict.fromkeys(",,、。;;", ","))


def _edits(a: str, b: str) -> set[tuple[int, int, str]]:
    """Edits from a to b; an inserted stop counts the same whichever of ,、。; it is."""
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return {(i1, i2, b[j1:j2].translate(_STOPS)) for op, i1, i2, j1, j2 in sm.get_opcodes() if op != "equal"}


def check(plan_path: Path, gold_dir: Path, suggestions: bool = False, body_stops: bool = False) -> dict:
    """Precision, recall, missed and unconfirmed edits of the plan's repaired text inside the gold regions;
    with suggestions, as if a reviewer accepted every suggested repair too; with body_stops, the gold's rows
    that also restore stops between two sentences of a body (which the dev gold's convention does not list)."""
    gold = json.loads((gold_dir / "repairs.gold.json").read_text(encoding="utf-8"))
    if body_stops:  # a body_stops row is the whole row; its scored twin (if any) holds only the title's stop
        rows = {r["raw"]: r for r in gold["repairs"]} | {r["raw"]: r for r in gold.get("body_stops", [])}
        gold["repairs"] = list(rows.values())
    accept_all = (lambda _p, _raw, reps: {r.id: True for r in reps}) if suggestions else None
    plan = analyse_file(plan_path, repair_review=accept_all)
    raw, pred = plan.raw_text, plan.text
    target = raw
    for g in gold["repairs"]:
        if raw.count(g["raw"]) == 1:
            target = target.replace(g["raw"], g["fixed"], 1)
    regions = gold.get("regions") or [[0, len(raw)]]

    def inside(e: tuple[int, int, str]) -> bool:
        return any(a <= e[0] < b or (e[0] == e[1] == b) for a, b in regions)

    gold_e, pred_e = _edits(raw, target), {e for e in _edits(raw, pred) if inside(e)}
    tp = len(gold_e & pred_e)
    # What became of each miss: a suggestion of which rule at its offset, or no candidate at all.
    suggested = {r.start: r.rule for r in plan.repairs if not r.applied}
    by_class = Counter(
        ("stop" if e[2] == "," else "character/mark")
        + ": "
        + (f"suggested ({suggested[e[0]]})" if e[0] in suggested else "no candidate")
        for e in gold_e - pred_e
    )

    def show(e: tuple[int, int, str]) -> str:
        return (
            raw[max(0, e[0] - 8) : e[0]] + "[" + raw[e[0] : e[1]] + "→" + e[2] + "]" + raw[e[1] : e[1] + 8]
        ).replace("\n", "⏎")

    return {
        "precision": tp / len(pred_e) if pred_e else 0.0,
        "recall": tp / len(gold_e) if gold_e else 0.0,
        "gold": len(gold_e),
        "predicted": len(pred_e),
        "missed": sorted(show(e) for e in gold_e - pred_e),
        "missed_by_class": dict(sorted(by_class.items())),
        "unconfirmed": sorted(show(e) for e in pred_e - gold_e),
    }


def title_rates(plan_path: Path, gold_dir: Path) -> dict[str, tuple[int, int]]:
    """Per title-stop class (its rule), (gold edits, proposed stops) inside the gold regions, applied or not:
    the measured rate that nlp/data/repair_scores.tsv's title_* rows take as the class's confidence."""
    gold = json.loads((gold_dir / "repairs.gold.json").read_text(encoding="utf-8"))
    plan = analyse_file(plan_path)
    listed = _listed_stops(plan.raw_text, gold)
    out: dict[str, tuple[int, int]]
    regions, out = gold.get("regions") or [[0, len(plan.raw_text)]], {}
    for r in plan.repairs:
        if r.rule.startswith("title_stop") and any(a <= r.start < b for a, b in regions):
            k, n = out.get(r.rule, (0, 0))
            out[r.rule] = (k + (r.start in listed), n + 1)
    return dict(sorted(out.items()))


def _listed_stops(raw: str, gold: dict) -> set[int]:
    """Offsets of the stops the gold's rows restore."""
    target = raw
    for g in gold["repairs"]:
        if raw.count(g["raw"]) == 1:
            target = target.replace(g["raw"], g["fixed"], 1)
    return {e[0] for e in _edits(raw, target) if e[2] == ","}


def _first_word(s: str) -> str:
    """The first word jieba reads in s."""
    return next((w for w, _f in pos_tagger().cut(s[:40])), "")


def title_features(plan_path: Path, gold_dir: Path) -> dict[str, tuple[int, int, int, int]]:
    """Per candidate cue of a right title stop, (listed, proposed) among the title stops with the cue and among
    those without, inside the gold regions: a cue that separates listed from unlisted stops on both golds would
    give a class of its own (the typical-length class is the shipped one)."""
    gold = json.loads((gold_dir / "repairs.gold.json").read_text(encoding="utf-8"))
    plan = analyse_file(plan_path)
    listed, regions = _listed_stops(plan.raw_text, gold), gold.get("regions") or [[0, len(plan.raw_text)]]
    opens, tagger = opener_rates(plan.text), pos_tagger()
    stops = [r for r in plan.repairs if r.rule.startswith("title_stop")]
    at = {r.start for r in stops}
    titled = [i for i in plan.items if i.kind == "measure" and i.title and i.text.startswith(i.title)]
    # The words that open a body after a title whose 。 survived: the pattern written intact elsewhere.
    intact = {
        _first_word(i.text[len(i.title) + 1 :])
        for i in titled
        if i.text[len(i.title) : len(i.title) + 1] == "。" and not any(i.raw_start <= a < i.raw_end for a in at)
    }
    out: dict[str, list[int]] = {}
    for r in stops:
        item = next((i for i in titled if i.raw_start <= r.start < i.raw_end), None)
        if item is None or not any(a <= r.start < b for a, b in regions):
            continue
        body = item.text[len(item.title) :].lstrip("。")
        follower, title_tags = _first_word(body), [f for _w, f in tagger.cut(item.title)]
        cues = {
            "class title_stop (typical length, strong opener)": r.rule == "title_stop",
            "follower opens >= 0.6 of its clauses": opens.get(follower, 0.0) >= 0.6,
            "title opens with a verb": title_tags[:1] == ["v"],
            "title ends in a noun": title_tags[-1:] != [] and title_tags[-1].startswith("n"),
            "first clause after <= 12 chars": len(re.split("[,,。;;:]", body, maxsplit=1)[0]) <= 12,
            "follower opens an intact title's body": follower in intact,
        }
        for cue, has in cues.items():
            row = out.setdefault(cue, [0, 0, 0, 0])
            row[0 if has else 2] += r.start in listed
            row[1 if has else 3] += 1
    return {k: (v[0], v[1], v[2], v[3]) for k, v in out.items()}


# The genre's intact text in the repository: real plans of other places, copied as published (their READMEs).
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")
GENRE = ("tests/fixtures/real", "tests/fixtures/clean_excerpts", "bench/heldout/real")


def _restored(raw: str, fixed: str) -> str:
    """The word of fixed (as jieba cuts it) that holds the first character inserted into raw."""
    sm = difflib.SequenceMatcher(None, raw, fixed, autojunk=False)
    at = next((j1 for op, _i1, _i2, j1, _j2 in sm.get_opcodes() if op in ("insert", "replace")), 0)
    pos = 0
    for w in jieba_tokenizer().cut(fixed, HMM=False):
        if pos <= at < pos + len(w):
            return w
        pos += len(w)
    return ""


def genre_coverage(plan_path: Path, gold_dir: Path, root: Path = Path(".")) -> list[tuple[str, str, int, int, int]]:
    """Per word a dropped-character rule of repairs.tsv restores, and per word a gold dropped-character row
    restores: (source, word, jieba frequency, whole in the genre's intact text, whole in the plan) — whether the
    genre's own text could stand in for the rule as evidence."""
    genre = "\n".join(f.read_text(encoding="utf-8") for d in GENRE for f in sorted((root / d).glob("*.txt")))
    plan, freq = plan_path.read_text(encoding="utf-8"), jieba_tokenizer().FREQ
    words: dict[str, str] = {}
    for line in read_lines("repairs.tsv"):
        name, kind, _typ, _pattern, repl = line.split("\t")[:5]
        if kind == "dropped_char" and "\\" not in repl:  # a template (十\1五) restores no one word
            words.setdefault(repl.replace("{level}", "市"), name)
    gold = json.loads((gold_dir / "repairs.gold.json").read_text(encoding="utf-8"))
    for g in gold["repairs"]:
        if g.get("kind") == "dropped_char" and _CJK_WORD.fullmatch(w := _restored(g["raw"], g["fixed"])):
            words.setdefault(w, "gold")
    return [(src, w, freq.get(w) or 0, genre.count(w), plan.count(w)) for w, src in words.items()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--gold", type=Path, default=Path("bench/heldout"))
    ap.add_argument("--plan", type=Path, default=Path("corpus/yiyang-children-2021-2025.txt"))
    ap.add_argument("--with-suggestions", action="store_true", help="score as if every suggestion were accepted")
    ap.add_argument("--with-body-stops", action="store_true", help="score the gold's body_stops rows too")
    ap.add_argument("--title-rates", action="store_true", help="measured rate of each title-stop class")
    ap.add_argument("--title-features", action="store_true", help="listed/proposed title stops with and without cues")
    ap.add_argument("--genre-coverage", action="store_true", help="restored words in the genre's intact text")
    a = ap.parse_args()
    if a.genre_coverage:
        rows = genre_coverage(a.plan, a.gold)
        for src, w, f, g, p in rows:
            print(f"{src}\t{w}\tjieba {f}\tgenre {g}\tplan {p}")
        print(f"-- written whole in the genre's intact text: {sum(g > 0 for *_x, g, _p in rows)} of {len(rows)} words")
        return
    if a.title_features:
        for cue, (k1, n1, k0, n0) in title_features(a.plan, a.gold).items():
            print(f"{cue}: with {k1}/{n1}, without {k0}/{n0}")
        return
    if a.title_rates:
        for rule, (k, n) in title_rates(a.plan, a.gold).items():
            print(f"{rule}: {k}/{n} = {k / n:.2f}")
        return
    r = check(a.plan, a.gold, a.with_suggestions, a.with_body_stops)
    print(
        f"repairs precision={r['precision']:.3f} recall={r['recall']:.3f} gold={r['gold']} predicted={r['predicted']}"
    )
    print("-- missed by class:", ", ".join(f"{k} {v}" for k, v in r["missed_by_class"].items()))
    for k in ("missed", "unconfirmed"):
        print(f"-- {k} ({len(r[k])})")
        for s in r[k]:
            print("  ", s)


if __name__ == "__main__":
    main()
