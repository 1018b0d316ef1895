"""Reviewers' Markdown notes → safe HTML, rendered once when a note is written (never per view)."""

from __future__ import annotations

import html
import threading
from functools import lru_cache

NOTE_MAX = 10_000  # characters a note may hold; the renderer's worst case at this size is well under a second
URL_SCHEMES = {"http", "https", "mailto"}
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _markdown():
    """markdown-it-py (CommonMark, linear-time parser) with GFM tables and strikethrough."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(["table", "strikethrough"])
    # Every link becomes an <a>; nh3 then drops any href whose scheme is not allowed (one rule, in one place),
    # instead of markdown-it leaving "[x](javascript:…)" as literal text.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


def plain(text: str, limit: int = NOTE_MAX) -> str:
    """User text as escaped HTML paragraphs, cut at limit: the guard for text that is not rendered."""
    cut = text[:limit] + ("…" if len(text) > limit else "")
    return "".join(f"<p>{html.escape(p)}</p>" for p in cut.split("\n\n") if p.strip())


def render_note(md: str) -> str:
    """Markdown → sanitised HTML (nh3 removes scripts, event handlers, javascript:/data: links).

    Text longer than NOTE_MAX (only possible for rows written before the cap, or imported) is shown as plain
    escaped text instead of being parsed, so no stored note can make a page slow.
    """
    import nh3

    md = md or ""
    if len(md) > NOTE_MAX:
        return plain(md)
    with _lock:  # MarkdownIt instances keep parser state; one render at a time per process
        out = _markdown().render(md)
    return nh3.clean(out, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer")


def check_note(body: str) -> str:
    """The note's Markdown, or ValueError when it is empty or longer than NOTE_MAX."""
    if not (body or "").strip():
        raise ValueError("备注不能为空")
    if len(body) > NOTE_MAX:
        raise ValueError(f"备注最长 {NOTE_MAX} 字(现有 {len(body)} 字)")
    return body
