"""Full-text search over goals, measures and clauses: the API payload (filters, ranking, result rows).

How it fits together: kb.search.analysis holds the one whoosh analyzer (jieba search-mode cut with the project's
dictionary, stop words) → kb.search.writer writes the whoosh index of record at build time (item and clause
documents, fields in kb.search.schema) → kb.search.arrays derives BM25F score arrays from it on the first search
of a build → kb.search.engine sums those arrays for a query's analysed terms in one numpy pass →
kb.search.results presents.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kb.duties import item_duties
from kb.search import results as R
from kb.search.analysis import normalise
from kb.search.engine import NO_INDEX, Engine, StaleBuild, engine
from kb.search.query import KIND_ALIASES, ROLES, ParsedQuery, SearchError, parse, refine
from kb.search.ranking import Ranked, no_facets, rank
from kb.search.writer import build_index

__all__ = ["SearchError", "build_index", "engine", "search", "warm_up"]

MAX_LIMIT, MAX_OFFSET = 100, 10_000
MATCH_TERMS = 8  # matched strings passed on to the item page for highlighting
ANSWER_KINDS, ANSWER_ITEMS, ANSWER_SHARE = ("goal", "measure"), 5, 0.3  # the answer card: kinds, size, score floor
WEAK_COVERAGE = 0.75  # below this the best hit lacks a query word: offer a spelling suggestion
SORTS = {"relevance": "相关度", "plan": "规划顺序", "相关度": "relevance", "规划顺序": "plan"}
_TRUE = {"1", "true", "yes", "y", "是", "有", "indicator", "indicators", "on"}
_FALSE = {"0", "false", "no", "n", "否", "无", "off"}


def _filters(eng: Engine, pq: ParsedQuery, snap: Any) -> tuple[np.ndarray | None, dict[str, Any]]:
    """Validate filter values; a boolean mask over items and the resolved values (400 on a bad value)."""
    f, a, ix, out = pq.filters, eng.ix.arr, eng.ix, {}
    masks: list[np.ndarray] = []
    if f.get("domain"):
        val = normalise(str(f["domain"]))
        match = [d for d in eng.domains if d == val] or [d for d in eng.domains if val in d]
        if not match:
            names = "、".join(d for d in eng.domains if not d.isascii())
            raise SearchError(f"未知的领域“{f['domain']}”。可选:{names}")
        codes = [ix.domains.index(d) for d in match]
        masks.append(np.isin(a["domain"], codes) | np.isin(a["domain_code"], codes))
        out["domain"] = match[0]
    if f.get("kind"):
        kind = KIND_ALIASES.get(str(f["kind"]).strip().lower()) or KIND_ALIASES.get(str(f["kind"]).strip())
        if not kind:
            raise SearchError(f"未知的类型“{f['kind']}”。可选:goal(目标)、measure(措施)、implementation、monitoring")
        masks.append(a["kind"] == ix.kinds.index(kind) if kind in ix.kinds else np.zeros(ix.n_items, dtype=bool))
        out["kind"] = kind
    if f.get("plan"):
        if f["plan"] not in eng.plans:
            raise SearchError(f"没有这个规划“{f['plan']}”。已有:{'、'.join(eng.plans)}")
        masks.append(a["plan"] == ix.plans.index(f["plan"]))
        out["plan"] = f["plan"]
    role = None
    if f.get("role"):
        role = ROLES.get(str(f["role"]).strip().lower())
        if not role:
            raise SearchError(f"未知的角色“{f['role']}”。可选:lead(牵头)、co(配合)")
        if not f.get("dept"):
            raise SearchError("角色筛选(role)需要同时指定部门(dept)")
        out["role"] = role
    if f.get("dept"):
        from nlp.registry import resolve, unknown_message

        dep = resolve(str(f["dept"]))
        if dep is None:
            raise SearchError(unknown_message(str(f["dept"])))
        out["dept"] = dep.canonical
        member, lead = eng.dept_masks(dep.canonical, snap)
        masks.append(lead if role == "lead" else member & ~lead if role == "co" else member)
    has = f.get("has")
    if has not in (None, ""):
        val = str(has).strip().lower()
        if val not in _TRUE | _FALSE:
            raise SearchError(f"无法理解的指标筛选“{has}”。可用:has_indicator=1 或 0")
        masks.append(a["has_ind"] == (val in _TRUE))
        out["has_indicator"] = val in _TRUE
    return (np.logical_and.reduce(masks) if masks else None), out


def _int(value: Any, name: str, lo: int, hi: int) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise SearchError(f"参数 {name} 必须是整数") from None
    if not lo <= n <= hi:
        raise SearchError(f"参数 {name} 必须在 {lo} 到 {hi} 之间")
    return n


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
        "corrected": None,
        "answer": None,
        "sort": sort,
        "understood": _understood(pq),
    }
    if pq.empty and flt is None:
        return out
    ranked = rank(eng, pq, flt, offset + limit, snap)
    if pq.concepts and _finds_little(pq, ranked):
        fixed = _corrected(eng, pq, ranked)
        if fixed is not None:
            pq2 = parse(fixed, _filter_args(pq))
            refine(pq2, eng.ix.df)
            ranked2 = rank(eng, pq2, flt, offset + limit, snap) if spell else None
            # run it only when it finds the whole query well and better than the words as typed
            good = ranked2 is not None and len(ranked2) > 0 and ranked2.coverage[0] >= WEAK_COVERAGE
            better = (
                ranked2 is not None
                and good
                and (
                    not ranked
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
    if not ranked and pq.concepts:
        out["messages"] = [
            *pq.messages,
            "没有找到匹配的条目" + ("" if out["did_you_mean"] else ",请换个说法或减少词语"),
        ]
    return out


def _answer(eng: Engine, pq: ParsedQuery, ranked: Ranked, applied: dict, snap: Any) -> dict[str, Any] | None:
    """A "who" question's answer card: the best-matching goals and measures with their lead and co departments."""
    kinds = [eng.ix.kinds.index(k) for k in ANSWER_KINDS if k in eng.ix.kinds]
    best = ranked.score[0]
    chosen = np.isin(eng.ix.arr["kind"][ranked.rows], kinds) & (ranked.score >= ANSWER_SHARE * best)
    top = [ranked[int(k)] for k in np.flatnonzero(chosen)[:ANSWER_ITEMS]]
    rows = _present(eng, pq, top, applied, snap)
    if not rows:
        return None
    items = [
        {
            "id": r["id"],
            "kind": r["kind"],
            "domain": r["domain"],
            "number": r["number"],
            "title": r["title"],
            **{
                role: [{"name": d["name"], "source": d.get("source")} for d in r["departments"] if d["role"] == role]
                for role in ("lead", "co")
            },
        }
        for r in rows
    ]
    leads = list(dict.fromkeys(d["name"] for it in items for d in it["lead"]))
    return {"question": "who", "role": pq.role or "lead", "lead": leads, "items": items}


