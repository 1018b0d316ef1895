"""Helpers shared by the review, anchoring, graph, crash and concurrency tests: a KB of the small review plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

MINI = Path(__file__).parent / "fixtures" / "plans" / "review-mini.txt"
SLUG = "review-mini"
REAL = Path(__file__).parent / "fixtures" / "real"
EDIT = "2.开展青少年航模与天文科普活动,市科技局负责。\n"  # a measure with new words, appended to edit a plan


def _slug(name: str) -> str:
    return f"real-{name[:2]}" if name.endswith(".txt") else name


def put_plan(name: str, edit: str = "") -> None:
    """A plan in the plans folder: a real plan excerpt (*.txt name) or the review plan's text under this slug."""
    from kb import paths

    text = (REAL / name if name.endswith(".txt") else MINI).read_text(encoding="utf-8")
    dest = paths.plans_dir() / f"{_slug(name)}.txt"
    dest.write_text(text + edit, encoding="utf-8")
    dest.with_suffix(".json").write_text(json.dumps({"slug": _slug(name), "title": f"{_slug(name)} 规划"}), "utf-8")


def drop_plan(name: str) -> None:
    """The plan put_plan(name) wrote, removed from the plans folder."""
    from kb import paths

    for suffix in (".txt", ".json"):
        (paths.plans_dir() / f"{_slug(name)}{suffix}").unlink()


def iid(local: str) -> str:
    """Full item id of the review plan from its local part (health-m1 → review-mini:health-m1)."""
    return f"{SLUG}:{local}"


def use_mini(monkeypatch: pytest.MonkeyPatch, data: Path, text: str | None = None) -> Path:
    """Make the review plan (optionally with edited text) the only plan builds see; returns its path."""
    src = data.parent / "plan-src" / f"{SLUG}.txt"
    src.parent.mkdir(exist_ok=True)
    src.write_text(text if text is not None else MINI.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr("kb.paths.DEFAULT_PLAN", src)
    return src


def build_mini(monkeypatch: pytest.MonkeyPatch, data: Path, text: str | None = None) -> Path:
    """Build the review plan into the test's data directory; returns the plan source path."""
    from kb.build import build

    src = use_mini(monkeypatch, data, text)
    build()
    return src


def mini_over(build_root: Path, monkeypatch: pytest.MonkeyPatch, data: Path) -> Path:
    """The review plan's session build (build_root) live in the test's data dir, as build_mini would leave it.

    Rebuilds in the test (build()) write into the test's own data dir; the session's build stays untouched.
    """
    from kb_helpers import link_build

    src = use_mini(monkeypatch, data)
    link_build(build_root, data)
    return src


def item(local: str) -> dict:
    """One item of the live KB in the export shape (reviewed state)."""
    from kb.reviews import reviewed_item

    return reviewed_item(iid(local))


def depts(local: str) -> set[tuple[str, str, str]]:
    """(name, role, source) of an item's departments in the live KB."""
    return {(d["name"], d["role"], d["source"]) for d in item(local)["departments"]}
