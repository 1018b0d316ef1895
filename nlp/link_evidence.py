"""Link evidence in words: what ties a measure to a goal (shared terms, topics, indicators) and how strongly.

It reads the `why` that nlp.links writes (its own format, parsed here beside the prefixes it uses) and the link
score nlp.links computed; it scores nothing itself. Words come from nlp/data/link_evidence.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nlp.lang import read_json
from nlp.links import BACKFILL_MARK, PREFIX_LABELS, WHY_SEP, topic_names

WORDS_FILE = "link_evidence.json"
_KIND_OF_LABEL = {v: k for k, v in PREFIX_LABELS.items() if v}  # 主题 → '#'
_FIELD = {"#": "topics", "@": "indicators", "^": "groups"}


@dataclass(frozen=True)
class Evidence:
    """The parts of a link's `why`: plain shared words, shared topics, indicators and target groups."""

    terms: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    backfill: bool = False
    extra: tuple[str, ...] = field(default=())  # pieces that are not evidence tokens (a reviewer's reason)

    @property
    def empty(self) -> bool:
        return not (self.terms or self.topics or self.indicators or self.groups)


def words() -> dict[str, Any]:
    """The wording data (read once)."""
    return read_json(WORDS_FILE)


def parse(why: str | None) -> Evidence:
    """Split a link's `why` (如 “口腔、主题口腔、指标龋患率(补充)”) into its kinds of evidence."""
    text = (why or "").strip()
    backfill = text.endswith(BACKFILL_MARK)
    if backfill:
        text = text[: -len(BACKFILL_MARK)]
    parts: dict[str, list[str]] = {"terms": [], "topics": [], "indicators": [], "groups": []}
    topics = topic_names()
    for piece in filter(None, (p.strip() for p in text.split(WHY_SEP))):
        kind = next((k for lab, k in _KIND_OF_LABEL.items() if piece.startswith(lab) and len(piece) > len(lab)), "")
        rest = piece[len(PREFIX_LABELS[kind]) :] if kind else piece
        if kind == "#" and rest not in topics:  # 主题教育 is a plain word, not the topic 教育
            kind, rest = "", piece
        parts[_FIELD.get(kind, "terms")].append(rest)
    terms = list(dict.fromkeys(parts["terms"]))  # a word inside a longer shared word adds nothing (older builds)
    parts["terms"] = [t for t in terms if not any(t != o and t in o for o in terms)]
    return Evidence(**{k: tuple(dict.fromkeys(v)) for k, v in parts.items()}, backfill=backfill)


def strength(score: float | None, ev: Evidence, reviewed: bool = False) -> str:
    """strong | moderate | weak | reviewed: by the link score, a shared indicator counting as strong
    (nlp.links weighs the same measured quantity highest) and a backfilled link as weak."""
    if reviewed:
        return "reviewed"
    w = words()
    s = score or 0.0
    if ev.empty or ev.backfill or s < w["weak_score"]:
        return "weak"
    if ev.indicators or s >= w["strong_score"]:
        return "strong"
    return "moderate"


def _quoted(xs: tuple[str, ...] | list[str]) -> str:
    return "".join(f"“{x}”" for x in xs)


def tied_indicators(ev: Evidence, goal_indicators: list[str]) -> list[str]:
    """The goal's indicators whose name holds a shared word or indicator (近视 → 儿童青少年总体近视率)."""
    keys = [k for k in ev.terms + ev.indicators if len(k) > 1]
    return [name for name in dict.fromkeys(goal_indicators) if any(k in name for k in keys)]


def describe(
    why: str | None,
    score: float | None,
    *,
    cross_domain: bool = False,
    reviewed: bool = False,
    added: bool = False,
    review_reason: str | None = None,
    goal_indicators: list[str] | None = None,
) -> dict[str, Any]:
    """A link's evidence for people: strength code and label, the parts, and one sentence in Chinese.
    `added`: a reviewer made the link (its why is the reviewer's reason, not evidence)."""
    w = words()
    ev = Evidence(extra=(why or "",)) if added else parse(why)
    ties = tied_indicators(ev, goal_indicators or [])
    code = strength(score, ev, reviewed)
    pieces = [f"{w['parts'][k]}{_quoted(getattr(ev, k))}" for k in ("terms", "topics", "indicators", "groups")]
    pieces = [p for p, k in zip(pieces, ("terms", "topics", "indicators", "groups"), strict=True) if getattr(ev, k)]
    if ties:
        pieces.append(f"{w['parts']['goal_indicators']}{_quoted(ties)}")
    if ev.empty:
        pieces.append(w["reviewed_added"] if added else w["none"])
    if added and review_reason:
        pieces.append(f"{w['reviewed_reason']}:{review_reason}")
    if ev.backfill:
        pieces.append(w["backfill"])
    if cross_domain:
        pieces.append(w["cross_domain"])
    head = w["strength"][code]
    score_text = f"{w['score']} {score:.2f}" if score is not None and not added else ""
    if score_text:
        head += f"({score_text})"
    detail = ";".join(pieces) + "。"
    return {
        "strength": code,
        "strength_label": w["strength"][code],
        "terms": list(ev.terms),
        "topics": list(ev.topics),
        "indicators": list(ev.indicators),
        "groups": list(ev.groups),
        "goal_indicators": ties,
        "shared": not ev.empty,
        "backfill": ev.backfill,
        "detail": detail,
        "score_text": score_text,
        "text": f"{head}:{detail}",
    }
