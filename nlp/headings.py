"""The genre's heading shapes (一、 (一) 第X章 1. ①) and vocabulary (nlp/data/structure.tsv): what a heading means."""

from __future__ import annotations

import re
from functools import lru_cache

from nlp.lang import read_lines
from nlp.numerals import CN_CLASS

_CN = CN_CLASS
SECTION_RE = re.compile(rf"^(?:({_CN})[、.]|第({_CN}|\d+)章)\s*(\S.*)$")
SUBSECTION_RE = re.compile(
    rf"^(?:[(]({_CN})[)]|({_CN})[)]|[(]({_CN})(?=[^)\d])|(?<![\d])[)](?=\S)|第({_CN}|\d+)节)\s*(\S.*)$"
)
ITEM_RE = re.compile(r"^(?:(\d{1,2})[.、](?![.])|[(](\d{1,2})[)]|(\d{1,2})[)]|([①-⑳]))\s*(.*)$")
_TRAIL = re.compile(r"[\s。.::;,]+$")


# A block heading ("主要目标", "2.策略措施。"), possibly followed on the same line by its first item.
# A block heading may carry its own number: "1.主要目标", "(一)主要目标", "一、策略措施".
BLOCK_RE = re.compile(rf"^(?:\d{{1,2}}[.、]\s*|[(]{_CN}[)]\s*|{_CN}、\s*)?([^\s,。::(]{{2,6}}?)\s*(?:[::。.]\s*|$)")
_SINGLE_CONCEPT = re.compile(r"^[^、和及与]+$")


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, list[tuple[re.Pattern, str]]]:
    """Heading patterns by level from nlp/data/structure.tsv."""
    vocab: dict[str, list[tuple[re.Pattern, str]]] = {}
    for line in read_lines("structure.tsv"):
        level, pattern, meaning = line.split("\t")
        vocab.setdefault(level, []).append((re.compile(pattern), meaning))
    return vocab


def is_domain_title(title: str) -> bool:
    """A heading naming a development domain (儿童与健康, 妇女与经济), with or without a 发展领域 section."""
    return meaning("domain", _TRAIL.sub("", title)) is not None


def meaning(level: str, text: str) -> str | None:
    """What a heading means (preface, domains, goal …) or None."""
    for pattern, m in vocabulary().get(level, []):
        if pattern.search(text):
            return m
    return None


def compact(text: str) -> str:
    """Text without any whitespace (headings are compared this way)."""
    return "".join(text.split())


def after_heading_word(level: str, title: str) -> str:
    """What follows the vocabulary word a heading starts with ("总体目标。到2025年…" → "到2025年…"), or ""."""
    for pattern, _m in vocabulary().get(level, []):
        m = pattern.search(title)
        if m and m.start() == 0:
            return title[m.end() :].lstrip("。.::")
    return ""


@lru_cache(maxsize=1)
def front_headings() -> tuple[str, ...]:
    """Front-matter headings (前言, 序言, 目录) from structure.tsv level "front"."""
    return tuple(line.split("\t")[1] for line in read_lines("structure.tsv") if line.startswith("front\t"))
