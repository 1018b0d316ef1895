"""Times for people: stored UTC instants shown in the plan's time zone (config PLAN_TIMEZONE, default Asia/Shanghai)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TZ = "Asia/Shanghai"


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)  # a mistyped setting must not take the history pages down


def plan_zone() -> ZoneInfo:
    """The configured zone: app config PLAN_TIMEZONE, else env KB_PLAN_TIMEZONE, else Asia/Shanghai."""
    from flask import current_app, has_app_context

    name = current_app.config.get("PLAN_TIMEZONE") if has_app_context() else None
    return _zone(name or os.environ.get("KB_PLAN_TIMEZONE") or DEFAULT_TZ)


def plan_today() -> date:
    """Today's date where the plan's offices are."""
    return datetime.now(UTC).astimezone(plan_zone()).date()


def local_time(value: str | datetime | None) -> str:
    """An ISO instant (UTC when it carries no offset) as 2024-03-05 14:20 in the plan's zone; '' for none."""
    if not value:
        return ""
    try:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)  # not a timestamp: show it as stored rather than fail
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(plan_zone()).strftime("%Y-%m-%d %H:%M")
