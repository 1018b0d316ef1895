"""Segmentation: raw plan lines → sections, domains, blocks and numbered items (genre-aware, data-driven)."""

from __future__ import annotations

import re

from nlp.furniture import is_furniture, is_prose
from nlp.headings import (  # noqa: F401 (vocabulary, cn_number: re-exported for callers of nlp.segment)
    BLOCK_RE,
    ITEM_RE,
    SECTION_RE,
    SUBSECTION_RE,
    compact,
    front_headings,
    is_domain_title,
    meaning,
    vocabulary,
)
from nlp.lists import HeadlessLists
from nlp.model import Heading, Repair
from nlp.numerals import cn_number, cn_numeral
from nlp.reader import PlanFormatError
from nlp.segment_headings import HeadingLevels
from nlp.segment_types import Line, RawItem, Segmentation, plan_lines
from nlp.toc import TocMixin

_PUNCT = re.compile(r"[。,;::!?]")


class _Parser(HeadingLevels, TocMixin, HeadlessLists):
    """Line-by-line state machine over the genre's heading levels."""

    def __init__(self, raw: str):
        self.raw = raw
        self.items: list[RawItem] = []
        self.headings: list[Heading] = []
        self.page_meta: list[str] = []
        self.repairs: list[Repair] = []
        self.warnings: list[str] = []
        self.section: str | None = None
        self.section_kind: str | None = None
        self.section_title: str | None = None
        self.sub_kind: str | None = None
        self.domain: str | None = None
        self.block: str | None = None
        self.block_kind: str | None = None
        self.current: RawItem | None = None
        self.expected: dict[str, int] = {}
        self.sub_count = 0
        self.section_count = 0
        self.max_section = 0
        self.toc_first: str | None = None
        self.toc_sections: list[int] = []
        self.toc_titles: list[str] = []  # entries without number or page, longest first after parsing
        self.toc_sub = 0  # subsection entries since the TOC's last section entry
        self.toc_kind: str | None = None  # what that section entry means (framework, domains …)
        self.skipped: list[Line] = []  # the current run of skipped paragraphs
        self.skipped_under: str | None = None
        self.text_after_heading = False  # any paragraph (kept or skipped) since the last heading
        self.headless: list[list[RawItem]] = []  # runs of numbered items with no block heading, kind decided later
        self.headless_warnings: list[int] = []

    # -- items ------------------------------------------------------------------------------------
    def new_item(self, kind: str, number: int | None, line: Line, title_offset: int = 0) -> RawItem:
        item = RawItem(kind, number, self.section, self.domain, self.block, [line], body_start=line.lead + title_offset)
        self.items.append(item)
        if (
            self.headless
            and self.block is None
            and kind == self.block_kind
            and kind in ("goal", "measure", "principle")
        ):
            self.headless[-1].append(item)
        self.current = item
        return item

    def item_kind(self) -> str | None:
        if self.block_kind:
            return self.block_kind
        if self.section_kind in ("implementation", "monitoring", "preface"):
            return self.section_kind
        if self.section_kind == "framework":
            return self.sub_kind
        if self.section_kind == "domains" and self.domain:
            return "measure"
        return None

    def paragraph(self, line: Line) -> None:
        self.text_after_heading = True
        kind = self.item_kind()
        if self.current is not None and kind not in ("preface",):
            self.current.lines.append(line)
            return
        if kind in ("preface", "guiding_idea", "overall_goal") or (kind and self.section_kind == "framework"):
            n = self.expected.get(kind, 1)
            self.expected[kind] = n + 1
            self.new_item(kind, n, line)
            return
        if self.section is None:
            if not is_prose(line.text):
                self.page_meta.append(line.text)  # titles, dates and captions around the plan
                return
            # Opening paragraphs without a 前言 heading are the preface.
            n = self.expected.get("preface", 1)
            self.expected["preface"] = n + 1
            self.new_item("preface", n, line)
            return
        if not self.skipped:
            self.skipped_under = self.section
        self.skipped.append(line)

    def close_skipped(self) -> None:
        """One warning per run of skipped paragraphs, saying where and under which heading."""
        if not self.skipped:
            return
        first, last = self.skipped[0], self.skipped[-1]
        where = f"第 {first.no} 行" if first is last else f"第 {first.no}–{last.no} 行"
        under = f"「{self.skipped_under}」下" if self.skipped_under else "正文前"
        self.warnings.append(f"{where}: 跳过{under}未归属任何条目的 {len(self.skipped)} 段文字: {first.text[:30]}")
        self.skipped = []

    # -- dispatch ---------------------------------------------------------------------------------
    def feed(self, line: Line) -> None:
        skipped = len(self.skipped)
        self.dispatch(line)
        if len(self.skipped) == skipped:
            self.close_skipped()

    def dispatch(self, line: Line) -> None:
        t = line.text
        if is_furniture(t):
            self.page_meta.append(t)
            return
        c = compact(t)
        if len(c) <= 3 and meaning("section", c) is None and self.section_kind in (None, "toc"):
            for name in front_headings():  # a front heading that lost its first character (" 言")
                if name.endswith(c) and c != name:
                    self.repair_number(line, "", name[: len(name) - len(c)], "front_heading")
                    t = c = name
        if self.toc_line(t, line):
            return
        m = SECTION_RE.match(t)
        if m and len(t) <= 40 and "。" not in t[:-1]:
            self.on_section(line, cn_number(m.group(1) or m.group(2)), m.group(3))
            return
        if meaning("section", c) in ("preface", "toc") and len(c) <= 4:
            self.section, self.section_kind, self.section_title = c, meaning("section", c), c
            self.section_count = 0
            if self.section_kind == "preface":
                self.heading(line, 1, c, "section")
            return
        m = SUBSECTION_RE.match(t)
        in_section = self.section_kind not in (None, "preface") or (m and is_domain_title(m.group(5)))
        if m and in_section and not ITEM_RE.match(t):
            self.subsection_line(line, m)
            return
        if self.section_kind == "framework" and meaning("subsection", t) and len(t) <= 12:
            n = self.sub_count + 1
            self.repair_number(line, "", f"({cn_numeral(n)})", "heading_number")
            self.on_subsection(line, n, t)
            return
        if self.section_kind in ("domains", None) and self.block_line(line):
            return
        bare = meaning("section", c)
        if bare in ("framework", "domains") and bare != self.section_kind and len(c) <= 16 and not _PUNCT.search(c):
            self.on_bare_section(line, c)
            return
        m = ITEM_RE.match(t)
        kind = self.item_kind()
        if m and kind is None and self.section_kind in (None, "domains"):
            kind = self.open_headless(line, t[len(t) - len(m.group(5)) :])
        if m and kind and kind not in ("guiding_idea", "overall_goal", "preface"):
            number = int(next(g for g in m.groups()[:3] if g) if any(m.groups()[:3]) else ord(m.group(4)) - 0x245F)
            expected = self.expected.get(kind, 1)
            glued = re.match(r"^\d{1,2}[.、]\d", t)  # "3.5岁以下…": item 3 whose body starts with a figure
            if not glued or number == expected:
                if number != expected:
                    self.warnings.append(f"第 {line.no} 行: 编号 {number} 与预期 {expected} 不符")
                self.expected[kind] = number + 1
                self.new_item(kind, number, line, title_offset=len(t) - len(m.group(5)))
                return
        self.paragraph(line)

    def block_line(self, line: Line) -> bool:
        """A block heading; its first item may follow on the same line ("1.主要目标。(1)…")."""
        t = line.text
        m = BLOCK_RE.match(t)
        kind = meaning("block", m.group(1)) if m else None
        rest = t[m.end() :] if m else ""
        if m is None or not kind or (rest and not ITEM_RE.match(rest)):
            return False
        self.on_block(line, kind, m.group(1))
        if rest:
            self.dispatch(Line(line.no, line.start, line.end, rest, line.lead + m.end()))
        return True

    def subsection_line(self, line: Line, m: re.Match) -> None:
        t = line.text
        numeral = m.group(1) or m.group(2) or m.group(3) or m.group(4)
        title = m.group(5)
        expected = self.sub_count + 1
        if numeral:
            number = cn_number(numeral)
            if not m.group(1) and not m.group(4):
                before = t[: len(t) - len(title)].rstrip()
                fixed = f"({numeral})"
                self.repair_number(line, before, fixed, "heading_bracket")
        else:
            number = expected
            self.repair_number(line, ")", f"({cn_numeral(number)})", "heading_number")
        if number != expected:
            self.warnings.append(
                f"第 {line.no} 行: 小节编号 ({cn_numeral(number)}) 与预期 ({cn_numeral(expected)}) 不符"
            )
        self.on_subsection(line, number, title)


