"""Page furniture: the web page's or document's lines around the plan text (dates, share bars, breadcrumbs)."""

from __future__ import annotations

import re
from functools import lru_cache

from nlp.lang import read_lines

PAGE_META_MAX = 80  # only short lines can be furniture
PROSE_MIN = 40  # an opening paragraph at least this long, written in sentences, is plan text (the preface)
_SENTENCE = re.compile(r"[。,;::]")


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    """One regex of every furniture cue in nlp/data/page_furniture.txt."""
    return re.compile("|".join(f"(?:{p})" for p in read_lines("page_furniture.txt")))


def is_furniture(text: str) -> bool:
    """A short line that is the page's, not the plan's (发布时间, 字体, 分享到, 当前位置 …)."""
    return len(text) <= PAGE_META_MAX and bool(_pattern().search(text))


def is_prose(text: str) -> bool:
    """A paragraph written in sentences, long enough to be plan text rather than a title or a caption."""
    return len(text) >= PROSE_MIN and bool(_SENTENCE.search(text))