def _finds_little(pq: ParsedQuery, ranked: Ranked) -> bool:
    """Nothing found, or the best hit lacks a query word or a typed piece (a typo, most likely)."""
    if not ranked:
        return True
    best = ranked[0]
    return best["coverage"] < WEAK_COVERAGE or any(c not in best["hay"] for c in pq.chunks)


def _whole_chunks(pq: ParsedQuery, hit: dict) -> int:
    """How many typed pieces the hit holds as typed."""
    return sum(c in hit["hay"] for c in pq.chunks)


def _corrected(eng: Engine, pq: ParsedQuery, ranked: Ranked) -> str | None:
    """The query with each typed piece that is no known word and not found replaced by its best candidate."""
    found_in = ranked[0]["hay"] if ranked else ""
    dept_typed = {typed for _, typed, _ in pq.depts}
    text, changed = normalise(pq.text), False
    speller = eng.speller()
    for chunk in pq.chunks:
        if chunk in found_in or chunk in dept_typed:
            continue
        fixed = speller.correct(chunk)
        if fixed and fixed != chunk:
            text, changed = text.replace(chunk, fixed), True
    return text if changed else None


def _filter_args(pq: ParsedQuery) -> dict[str, str | None]:
    """The filters a parsed query was given (to parse a corrected query with the same ones)."""
    return dict(pq.filters)


def _understood(pq: ParsedQuery) -> dict[str, Any]:
    """How the query was read: words with their synonym forms, departments, phrases and exclusions."""
    return {
        "terms": [{"word": c.word, "forms": c.strings, "phrase": c.phrase} for c in pq.concepts],
        "departments": [{"name": d, "typed": t} for d, t, _ in pq.depts],
        "excluded": pq.excluded,
    }


