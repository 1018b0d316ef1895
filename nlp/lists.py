"""Numbered lists with no 主要目标/策略措施 heading (an excerpt that starts mid-domain): kept, classified, warned.

A mixin of the segmentation parser. The list's kind comes from its first title when the vocabulary says
(structure.tsv level "list": …原则 → principle), else from its items at the end: goals are short statements of
targets, measures titled paragraphs of tasks.
"""

from __future__ import annotations

import re

from nlp.headings import meaning

HEADLESS_MEASURE_LEN = 60  # median item length above which a headless numbered list holds measures


class HeadlessLists:
    """Open, fill and settle headless lists (uses the parser's block, domain, expected, warnings and headless)."""

    block: str | None
    block_kind: str | None
    domain: str | None
    expected: dict[str, int]
    warnings: list[str]
    headless: list[list]
    headless_warnings: list[int]  # index in warnings of each run's warning

    def open_headless(self, line, body: str) -> str:
        """A numbered list with no 主要目标/策略措施 heading: kept, its kind decided from its items at the end."""
        title = re.split(r"[。;,]", body, maxsplit=1)[0]
        cue = meaning("list", title)
        self.block, self.block_kind = None, cue or "goal"
        self.expected[self.block_kind] = 1
        self.headless.append([])
        where = f"「{self.domain}」下" if self.domain else "没有领域标题,"
        self.warnings.append(f"第 {line.no} 行起: {where}编号条目前没有「主要目标」或「策略措施」标题,按内容归类")
        self.headless_warnings.append(len(self.warnings) - 1)
        return self.block_kind

    def settle_headless(self) -> None:
        """Goals are short statements of targets; measures are titled paragraphs of tasks."""
        for run, n in zip(self.headless, self.headless_warnings, strict=True):
            if run and run[0].kind == "principle":
                self.warnings[n] += f"为基本原则({len(run)} 条)"
            if not run or run[0].kind not in ("goal", "measure"):
                continue
            lengths = sorted(sum(len(ln.text) for ln in it.lines) for it in run)
            kind = "measure" if lengths[len(lengths) // 2] >= HEADLESS_MEASURE_LEN else "goal"
            for it in run:
                it.kind = kind
            label = "主要目标" if kind == "goal" else "措施"
            self.warnings[n] += f"为{label}({len(run)} 条)" + ("" if run[0].domain else ",领域留空")
