"""The whole language pipeline: raw plan text → repaired, segmented, tagged and linked Plan."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nlp.departments import assign_departments
from nlp.goalunits import assign_goal_units
from nlp.indicators import tag_indicators
from nlp.items import build_items
from nlp.layout import normalise
from nlp.links import link_measures
from nlp.model import Plan, Repair, to_dict
from nlp.reader import PlanFormatError, read_plan_file
from nlp.repair import apply_repairs, find_repairs, repair_order
from nlp.segment import segment

log = logging.getLogger(__name__)


# Tagging stages, in order; each fills its part of the items.
TAGGERS: list[tuple[str, Callable[[Plan], None]]] = [
    ("departments", assign_departments),
    ("indicators", tag_indicators),
    ("links", link_measures),
    ("goal units", assign_goal_units),  # a goal's co-units from the measures that serve it (needs the links)
]


# Reviewers' repair decisions: (plan id, raw text, repairs) → {repair id: applied}; see kb.reviews.overlay.
RepairReview = Callable[[str, str, list[Repair]], dict[str, bool]]


def _decide(plan_id: str, raw: str, repairs: list[Repair], review: RepairReview | None) -> bool:
    """Set applied from reviewers' decisions; True if any repair changed."""
    decisions = review(plan_id, raw, repairs) if review else {}
    changed = False
    for r in repairs:
        if r.id in decisions and r.applied != decisions[r.id]:
            r.applied, changed = decisions[r.id], True
    return changed


def analyse(
    raw: str,
    meta: dict[str, Any],
    progress: Callable[[str], None] | None = None,
    repair_review: RepairReview | None = None,
    form: str = "txt",
) -> Plan:
    """Run layout normalisation, repair, segmentation, item building and tagging on the text a reader produced.

    The plan's raw_text is the text after layout fixes; meta["layout"] lists those fixes as edits of the text
    read from the file (empty for a line-structured plan), so every offset maps back to what was read.
    """
    say = progress or (lambda _msg: None)
    plan_id = meta["slug"]
    level = meta.get("level") or "市"
    say("整理版面")
    layout = normalise(raw, form)
    read, (raw, layout_map) = raw, apply_repairs(raw, layout)
    say("修复文本")
    try:
        seg = segment(raw)
    except PlanFormatError as exc:  # name the line of the text as read, not of the normalised one
        if not (layout and exc.line):
            raise
        at = layout_map.to_raw(sum(len(ln) + 1 for ln in raw.split("\n")[: exc.line - 1]))
        raise PlanFormatError(exc.message, read.count("\n", 0, at) + 1, exc.path) from None
    repairs = find_repairs(raw, level)
    taken = {(r.start, r.end, r.after) for r in repairs}
    repairs += [r for r in seg.repairs if (r.start, r.end, r.after) not in taken]
    repairs.sort(key=repair_order)
    _decide(plan_id, raw, repairs, repair_review)
    text, omap = apply_repairs(raw, repairs)
    say("切分条目")
    items, suggestions = build_items(plan_id, raw, text, omap, seg.items)
    # Confident or reviewer-accepted title stops change the text: rebuild the items on it.
    if _decide(plan_id, raw, suggestions, repair_review) or any(s.applied for s in suggestions):
        accepted = [s for s in suggestions if s.applied]
        text, omap = apply_repairs(raw, repairs + accepted)
        items, more = build_items(plan_id, raw, text, omap, seg.items)
        kept = {a.id for a in accepted}
        for s in more:  # the text now holds exactly the accepted stops; a rejected one stays a suggestion
            s.applied = s.id in kept
        suggestions = accepted + [s for s in more if s.id not in kept]
    repairs = sorted(repairs + suggestions, key=repair_order)
    plan = Plan(
        id=plan_id,
        title=meta.get("title") or (seg.page_meta[0] if seg.page_meta else plan_id),
        raw_text=raw,
        text=text,
        meta={**meta, "page": seg.page_meta, "form": form, "layout": [to_dict(f) for f in layout]},
        repairs=repairs,
        headings=seg.headings,
        items=items,
        warnings=seg.warnings,
    )
    for name, stage in TAGGERS:
        say(f"标注: {name}")
        stage(plan)
    return plan


def load_meta(path: Path) -> dict[str, Any]:
    """Metadata beside a plan file (same stem, .json), or defaults from the file name."""
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    meta.setdefault("slug", path.stem)
    return meta


def analyse_file(
    path: str | Path,
    meta: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
    repair_review: RepairReview | None = None,
) -> Plan:
    """Read a plan file (text in any encoding, Word, PDF or a saved web page) and analyse it."""
    path = Path(path)
    decoded = read_plan_file(path)
    meta = {**load_meta(path), **(meta or {})}
    if decoded.notes:
        meta["reader_notes"] = decoded.notes
    try:
        plan = analyse(decoded.text, meta, progress, repair_review, form=decoded.form)
    except PlanFormatError as exc:  # segmentation saw only the text: name the file
        raise exc.with_path(str(path)) from None
    plan.encoding = decoded.encoding
    return plan
