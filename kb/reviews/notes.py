"""Reviewer notes on items: Markdown rendered once when written; authors edit their own, moderators any."""

from __future__ import annotations

import secrets
import sqlite3
from typing import Any

from kb.reviews.anchoring import item_anchor
from kb.reviews.audit import ReviewError, now, transaction, write_change
from kb.reviews.core import _item, _kb, _record
from kb.reviews.markup import check_note, render_note
from kb.reviews.overlay import resolve_row
from kb.reviews.snapshot import live_universe


def _note_body(body: str) -> tuple[str, str]:
    """(Markdown, its sanitised HTML) of a note within the length cap; ReviewError otherwise."""
    try:
        return check_note(body), render_note(body)
    except ValueError as exc:
        raise ReviewError(str(exc)) from exc


def add_note(item: str, body: str, by: str, reason: str = "") -> tuple[str, int]:
    """Attach a Markdown note to an item (rendered once, here); returns (note id, audit id)."""
    body, body_html = _note_body(body)
    conn = _kb()
    it = _item(conn, item)
    key = "n" + secrets.token_hex(5)
    aid = _record(
        "note",
        it["plan"],
        it["id"],
        key,
        "note.add",
        by,
        reason,
        lambda row: {"decision": "note", "body": body, "body_html": body_html},
        item_anchor(it),
    )
    return key, aid


def _note(conn: sqlite3.Connection, note_id: str, by: str, item: str | None, moderator: bool) -> dict[str, Any]:
    """The note row a reviewer may change: their own (admins: anyone's), on the item it is said to be on."""
    row = conn.execute("SELECT * FROM reviews WHERE kind = 'note' AND target = ?", (note_id,)).fetchone()
    if row is None:
        raise ReviewError(f"找不到备注 {note_id}")
    note = dict(row)
    if item is not None and note["item"] != item:
        uni = live_universe()
        if uni is None or resolve_row(uni, note)[0] != item:
            raise ReviewError(f"备注 {note_id} 不属于条目 {item}")
    if not moderator and note["actor"] != by:
        raise ReviewError(f"只能修改自己的备注(此备注由 {note['actor']} 添加)")
    return note


def edit_note(
    note_id: str, body: str, by: str, reason: str = "", item: str | None = None, moderator: bool = False
) -> int:
    """Replace a note's Markdown (the author, or a moderator: the note stays its author's)."""
    body, body_html = _note_body(body)

    def run(conn):
        before = _note(conn, note_id, by, item, moderator)
        after = {**before, "body": body, "body_html": body_html, "reason": reason or "", "updated_at": now()}
        return write_change(conn, "note.edit", before, after, by, reason)

    return transaction(run)


def remove_note(note_id: str, by: str, reason: str = "", item: str | None = None, moderator: bool = False) -> int:
    """Delete a note (the audit log keeps it; undo brings it back); the author's or, for a moderator, any."""
    return transaction(
        lambda conn: write_change(conn, "note.remove", _note(conn, note_id, by, item, moderator), None, by, reason)
    )
