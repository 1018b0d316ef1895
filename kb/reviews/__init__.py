"""Review workflow: reviewers confirm or correct tags, links, repairs and notes; every change is audited."""

from __future__ import annotations

from kb.reviews.assignments import (  # noqa: F401 (re-exported: the reviews API)
    ROLES,
    accept_assignment,
    add_assignment,
    canonical_department,
    held,
    kept_lead,
    reject_assignment,
    set_role,
)
from kb.reviews.audit import (  # noqa: F401 (re-exported: the reviews API)
    ReviewError,
    now,
    read,
    transaction,
    write_change,
)
from kb.reviews.core import Unchanged, default_actor  # noqa: F401
from kb.reviews.history import audit_log, undo  # noqa: F401
from kb.reviews.links import add_link, confirm_link, remove_link  # noqa: F401
from kb.reviews.markup import render_note  # noqa: F401
from kb.reviews.notes import add_note, edit_note, remove_note  # noqa: F401
from kb.reviews.overlay import list_reviews, orphans, reanchor, repair_decisions, resolve_row  # noqa: F401
from kb.reviews.repairs import accept_repair, reject_repair  # noqa: F401
from kb.reviews.snapshot import live_universe, reviewed_item, reviewed_items  # noqa: F401
from kb.reviews.transfer import export_reviews, import_reviews  # noqa: F401
