"""Progress reporting (进度报告): departments report on their duties per period, with evidence and traffic lights."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "progress.json"


class ProgressError(ValueError):
    """Input a user can correct (unknown period, status, another department's item …); message shown as is."""

    status = 422


class NotFound(ProgressError):
    """No such item, report, attachment or department: a 404 like every other unknown id in the app."""

    status = 404


class Forbidden(ProgressError):
    """The account may not do this (another department's item, a reporter returning a report …)."""

    status = 403


class Conflict(ProgressError):
    """Someone else saved the report meanwhile; nothing was overwritten."""

    status = 409


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    """Statuses, deadline cues, light thresholds and attachment policy from kb/data/progress.json."""
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))


def status_label(code: str) -> str:
    return rules()["statuses"].get(code, code)


def status_code(text: str) -> str | None:
    """A status given as code or Chinese label (未启动 / in_progress …) → its code, or None."""
    text = (text or "").strip()
    statuses = rules()["statuses"]
    if text in statuses:
        return text
    return next((code for code, label in statuses.items() if label == text), None)


def state_label(code: str) -> str:
    return rules()["states"].get(code, code)
