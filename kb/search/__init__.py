"""Full-text search over goals, measures and clauses: the API payload (filters, ranking, result rows).

How it fits together: kb.search.analysis holds the one whoosh analyzer (jieba search-mode cut with the project's
dictionary, stop words) → kb.search.writer writes the whoosh index of record at build time (item and clause
documents, fields in kb.search.schema) → kb.search.arrays derives BM25F score arrays from it on the first search
of a build → kb.search.engine sums those arrays for a query's analysed terms in one numpy pass →
kb.search.results presents.
"""

from __future__ import annotations

from typing import Any

from kb.search import results as R
from kb.search.analysis import is_word, normalise
from kb.search.engine import NO_INDEX, Engine, StaleBuild, engine
from kb.search.filters import _FALSE, _TRUE, _filters, _int
from kb.search.notices import nothing_found, partial_note, role_note
from kb.search.present import _answer, _present, _understood
from kb.search.query import ParsedQuery, SearchError, parse, refine
from kb.search.ranking import Ranked, no_facets, rank
from kb.search.warm import WARM_ARGS, WARM_FILE, warm_queries, warm_up
from kb.search.writer import build_index

__all__ = [
    "WARM_ARGS",
    "WARM_FILE",
    "SearchError",
    "build_index",
    "engine",
    "search",
    "warm_queries",
    "warm_up",
]

MAX_LIMIT, MAX_OFFSET = 100, 10_000
WEAK_COVERAGE = 0.75  # below this the best hit lacks a query word: offer a spelling suggestion
SORTS = {"relevance": "相关度", "plan": "规划顺序", "相关度": "relevance", "规划顺序": "plan"}