def _snapshot() -> Any:
    """The reviewed state this search reads (kb.reviews.snapshot: checked against the audit log once per search)."""
    from kb.reviews import snapshot
    from kb.store.db import NoKnowledgeBase

    try:
        return snapshot.current()
    except NoKnowledgeBase:
        raise SearchError(NO_INDEX, status=503) from None


def _present(eng: Engine, pq: ParsedQuery, page: list[dict], applied: dict, snap: Any) -> list[dict[str, Any]]:
    """Result rows from the per-build item cache with reviews applied now (so they show at once), snippet, why."""
    if not page:
        return []
    base = eng.base_items([e["id"] for e in page])
    reviewed = snap.changed  # the reviewed state, kept per change (not resolved per search)
    items = {e["id"]: reviewed.get(e["id"]) or {**base[e["id"]], "notes": []} for e in page if e["id"] in base}
    goal_ids = sorted({g for it in items.values() for g in it["serves"]})
    goals = eng.base_items(goal_ids) if goal_ids else {}
    terms, fallback = R.highlight_terms(pq), R.fallback_terms(pq)
    rows = []
    for e in page:
        it = items.get(e["id"])
        if it is None:
            continue
        depts = [
            {"name": d["name"], "role": d["role"], "source": d.get("source"), "confidence": d.get("confidence")}
            for d in it["departments"]
        ]
        duty = item_duties(it).get(applied["dept"]) if applied.get("dept") else None
        if applied.get("dept") and (duty is None or applied.get("role") not in (None, duty.role)):
            continue  # a review removed the department since the index was built
        text, spans, cid = R.passage(it, terms, fallback)
        rows.append(
            {
                "id": it["id"],
                "plan": it["plan"],
                "kind": it["kind"],
                "domain": it["domain"],
                "number": it["number"],
                "title": it["title"],
                "snippet": R.snippet_of(text, spans),
                # where the item page opens: the matched clause, with the words as published there
                "match": {"clause": cid, "terms": list(dict.fromkeys(text[s:e] for s, e in spans))[:MATCH_TERMS]},
                "departments": depts,
                "serves": it["serves"],
                "serves_detail": [
                    {"id": g, "title": goals[g]["title"], "number": goals[g]["number"], "domain": goals[g]["domain"]}
                    for g in it["serves"]
                    if g in goals
                ],
                "indicators": [i["name"] for i in it.get("indicators", [])],
                "score": round(e["score"], 4),
                "why": R.why(it, pq) if "via" not in e else ["相关:与匹配的条目关联(措施服务于目标)"],
                "related_to": e.get("via"),
            }
        )
    return rows


WARM_FILE = "search_warm.txt"  # nlp/data: one query of every kind, answered before a process serves
WARM_ARGS: tuple[dict[str, Any], ...] = (
    {},
    {"sort": "plan", "limit": 50},
    {"kind": "measure", "has_indicator": "1"},
    {"spell": "0"},
)


def warm_queries(eng: Engine) -> list[str]:
    """The warm-up searches: every kind of query (nlp/data/search_warm.txt), then the build's rarest and commonest
    words, so both the sparse and the dense scoring paths run."""
    from nlp.lang import read_lines

    vocab = sorted((w for w in eng.ix.vocabulary() if len(w) > 1), key=lambda w: (eng.ix.df("text", w), w))
    own = [vocab[0], vocab[len(vocab) // 2], vocab[-1]] if vocab else []
    return [*read_lines(WARM_FILE), *own]


def warm_up(queries: bool = True) -> bool:
    """Load the live build's index, analyser, OpenCC, pypinyin, speller and item cache now and answer one query of
    every kind, so a worker's first request is as fast as the rest (called by `kb serve` before workers fork);
    False when there is no build to load yet. queries=False: only make sure the build is loaded (a forked worker's
    threads, whose caches the master filled)."""
    import numpy.ma  # noqa: F401  numpy imports it on the first sparse union (np.union1d): 0.1 s otherwise

    try:
        eng = engine()
    except SearchError:
        return False
    if not queries:
        return True
    eng.speller()
    eng.vocabulary()
    eng.prefetch()
    for n, q in enumerate(warm_queries(eng)):
        search(q, **WARM_ARGS[n % len(WARM_ARGS)])
    return True
