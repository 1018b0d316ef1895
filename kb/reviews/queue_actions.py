"""Decisions made through the review queue: a reassign (one move, checked before any write) and a bulk accept."""

from __future__ import annotations

from kb.duties import item_duties
from kb.reviews.queue import bulk_candidates, load


def reassign(item: str, department: str, to: str, by: str, reason: str = "") -> int:
    """Move a tag to another body with the same role (add the new, reject the old); returns the last audit id."""
    from kb import reviews
    from kb.reviews.core import Unchanged

    # every check before the first write: a reassign refused half-way must not have removed the tag already
    try:
        source, role = reviews.held(item, department)
    except reviews.ReviewError as exc:
        if exc.code != "not_on_item":
            raise
        raise _nothing_to_move(item, department) from None
    target = reviews.canonical_department(to)
    if target == source:
        raise reviews.ReviewError(f"改派的目标与原部门相同：{source}", "same_department")
    try:
        reviews.add_assignment(item, target, by, reason or f"由 {source} 改派", role=role)
    except Unchanged:  # the target holds the item as reviewed already: the move only removes the old body
        pass
    return reviews.reject_assignment(item, source, by, reason or f"改派给 {target}")


def _nothing_to_move(item: str, department: str) -> Exception:
    """The refusal of a reassign from a body not on the item: it has no duty there to move, and the bodies that
    do are named (it said 请先添加该部门, a remedy for an add, not for a reassign)."""
    from kb import reviews
    from kb.labels import ROLE

    it = reviews.reviewed_item(item)
    name = reviews.canonical_department(department)
    held = [(d.name, d.role) for d in item_duties(it).values()]
    listed = "、".join(f"{n}（{ROLE.get(r, r)}）" for n, r in held) or "无"
    message = f"{name} 目前不是该条目的责任部门，没有可改派的职责。该条目的责任部门：{listed}。"
    return reviews.ReviewError(message, "not_on_item", {"departments": [{"name": n, "role": r} for n, r in held]})


def bulk_accept(department: str, by: str, reason: str = "") -> list[int]:
    """Confirm every open high-confidence (or explicit) tag of one department (any alias; ReviewError with the
    closest names for an unknown one, never a silent 0); returns the audit ids."""
    from kb import reviews

    name = reviews.canonical_department(department)
    todo = bulk_candidates(load(), name)
    return [reviews.accept_assignment(e["item"], name, by, reason or "批量确认高置信度标注") for e in todo]
