"""Text rendering helpers: repair/evidence marks over an item's text, and the plan reader's safe Markdown."""

from __future__ import annotations

import pytest

from webapp.reader import _render, md_escape
from webapp.textmarks import marked_text


def _item(raw: str, text: str, offset: int = 100, clauses=None, departments=None, indicators=None) -> dict:
    return {
        "plan": "p",
        "raw_text": raw,
        "text": text,
        "raw_span": [offset, offset + len(raw)],
        "clauses": clauses or [],
        "departments": departments or [],
        "indicators": indicators or [],
    }


def _rep(start: int, end: int, before: str, after: str, applied: bool = True, rid: str = "r1") -> dict:
    return {
        "id": rid,
        "plan": "p",
        "start": start,
        "end": end,
        "before": before,
        "after": after,
        "rule": "t",
        "kind": "dropped_char",
        "confidence": 0.9 if applied else 0.5,
        "applied": applied,
    }


# (raw, repaired, repairs (raw offsets from 100), expected runs as (text, repair after | None, deleted))
CASES = [
    ("提危重", "提高危重", [_rep(101, 101, "", "高")], [("提", None, ""), ("高", "高", ""), ("危重", None, "")]),
    (
        "甲乙丙",
        "甲丁丙",
        [_rep(101, 102, "乙", "丁")],
        [("甲", None, ""), ("", None, "乙"), ("丁", "丁", ""), ("丙", None, "")],
    ),
    ("甲乙丙", "甲丙", [_rep(101, 102, "乙", "")], [("甲", None, ""), ("", None, "乙"), ("丙", None, "")]),
    ("无修复", "无修复", [], [("无修复", None, "")]),
    ("别的规划", "别的规划", [{**_rep(101, 101, "", "X"), "plan": "other"}], [("别的规划", None, "")]),
]


@pytest.mark.parametrize("raw,text,repairs,expected", CASES)
def test_marked_runs(raw, text, repairs, expected):
    runs = marked_text(_item(raw, text), repairs)["runs"]
    got = [(r["text"], r["repair"]["after"] if r["repair"] and r["text"] else None, r["deleted"]) for r in runs]
    assert got == expected
    assert "".join(r["text"] for r in runs) == text


def test_suggestion_is_marked_but_not_applied():
    runs = marked_text(_item("提危重", "提危重"), [_rep(101, 101, "", "高", applied=False)])["runs"]
    assert "".join(r["text"] for r in runs) == "提危重"
    assert any(r["suggest"] and r["suggest"]["after"] == "高" and r["text"] == "" for r in runs)


def test_replay_mismatch_falls_back_to_plain_text():
    """If the stored text is not the replay of raw + repairs, the text is shown unmarked rather than wrong."""
    runs = marked_text(_item("提危重", "完全不同"), [_rep(101, 101, "", "高")])["runs"]
    assert "".join(r["text"] for r in runs) == "完全不同" and not any(r["repair"] for r in runs)


def test_evidence_and_targets_and_clauses():
    item = _item(
        "由民政部门负责,覆盖率达到90%",
        "由民政部门负责,覆盖率达到90%",
        clauses=[
            {"id": "c1", "index": 1, "start": 0, "end": 8, "departments": []},
            {"id": "c2", "index": 2, "start": 8, "end": 16, "departments": []},
        ],
        departments=[
            {
                "name": "市民政局",
                "role": "lead",
                "evidence": [
                    {"text": "民政部门", "start": 1, "end": 5, "rule": "x"},
                    {"text": "", "start": 0, "end": 0},
                ],
            }
        ],
        indicators=[{"span": [8, 16]}],
    )
    m = marked_text(item, [])
    ev = [r for r in m["runs"] if r["evidence"]]
    assert [(r["text"], r["evidence"]) for r in ev] == [("民政部门", ["市民政局"])]
    assert [r["text"] for r in m["runs"] if r["target"]] == ["覆盖率达到90%"]
    assert ["".join(r["text"] for r in c["runs"]) for c in m["clauses"]] == ["由民政部门负责,", "覆盖率达到90%"]


@pytest.mark.parametrize(
    "text,forbidden",
    [
        ("<script>alert(1)</script>", "<script"),
        ("<img src=x onerror=alert(1)>", "<img"),
        ("[点我](javascript:alert(1))", "href"),
        ("**粗体** _斜体_ # 标题", "<strong>"),
        ("1. 不是列表", "<ol"),
    ],
)
def test_reader_escapes_plan_text(text, forbidden):
    html = _render(md_escape(text))
    assert forbidden not in html
    assert html.startswith("<p>")


def test_reader_sanitiser_removes_markup_even_if_unescaped():
    html = _render('<p onclick="x()">a</p><script>bad()</script><a href="javascript:x">l</a>')
    assert "onclick" not in html and "<script" not in html and "javascript:" not in html