def search(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """Search the live build (the arguments of _search); a PostgreSQL build dropped while the query ran
    (kb.search.engine.StaleBuild) is searched again on the one live now."""
    try:
        return _search(*args, **kwargs)
    except StaleBuild:
        return _search(*args, **kwargs)


def _search(
    q: str,
    limit: int = 10,
    offset: int = 0,
    domain: str | None = None,
    kind: str | None = None,
    dept: str | None = None,
    role: str | None = None,
    plan: str | None = None,
    has_indicator: Any = None,
    sort: str | None = None,
    spell: Any = None,
) -> dict[str, Any]:
    """Search the live build; returns the API payload (raises SearchError for a bad parameter or query).

    sort: relevance (default) or plan (plan order); spell=0 searches the words as typed, without running a
    correction of a typo automatically (a did-you-mean is still offered).
    """
    limit, offset = _int(limit, "limit", 1, MAX_LIMIT), _int(offset, "offset", 0, MAX_OFFSET)
    sort = (sort or "relevance").strip().lower()
    sort = SORTS[sort] if sort in ("相关度", "规划顺序") else sort
    if sort not in SORTS:
        raise SearchError(f"未知的排序“{sort}”。可选:relevance(相关度)、plan(规划顺序)")
    spell_val = str(spell).strip().lower() if spell not in (None, "") else "1"
    if spell_val not in _TRUE | _FALSE:
        raise SearchError(f"无法理解的参数 spell“{spell}”。可用:spell=1 或 0")
    spell = spell_val in _TRUE
    pq = parse(
        q if isinstance(q, str) else "",
        {"domain": domain, "kind": kind, "dept": dept, "role": role, "plan": plan, "has": has_indicator},
    )
    snap = _snapshot()
    eng = engine(snap)
    refine(pq, eng.ix.df)
    flt, applied = _filters(eng, pq, snap)
    out: dict[str, Any] = {
        "ok": True,
        "query": pq.text,
        "total": 0,
        "offset": offset,
        "limit": limit,
        "filters": applied,
        "facets": no_facets(),
        "results": [],
        "messages": pq.messages,
        "did_you_mean": [],
        "partial": [],
        "corrected": None,
        "answer": None,
        "sort": sort,
        "understood": _understood(pq),
    }
    if pq.empty and flt is None:
        return out
    ranked = rank(eng, pq, flt, offset + limit, snap)
    if pq.concepts and _finds_little(pq, ranked):
        fixed, replaces_word, replaced = _corrected(eng, pq, ranked)
        if fixed is not None:
            pq2 = parse(fixed, _filter_args(pq))
            refine(pq2, eng.ix.df)
            # every replaced piece became a registered department's name (教育居 → 教育局, 卫建委 → 卫健委): what was
            # typed found items only through its fragments (教育 + 居), the department is what was meant
            named = {typed for _, typed, _ in pq2.depts}
            to_department = all(new in named for _, new in replaced)
            # a real word (手机) is no typo: a sound-alike (收集) is only offered while the word finds items itself
            runs = spell and not (replaces_word and ranked)
            ranked2 = rank(eng, pq2, flt, offset + limit, snap) if runs else None
            # run it only when it finds the whole query well and better than the words as typed
            good = ranked2 is not None and len(ranked2) > 0 and ranked2.coverage[0] >= WEAK_COVERAGE
            better = (
                ranked2 is not None
                and good
                and (
                    not ranked
                    or to_department
                    or ranked2.coverage[0] > ranked.coverage[0]
                    or (_whole_chunks(pq2, ranked2[0]) > _whole_chunks(pq, ranked[0]))  # 家长学效 is only 教学效果
                )
            )
            if better and ranked2 is not None:
                out["corrected"] = {"query": fixed, "original": pq.text}
                out["messages"] = [*out["messages"], f"已显示“{fixed}”的结果,仍要搜索“{pq.text}”"]
                out["query"], out["understood"] = pq2.text, _understood(pq2)
                pq, ranked = pq2, ranked2
            else:
                out["did_you_mean"] = [fixed]
        else:
            out["did_you_mean"] = R.did_you_mean(pq, eng.vocabulary(), ranked[0]["hay"] if ranked else "")
    if pq.question == "who" and ranked and offset == 0:
        out["answer"] = _answer(eng, pq, ranked, applied, snap)
    if sort == "plan":
        ranked = ranked.in_plan_order()
    page = ranked[offset : offset + limit]
    out["total"], out["facets"] = len(ranked), ranked.facets()
    out["results"] = _present(eng, pq, page, applied, snap)
    out["partial"] = ranked.partial
    if not ranked and (pq.concepts or pq.excluded):
        out["messages"] = [*pq.messages, nothing_found(pq, out["did_you_mean"])]
    out["messages"] = [*out["messages"], *(n for n in (role_note(pq), partial_note(ranked.partial)) if n)]
    return out


def _finds_little(pq: ParsedQuery, ranked: Ranked) -> bool:
    """Nothing found, or the best hit lacks a query word or a typed piece (a typo, most likely)."""
    if not ranked:
        return True
    best = ranked[0]
    return best["coverage"] < WEAK_COVERAGE or any(c not in best["hay"] for c in pq.chunks)


def _whole_chunks(pq: ParsedQuery, hit: dict) -> int:
    """How many typed pieces the hit holds as typed."""
    return sum(c in hit["hay"] for c in pq.chunks)


def _corrected(eng: Engine, pq: ParsedQuery, ranked: Ranked) -> tuple[str | None, bool, list[tuple[str, str]]]:
    """The query with each typed piece that is no known word and not found replaced by its best candidate, whether
    a replaced piece is a word of the language (jieba's dictionary) rather than a typo, and the (typed, corrected)
    pieces."""
    found_in = ranked[0]["hay"] if ranked else ""
    dept_typed = {typed for _, typed, _ in pq.depts}
    text, word = normalise(pq.text), False
    replaced: list[tuple[str, str]] = []
    speller = eng.speller()
    for chunk in pq.chunks:
        if chunk in found_in or chunk in dept_typed:
            continue
        fixed = speller.correct(chunk)
        if fixed and fixed != chunk:
            text, word = text.replace(chunk, fixed), word or is_word(chunk)
            replaced.append((chunk, fixed))
    return (text if replaced else None), word, replaced


def _filter_args(pq: ParsedQuery) -> dict[str, str | None]:
    """The filters a parsed query was given (to parse a corrected query with the same ones)."""
    return dict(pq.filters)


def _snapshot() -> Any:
    """The reviewed state this search reads (kb.reviews.snapshot: checked against the audit log once per search)."""
    from kb.reviews import snapshot
    from kb.store.db import NoKnowledgeBase

    try:
        return snapshot.current()
    except NoKnowledgeBase:
        raise SearchError(NO_INDEX, status=503) from None
