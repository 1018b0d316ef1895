"""An item's repaired text cut into runs that carry their marks: repairs, suggestions, evidence, targets."""

from __future__ import annotations

from typing import Any

from kb.labels import REPAIR_KIND, repair_confidence_label, repair_rule_label


def _repair_info(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "rule": r["rule"],
        "rule_label": repair_rule_label(r["rule"]),
        "kind": r["kind"],
        "kind_label": REPAIR_KIND.get(r["kind"], r["kind"]),
        "before": r["before"],
        "after": r["after"],
        "confidence": r["confidence"],
        "confidence_label": repair_confidence_label(r["confidence"]),
        "applied": r["applied"],
    }


def _rebuild(item: dict[str, Any], repairs: list[dict[str, Any]]):
    """Replay the applied repairs on the raw text: per-char repair ids, point markers, raw→repaired offsets."""
    start, end = item["raw_span"]
    raw = item["raw_text"]
    mine = sorted(
        (r for r in repairs if r["plan"] == item["plan"] and start <= r["start"] and r["end"] <= end),
        key=lambda r: (r["start"], r["end"]),
    )
    text, origin, markers = [], [], {}
    rawmap = {}
    pos = start
    for r in (r for r in mine if r["applied"]):
        if r["start"] < pos:
            continue  # overlapping edits cannot both be shown; the first one wins
        for k in range(pos, r["start"]):
            rawmap[k] = len(text)
            text.append(raw[k - start])
            origin.append(None)
        if r["before"]:
            markers.setdefault(len(text), []).append({"deleted": r["before"], "repair": _repair_info(r)})
        for ch in r["after"]:
            text.append(ch)
            origin.append(r["id"])
        pos = r["end"]
    for k in range(pos, end):
        rawmap[k] = len(text)
        text.append(raw[k - start])
        origin.append(None)
    rawmap[end] = len(text)
    infos = {r["id"]: _repair_info(r) for r in mine}
    suggest = [None] * len(text)
    for r in (r for r in mine if not r["applied"]):
        a, b = rawmap.get(r["start"]), rawmap.get(r["end"])
        if a is None or b is None:
            continue
        if b > a:
            for k in range(a, b):
                suggest[k] = r["id"]
        else:
            markers.setdefault(a, []).append({"suggest": _repair_info(r)})
    return "".join(text), origin, suggest, markers, infos


def _marks(item: dict[str, Any], n: int) -> tuple[list[tuple[str, ...]], list[bool]]:
    """Per character: departments whose evidence covers it; whether an indicator phrase covers it."""
    ev: list[set[str]] = [set() for _ in range(n)]
    for d in item["departments"]:
        for e in d.get("evidence") or []:
            if e.get("text") and 0 <= e["start"] < e["end"] <= n:
                for k in range(e["start"], e["end"]):
                    ev[k].add(d["name"])
    target = [False] * n
    for ind in item.get("indicators") or []:
        a, b = (ind.get("span") or [0, 0])[:2]
        for k in range(max(0, a), min(n, b)):
            target[k] = True
    return [tuple(sorted(s)) for s in ev], target


def marked_text(item: dict[str, Any], repairs: list[dict[str, Any]]) -> dict[str, Any]:
    """{"runs": [...], "clauses": [{"id", "index", "departments", "runs"}], "repairs": [...]} for an item.

    A run is {"text", "repair", "suggest", "evidence", "target", "deleted"?}: "repair" is the applied repair
    that inserted this text, "suggest" a reviewer-only suggestion, "evidence" the departments whose evidence
    phrase this is. Falls back to unmarked text if the replay does not reproduce the stored text.
    """
    text, origin, suggest, markers, infos = _rebuild(item, repairs)
    if text != item["text"]:
        text, n = item["text"], len(item["text"])
        origin, suggest, markers, infos = [None] * n, [None] * n, {}, {}
    evidence, target = _marks(item, len(text))

    def runs(lo: int, hi: int, last: bool) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for k in range(lo, hi + (1 if last else 0)):
            for m in markers.get(k, []):
                out.append(
                    {
                        "text": "",
                        "repair": m.get("repair"),
                        "suggest": m.get("suggest"),
                        "evidence": [],
                        "target": False,
                        "deleted": m.get("deleted", ""),
                    }
                )
            if k >= hi:
                break
            key = (origin[k], suggest[k], evidence[k], target[k])
            prev = out[-1] if out else None
            if prev is not None and not prev.get("deleted") and prev["text"] and prev["_key"] == key:
                prev["text"] += text[k]
                continue
            out.append(
                {
                    "text": text[k],
                    "repair": infos.get(origin[k]) if origin[k] else None,
                    "suggest": infos.get(suggest[k]) if suggest[k] else None,
                    "evidence": list(evidence[k]),
                    "target": target[k],
                    "deleted": "",
                    "_key": key,
                }
            )
        for r in out:
            r.pop("_key", None)
        return out

    clauses = []
    for i, c in enumerate(item["clauses"]):
        last = i == len(item["clauses"]) - 1
        clauses.append(
            {
                "id": c["id"],
                "index": c["index"],
                "departments": c["departments"],
                "runs": runs(c["start"], c["end"], last),
            }
        )
    return {
        "runs": runs(0, len(text), True),
        "clauses": clauses,
        "repairs": sorted(infos.values(), key=lambda r: not r["applied"]),
    }
