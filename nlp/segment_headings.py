"""Heading levels of a plan (sections, subsections, domains, blocks) as the segmentation parser meets them.

A mixin of the parser (nlp/segment.py): each handler records the heading, sets the section, domain and block the
following items belong to, and restarts item numbering where the genre does.
"""

from __future__ import annotations

from collections.abc import Callable

from nlp.headings import _SINGLE_CONCEPT, _TRAIL, after_heading_word, is_domain_title, meaning
from nlp.model import Heading, Repair
from nlp.segment_types import Line, RawItem


class HeadingLevels:
    """Section, subsection and block handlers (use the parser's heading state, items and repairs)."""

    raw: str
    headings: list[Heading]
    repairs: list[Repair]
    warnings: list[str]
    section: str | None
    section_kind: str | None
    section_title: str | None
    sub_kind: str | None
    domain: str | None
    block: str | None
    block_kind: str | None
    current: RawItem | None
    expected: dict[str, int]
    sub_count: int
    section_count: int
    max_section: int
    text_after_heading: bool
    new_item: Callable[..., RawItem]

    def heading(self, line: Line, level: int, text: str, kind: str) -> None:
        self.headings.append(Heading(level, text, self.raw[line.lead : line.end].strip(), line.no, kind))
        self.current = None
        self.text_after_heading = False

    def repair_number(self, line: Line, before: str, after: str, rule: str) -> None:
        """A heading that lost its brackets or number gets them back (visible, reviewable)."""
        from nlp.repair import make_repair

        self.repairs.append(
            make_repair(self.raw, line.lead, line.lead + len(before), after, rule, "missing_bracket", 0.9)
        )

    def reset_numbering(self) -> None:
        """Item numbers restart under every section and domain (the preface keeps counting paragraphs)."""
        self.expected = {k: v for k, v in self.expected.items() if k == "preface"}

    def on_section(self, line: Line, number: int, title: str) -> None:
        title = _TRAIL.sub("", title)
        self.section_count = number
        self.max_section = max(self.max_section, number)
        self.section, self.section_title = line.text, title
        self.section_kind = meaning("section", title)
        self.domain = self.block = self.block_kind = None
        self.sub_count = 0  # each section numbers its (一)(二) afresh, a domain section too
        if self.section_kind is None and is_domain_title(title):
            self.domain = title  # 一、儿童与健康 without a 发展领域 section above it
            self.section_kind = "domains"
            self.reset_numbering()
            self.heading(line, 1, line.text, "domain")
            return
        # A framework section about one thing ("二、总体目标") holds that kind's text directly.
        single = meaning("subsection", title) if _SINGLE_CONCEPT.match(title) else None
        self.sub_kind = single if self.section_kind == "framework" else None
        self.reset_numbering()
        self.heading(line, 1, line.text, "section")

    def on_bare_section(self, line: Line, title: str) -> None:
        """An unnumbered section heading (总目标, 主要目标与策略措施): a section without a number."""
        self.section, self.section_title = line.text, title
        self.section_kind = meaning("section", title)
        self.domain = self.block = self.block_kind = None
        single = meaning("subsection", title) if _SINGLE_CONCEPT.match(title) else None
        self.sub_kind = single if self.section_kind == "framework" else None
        self.sub_count = 0
        self.reset_numbering()
        self.heading(line, 1, line.text, "section")

    def on_subsection(self, line: Line, number: int, title: str) -> None:
        self.sub_count = number
        if self.section_kind in ("implementation", "monitoring"):
            item = self.new_item(self.section_kind, number, line, title_offset=len(line.text) - len(title))
            item.block = None
            return
        name = _TRAIL.sub("", title)
        block = meaning("block", name)
        if block and self.domain is not None:  # (一)主要目标。 under a domain is a block, not a subsection
            self.on_block(line, block, name)
            return
        sub = meaning("subsection", name)
        self.block = self.block_kind = None
        if (
            self.section_kind == "domains"
            or (sub is None and self.section_kind != "framework")
            or is_domain_title(name)
        ):
            self.domain = name
            self.reset_numbering()
            self.heading(line, 2, name, "domain")
        else:
            self.sub_kind = sub
            self.domain = None
            self.heading(line, 2, name, "subsection")
            text_after = after_heading_word("subsection", title)
            if text_after and sub:
                self.new_item(sub, 1, line, title_offset=len(line.text) - len(text_after))

    def on_block(self, line: Line, kind: str, name: str) -> None:
        if self.domain is None and self.section_title and self.section_kind is None:
            # Blocks straight under a numbered section: the section itself is the domain ("二、儿童与健康").
            self.domain = self.section_title
            if self.headings and self.headings[-1].text == self.section:
                self.headings[-1].kind = "domain"
        self.block, self.block_kind = name, kind
        self.expected[kind] = 1
        self.heading(line, 3, name, "block")
        if self.domain is None:
            self.warnings.append(f"第 {line.no} 行: 「{name}」之前没有领域标题,其下条目的领域留空")
