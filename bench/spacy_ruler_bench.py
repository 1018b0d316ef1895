"""Should explicit mentions be a spaCy SpanRuler component? Measured against the current matcher on the plan.

    .venv/bin/python bench/spacy_ruler_bench.py

Builds the alternative (blank zh + the project's jieba tokenizer + a SpanRuler holding every registry form, with
Doc/Span extensions for the canonical bodies) and runs both over every clause of the default plan: mentions found by
one and not the other, and time per clause (best of 3, same process, after warm-up).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kb import paths  # noqa: E402
from nlp import lang, mentions  # noqa: E402
from nlp.pipeline import analyse_file  # noqa: E402


def ruler_pipeline():
    from spacy.tokens import Span

    forms = mentions._forms()
    nlp = lang.spacy_nlp()
    if "span_ruler" not in nlp.pipe_names:
        ruler = nlp.add_pipe("span_ruler", config={"spans_key": "mentions", "overwrite": False})
        ruler.add_patterns([{"label": "BODY", "pattern": f, "id": "|".join(forms[f][0])} for f in forms])
    if not Span.has_extension("bodies"):
        Span.set_extension("bodies", getter=lambda s: tuple(s.ent_id_.split("|")) if s.ent_id_ else ())
    return nlp


def best(fn, texts) -> float:
    times = []
    for _ in range(3):
        t = time.perf_counter()
        for x in texts:
            fn(x)
        times.append(time.perf_counter() - t)
    return min(times) / len(texts) * 1e6


def main() -> None:
    plan = analyse_file(paths.DEFAULT_PLAN)
    texts = [c.text for it in plan.items for c in it.clauses]
    nlp = ruler_pipeline()
    current = {(i, m.start, m.end) for i, t in enumerate(texts) for m in mentions.find_mentions(t)}
    ruled = set()
    for i, t in enumerate(texts):
        doc = nlp(t)
        ruled |= {(i, s.start_char, s.end_char) for s in doc.spans["mentions"]}
    only_current = current - ruled
    only_ruler = ruled - current
    us_cur = best(mentions.find_mentions, texts)
    us_rul = best(nlp, texts)
    print(
        f"{len(texts)} clauses; mentions: current {len(current)}, SpanRuler {len(ruled)}; "
        f"found only by the current matcher {len(only_current)}, only by the SpanRuler {len(only_ruler)}"
    )
    for i, s, e in sorted(only_current)[:8]:
        print("  current only:", texts[i][s:e], "·", texts[i][max(0, s - 6) : e + 6])
    for i, s, e in sorted(only_ruler)[:8]:
        print("  ruler only:", texts[i][s:e], "·", texts[i][max(0, s - 6) : e + 6])
    print(f"time per clause: current {us_cur:.0f} µs, SpanRuler pipeline {us_rul:.0f} µs (ratio {us_rul / us_cur:.2f})")


if __name__ == "__main__":
    main()