def segment(raw: str) -> Segmentation:
    """Split a plan's raw text into items and headings; refuse text with no, or truncated, structure."""
    parser = _Parser(raw)
    lines = plan_lines(raw)
    for line in lines:
        parser.feed(line)
    parser.close_skipped()
    parser.settle_headless()
    parser.title_hints()
    # A bare number with nothing after it (a paste that lost its text) is not an item.
    parser.items = [i for i in parser.items if raw[i.body_start : i.lines[-1].end].strip()]
    last = lines[-1].no if lines else 1
    if not parser.items:
        raise PlanFormatError(
            "读到文件末尾仍未识别出规划结构(没有找到章节标题和编号条目) (no recognisable plan structure)", last
        )
    sections = [h for h in parser.headings if h.level == 1]
    if not any(i.kind in ("goal", "measure") for i in parser.items) and len(sections) < 2:
        where = parser.items[-1].lines[-1].no
        raise PlanFormatError("只找到零散段落,没有主要目标或措施 (no goals or measures found)", where)
    _check_complete(parser, last)
    return Segmentation(parser.items, parser.headings, parser.page_meta, parser.repairs, parser.warnings)


def _check_complete(parser: _Parser, last: int) -> None:
    """Refuse a truncated plan: trailing headings with nothing under them, or sections its TOC promised."""
    last_item_line = parser.items[-1].lines[0].no
    trailing = [h for h in parser.headings if h.line > last_item_line]
    if trailing and not parser.text_after_heading:
        h = trailing[0]
        raise PlanFormatError(
            f"文件在此结束,但第 {h.line} 行的「{h.text}」之后没有任何条目,文件似乎被截断 (truncated after a heading)",
            last,
        )
    if parser.toc_sections and max(parser.toc_sections) > parser.max_section:
        want = max(parser.toc_sections)
        raise PlanFormatError(
            f"目录列到第{cn_numeral(want)}部分,正文只到第{cn_numeral(parser.max_section)}部分,"
            f"文件似乎被截断 (truncated: sections listed in the TOC are missing)",
            last,
        )
