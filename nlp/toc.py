"""Tables of contents: entries with page numbers (or a run of short entries under 目录) and the titles they give.

A mixin of the segmentation parser: it records the sections the TOC promises (so a truncated file is refused)
and the entry titles (so an item whose heading lost its stop gets the title the TOC names). An entry that lost
its brackets or number gets them back the way a body heading does (a visible repair): the TOC numbers its
subsection entries in sequence under each section entry.
"""

from __future__ import annotations

import re

from nlp.headings import SECTION_RE, SUBSECTION_RE, compact, meaning
from nlp.numerals import cn_number, cn_numeral

TOC_TAIL = re.compile(r"(?:\s|[.…·]{2,})\s*\d{1,3}$")


def is_toc_line(text: str) -> bool:
    """A line ending in a page number (or only a page number)."""
    return bool(TOC_TAIL.search(text)) or text.isdigit()


class TocMixin:
    """Table-of-contents handling for the parser (uses its section_kind, items and toc_* fields)."""

    section_kind: str | None
    toc_first: str | None
    toc_sections: list[int]
    toc_titles: list[str]
    toc_sub: int
    toc_kind: str | None
    items: list

    def repair_number(self, line, before: str, after: str, rule: str) -> None: ...

    def toc_line(self, t: str, line=None) -> bool:
        """True when t belongs to the table of contents (and is recorded), False when the TOC has ended."""
        if self.section_kind != "toc":
            if len(t) < 60 and is_toc_line(t):  # a TOC without its 目录 heading: page numbers give it away
                self.toc_entry(t, line)
                return True
            return False
        if is_toc_line(t):
            self.toc_entry(t, line)
            return True
        c = compact(t)
        # Entries without page numbers run on until the text repeats the first entry or a preface starts.
        if c == self.toc_first or meaning("section", c) == "preface" or len(t) > 40 or "。" in t[:-1]:
            self.section_kind = None
            return False
        self.toc_entry(t, line)
        return True

    def toc_entry(self, t: str, line=None) -> None:
        entry = TOC_TAIL.sub("", t).strip(" .…·")
        if not entry or entry.isdigit():
            return
        if self.toc_first is None:
            self.toc_first = compact(entry)
        m = SECTION_RE.match(entry)
        if m:
            self.toc_sections.append(cn_number(m.group(1) or m.group(2)))
            self.toc_sub, self.toc_kind = 0, meaning("section", m.group(3))
        m = SUBSECTION_RE.match(entry)
        if line is not None and not SECTION_RE.match(entry):
            self.toc_number(line, entry, m)
        title = compact(m.group(5) if m else entry)
        if len(title) >= 4:
            self.toc_titles.append(title)

    def toc_number(self, line, entry: str, m: re.Match | None) -> None:
        """A subsection entry's number in sequence; one that lost its brackets or number gets them back."""
        due = self.toc_sub + 1
        if m and (m.group(1) or m.group(4)):
            self.toc_sub = cn_number(m.group(1) or m.group(4))
        elif m and (m.group(2) or m.group(3)):  # 二)加强… or (二加强…: the brackets around the numeral
            numeral = m.group(2) or m.group(3)
            self.repair_number(line, entry[: len(entry) - len(m.group(5))].rstrip(), f"({numeral})", "heading_bracket")
            self.toc_sub = cn_number(numeral)
        elif m:  # )加大保障力度: the numeral is the one due in the sequence
            self.repair_number(line, ")", f"({cn_numeral(due)})", "heading_number")
            self.toc_sub = due
        elif self.toc_kind == "framework" and meaning("subsection", entry) and len(entry) <= 12:
            self.repair_number(line, "", f"({cn_numeral(due)})", "heading_number")  # 指导思想 under 一、指导思想…
            self.toc_sub = due

    def title_hints(self) -> None:
        """Items whose text starts with a TOC entry take that entry as their title (注重工作创新|贯彻…)."""
        titles = sorted(set(self.toc_titles), key=len, reverse=True)
        for item in self.items:
            first = item.lines[0]
            head = first.text[item.body_start - first.lead :]
            item.title_hint = next((t for t in titles if head.startswith(t) and len(head) > len(t)), None)
