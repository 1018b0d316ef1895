"""Leads for a text the ranking leaves unled: a reading of the bodies' published functions, then its weak words."""

from __future__ import annotations

from nlp.model import Assignment
from nlp.scoring import NO_LEAD, Hit, assignment, tally

# where nothing in the text leads, the body whose published functions the text reads like most leads (flagged for
# review, confidence below scoring.REVIEW_BELOW) once its summed mandate support reaches this: a text no lexicon word
# reads (固定资产投资增长, 低保标准, 家政服务) is still a body's published work. Chosen leave-one-fold-out over the
# domains of both gold sets and the tables' sources (bench/convention_cv.py --grid mandate_lead: 0.25 in 23 of 24
# folds once the mandates named their sources, 0.2 and 0.15 tying; the dev folds tie, no dev item lacks a lead);
# below it single coincidences of wording lead (领域 -> 市商务局)
MANDATE_LEAD_MIN = 0.25
# …and only where the text names no body and no lexicon word but benefit words (True): a body the text points at,
# however weakly, is the text's reading, and a reading of functions does not overrule it (the item goes to review)
MANDATE_LEAD_GATE = True
# where the text's words point at a body, but too weakly to list it (教育资源 → 市教育局, 生态文明 → 市生态环境局),
# and nothing else leads, the body those words point at most leads, at the mandate lead's confidence (flagged for
# review): the gate above makes such words the text's reading, so they, not a guess, decide. Chosen
# leave-one-fold-out (bench/convention_cv.py --grid weak_lead)
WEAK_LEAD = True
MANDATE_LEAD_CONFIDENCE = 0.45  # below scoring.REVIEW_BELOW: such an item is always flagged for review


def mandate_lead(
    ranked: list[Assignment], found: list[Hit], clause_ids: dict[int, str] | None, hits: list[Hit]
) -> list[Assignment]:
    """The ranked tags, led by the best mandate match where no text signal leads (its evidence: the shared words)."""
    if any(a.role == "lead" for a in ranked) or not found:
        return ranked
    # a benefit or group word names no owner (scoring.NO_LEAD): a text read by those alone is still read by mandates
    if MANDATE_LEAD_GATE and any(not h.rule.startswith("mandate:") and h.role not in NO_LEAD for h in hits):
        return ranked
    t = tally(found)
    best = max(t, key=lambda d: (t[d].mandate, -t[d].first))
    if t[best].mandate < MANDATE_LEAD_MIN:
        return ranked
    lead = assignment(best, t[best], "lead", clause_ids)
    lead.confidence = min(lead.confidence, MANDATE_LEAD_CONFIDENCE)  # a reading of functions, never a firm tag
    return [lead] + [a for a in ranked if a.name != best]


def weak_lead(
    ranked: list[Assignment], hits: list[Hit], cited: list[tuple[int, int]], clause_ids: dict[int, str] | None
) -> list[Assignment]:
    """Where still nothing leads, the body the text's own words point at most leads, flagged (its words the evidence);
    a word inside a cited title (《…发展规划》) is a reference, not the task, and a benefit or group word names no
    owner."""
    if not WEAK_LEAD or any(a.role == "lead" for a in ranked):
        return ranked
    words = [
        h
        for h in hits
        if h.text
        and not h.rule.startswith(("mandate:", "prior:"))
        and h.role not in NO_LEAD
        and not any(s <= h.start < e for s, e in cited)
    ]
    if not words:
        return ranked
    t = tally(words)
    best = max(t, key=lambda d: (t[d].lead, t[d].total, -t[d].first))
    lead = assignment(best, t[best], "lead", clause_ids)
    lead.confidence = min(lead.confidence, MANDATE_LEAD_CONFIDENCE)  # weak words: a reading to confirm, never firm
    return [lead] + [a for a in ranked if a.name != best]
