"""The 妇儿工委办's review queue: uncertain responsibility tags first, one decision each, a counter of progress."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kb.duties import item_duties
from nlp.scoring import HIGH

KINDS = ("goal", "measure", "implementation", "monitoring")
CERTAINTY_LABELS = {"explicit": "明确", "high": "推断(高)", "low": "推断(低)", "review": "待确认"}


@dataclass(frozen=True)
class Queue:
    """The queue's entries per item (every task item, in document order) and all of them in queue order."""

    by_item: dict[str, tuple[dict[str, Any], ...]]
    rows: list[dict[str, Any]]


# what 已审核 x / y counts (the pages' tooltip): one decision per question the build put, however it was answered
COUNTER_TITLE = (
    "y：自动标注的责任部门（含只在句中出现的）和无人牵头的条目，每项一次；"
    "x：其中已审核的（确认、改定职责、删除或改派）。"
    "审核时添加或改派得到的部门、删除牵头单位后待指定牵头的条目不另计，删除的标注仍计为已审核。"
    "待处理：队列中尚未审核的条目，含删除牵头单位后待指定牵头的条目。"
)


def entries(
    items: list[dict[str, Any]], reviews: list[dict[str, Any]], base: Mapping[str, dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """One entry per item-level tag and per item nobody leads, in queue order (reviewed ones last).

    items are export-shaped with reviews applied (kb.store); reviews are kb.reviews.overlay.list_reviews() rows,
    so a rejected tag, gone from the item, still counts as reviewed; base holds the build's items as the tagger
    left them (the snapshot's build.base), which tell the questions the counter counts from the bodies reviewers
    added (without it every entry counts)."""
    return build(items, reviews, base).rows


def build(
    items: list[dict[str, Any]], reviews: list[dict[str, Any]], base: Mapping[str, dict[str, Any]] | None = None
) -> Queue:
    """The queue of these items from scratch."""
    rejected = _rejected(reviews)
    by_item = {
        it["id"]: item_entries(it, rejected.get(it["id"], []), _built(base, it["id"]))
        for it in items
        if it.get("kind") in KINDS
    }
    return Queue(by_item, _ordered(by_item))


def updated(
    old: Queue,
    items: Mapping[str, dict[str, Any]],
    changed: Iterable[str],
    reviews: list[dict[str, Any]],
    base: Mapping[str, dict[str, Any]] | None = None,
) -> Queue:
    """The queue build() would make when only the `changed` items differ from those `old` was made of (a review
    touches one item or a few): their entries made again, every entry ordered again (the order weighs each
    department's open tags, which a review changes); `old` is left as it was, for threads still reading it."""
    rejected = _rejected(reviews)
    by_item = dict(old.by_item)
    for iid in changed:
        if iid in by_item:  # a task item of this build (reviews only change items, never add or drop them)
            it = items.get(iid)
            by_item[iid] = item_entries(it, rejected.get(iid, []), _built(base, iid)) if it else ()
    return Queue(by_item, _ordered(by_item))


def _built(base: Mapping[str, dict[str, Any]] | None, iid: str) -> dict[str, Any] | None:
    return None if base is None else base.get(iid)


def _rejected(reviews: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Per live item, its rejected tags' review rows (gone from the item, still reviewed)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in reviews:
        if r["kind"] == "assignment" and r["decision"] == "reject" and r.get("live_item"):
            out.setdefault(r["live_item"], []).append(r)
    return out


def item_entries(
    it: dict[str, Any], rejected: list[dict[str, Any]], built: dict[str, Any] | None = None
) -> tuple[dict[str, Any], ...]:
    """One task item's entries: the item itself when nobody leads it and it needs review, each duty (kb.duties: an
    item-level tag, or a body named only in clauses, with those clauses), each rejected tag.

    `counted` marks the entries 已审核 x / y counts (counter): with the build's item (`built`) at hand, the
    tagger's bodies and the item's who-leads question, not the bodies reviewers added or moved in (a reassign
    added an entry, so y grew with every 改派). An item the build left unled keeps its entry once a reviewer named
    a lead, as reviewed: the question was answered, it did not go away."""
    tagged = None if built is None else set(item_duties(built))
    base = {
        "item": it["id"],
        "plan": it.get("plan"),
        "title": it.get("title") or "",
        "kind": it.get("kind"),
        "domain": it.get("domain"),
        "number": it.get("number"),
        "text": it.get("text") or "",
    }
    out = []
    depts = it.get("departments") or []
    leads = [d for d in depts if d["role"] == "lead"]
    has_lead = bool(leads)
    unled = built is not None and bool(built.get("needs_review"))
    unled = unled and not any(d["role"] == "lead" for d in (built or {}).get("departments") or [])
    if (it.get("needs_review") and not has_lead) or (unled and has_lead):
        out.append(
            {
                **base,
                "type": "item",
                "source": "reviewed" if has_lead else "inferred",
                "department": None,
                "role": None,
                "confidence": 0.0,
                "certainty": "explicit" if has_lead else "review",
                "evidence": [],
                "candidates": [] if has_lead else _lead_choices(it, built),
                # open while nobody leads: a reviewer confirming a partner has not answered who leads
                "reviewed": has_lead,
                "review": leads[0].get("review") if has_lead else None,
                "leads": [d["name"] for d in leads],
                "clauses": [],
                # a question of the build's; one a review opened (the only lead removed) is not a new one in y,
                # the removal was counted: the same state as a lead's 改派, which must not grow y
                "counted": built is None or unled,
            }
        )
    unsure = bool(it.get("needs_review")) and not has_lead
    for duty in item_duties(it).values():  # item-level tags in rank order, then bodies named only in clauses
        a = duty.assignment
        out.append(
            {
                **base,
                "type": "tag",
                "department": duty.name,
                "role": duty.role,
                "source": a.get("source"),
                "confidence": a.get("confidence") or 0.0,
                "certainty": duty.mark(unsure),
                "evidence": duty.evidence(),
                "candidates": [],
                "reviewed": a.get("source") == "reviewed",
                "review": a.get("review"),
                "clauses": duty.clause_numbers if duty.clause_only else [],
                "counted": tagged is None or duty.name in tagged,
            }
        )
    for r in rejected:
        out.append(
            {
                **base,
                "type": "tag",
                "department": r["target"],
                "role": r.get("role"),
                "source": "rejected",
                "confidence": 0.0,
                "certainty": "explicit",
                "evidence": [],
                "candidates": [],
                "reviewed": True,
                "review": {"by": r["actor"], "at": r["updated_at"], "decision": "reject"},
                "clauses": [],
                "counted": tagged is None or r["target"] in tagged,  # an added body removed again: no question
            }
        )
    return tuple(out)


def _lead_choices(it: dict[str, Any], built: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The bodies an unled item offers as its lead, highest score first: the tagger's candidates and the bodies
    left with a duty on it. A plan's "(X牵头，Y配合)" whose X a reviewer removed still names Y: the candidates alone
    (the topic words' bodies the note held back) did not offer Y at all."""
    partners = _partners(it, built)
    named = {p["name"] for p in partners}
    choices = partners + [c for c in it.get("candidates") or [] if c["name"] not in named]
    return sorted(choices, key=lambda c: -(c.get("score") or 0.0))


def _partners(it: dict[str, Any], built: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The bodies left with a duty on an item (kb.duties) as leads to choose from, where the tagger offered no
    candidates (an item a review left without its lead): the queue's 由 X 牵头 makes one of them lead. Each scores
    the tagger's confidence in it (the build's item), not a review's: a confirmed co-unit is no 100% lead."""
    tagger = {} if built is None else {d.name: d.assignment for d in item_duties(built).values()}
    out = []
    for d in item_duties(it).values():
        a = tagger.get(d.name) or ({} if d.assignment.get("source") == "reviewed" else d.assignment)
        out.append({"name": d.name, "score": a.get("confidence") or 0.0, "evidence": d.evidence()})
    return out


def _ordered(by_item: Mapping[str, tuple[dict[str, Any], ...]]) -> list[dict[str, Any]]:
    """Every entry in queue order: nobody-leads items, then the least confident open tags; most-affected
    departments (the most open uncertain tags) first among equals; reviewed ones last."""
    out = [e for group in by_item.values() for e in group]
    load = Counter(e["department"] for e in out if not e["reviewed"] and e["certainty"] in ("low", "review"))
    out.sort(
        key=lambda e: (
            e["reviewed"],
            e["type"] != "item",
            e["source"] == "explicit",
            e["confidence"],
            -load.get(e["department"], 0),
            e["item"],
            e["department"] or "",
        )
    )
    return out


def counter(queue: list[dict[str, Any]]) -> dict[str, int]:
    """已审核 x / y over the queue (COUNTER_TITLE): y the questions the build put (its tags, its unled items), x
    those answered, and the entries still open. A reassign answers one (the moved tag) and adds none; a rejected tag
    stays one, answered."""
    counted = [e for e in queue if e.get("counted", True)]
    # open: every entry still waiting for a decision, counted or not (an item a review left without its lead is a new
    # entry y does not count): x = y must not read as "nothing left" while the queue still shows one
    return {
        "reviewed": sum(e["reviewed"] for e in counted),
        "total": len(counted),
        "open": sum(not e["reviewed"] for e in queue),
    }


def bulk_candidates(queue: list[dict[str, Any]], department: str) -> list[dict[str, Any]]:
    """A department's open high-confidence (or explicit) tags: what one bulk accept confirms."""
    return [e for e in queue if e["department"] == department and not e["reviewed"] and _bulk_acceptable(e)]


def _bulk_acceptable(e: dict[str, Any]) -> bool:
    """An open tag one bulk accept may confirm: explicit, or of high confidence."""
    return e["type"] == "tag" and (e.get("source") == "explicit" or e["confidence"] >= HIGH)


def departments(queue: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per department: open tags, of which high-confidence (bulk-acceptable), and reviewed ones (one pass: at 100
    plans the queue holds ~60,000 entries, and a pass per department took 1.6 s after every review)."""
    counts: dict[str, dict[str, Any]] = {}
    for e in queue:
        name = e["department"]
        if not name:
            continue
        c = counts.get(name)
        if c is None:
            c = counts[name] = {"name": name, "open": 0, "bulk": 0, "reviewed": 0}
        if e["reviewed"]:
            c["reviewed"] += 1
        else:
            c["open"] += 1
            c["bulk"] += _bulk_acceptable(e)
    return sorted((counts[n] for n in sorted(counts)), key=lambda d: -d["open"])


def load() -> list[dict[str, Any]]:
    """The live queue: the reviewed state of the current build's task items, and every review row."""
    from kb.reviews.overlay import list_reviews
    from kb.reviews.snapshot import current, reviewed_items

    return entries(reviewed_items(), list_reviews(kind="assignment"), current().build.base)
