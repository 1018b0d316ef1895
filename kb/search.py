"""Full-text search over goals, measures and clauses: build the index, answer queries with the API payload."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from whoosh import query as Q
from whoosh.scoring import BM25F

from kb import paths
from kb.db import connect
from kb.search_analysis import normalise, search_tokens
from kb.search_index import build_index, open_index
from kb.search_query import KIND_ALIASES, ROLES, ParsedQuery, SearchError, build, dept_query, parse
from kb import search_results as R

__all__ = ["build_index", "search", "SearchError", "engine"]

CLAUSE_WEIGHT = 0.5      # a focused clause adds to its item's score, it does not replace it
KIND_PRIOR = {"goal": 1.0, "measure": 1.0, "implementation": 0.85, "monitoring": 0.85}
OTHER_KIND_PRIOR = 0.6   # preface, principles, overall goal: context, rarely what is looked for
KEEP_RATIO = 0.12        # items scoring below this share of the best are noise, not results
MAX_LIMIT, MAX_OFFSET = 100, 10_000
VOCAB_ITEMS = 5000       # items read for did-you-mean words (enough to know a genre's vocabulary)
WEAK_COVERAGE = 0.75     # below this the best hit lacks a query word: offer a spelling suggestion
_TRUE = {"1", "true", "yes", "y", "是", "有", "indicator", "indicators", "on"}
_FALSE = {"0", "false", "no", "n", "否", "无", "off"}


class Engine:
    """One build's index and database, opened once; per-thread searchers and connections."""

    def __init__(self, index_dir: Path, db_path: Path):
        self.index_dir, self.db_path = index_dir, db_path
        self.ix = open_index(index_dir)
        self._local = threading.local()
        self._vocab: list[str] | None = None
        self._item_docs: dict[str, int] | None = None
        reader = self.ix.reader()
        try:
            self.domains = sorted(t.decode() if isinstance(t, bytes) else t for t in reader.field_terms("domain"))
            self.plans = sorted(t.decode() if isinstance(t, bytes) else t for t in reader.field_terms("plan"))
        finally:
            reader.close()

    def searcher(self):
        s = getattr(self._local, "searcher", None)
        if s is None:
            s = self._local.searcher = self.ix.searcher(weighting=BM25F())
        return s

    def column(self, name: str):
        """A per-thread column reader (docnum → value) of a sortable field."""
        cols = getattr(self._local, "columns", None)
        if cols is None:
            cols = self._local.columns = {}
        if name not in cols:
            cols[name] = self.searcher().reader().column_reader(name)
        return cols[name]

    def item_docnum(self, item_id: str) -> int | None:
        """Document number of an item's item-level document (mapped once per engine)."""
        if self._item_docs is None:
            items, levels = self.column("item"), self.column("level")
            self._item_docs = {items[n]: n for n in range(self.searcher().doc_count_all()) if levels[n] == "item"}
        return self._item_docs.get(item_id)

    def kb(self):
        from kb.store import KB

        kb = getattr(self._local, "kb", None)
        if kb is None:
            kb = self._local.kb = KB(connect(self.db_path, readonly=True))
        return kb

    def vocabulary(self) -> list[str]:
        """Title words, indicator names, synonym terms and department names, for did-you-mean."""
        if self._vocab is None:
            from kb.search_analysis import department_names, synonym_groups

            texts, extra = [], [t for g in synonym_groups() for t in g] + department_names()
            for n, f in enumerate(self.searcher().documents(level="item")):
                if n >= VOCAB_ITEMS:
                    break
                texts.append((f.get("title") or "") + "\n" + (f.get("text") or ""))
                extra.extend((f.get("indicators") or "").split())
            self._vocab = R.vocabulary_from(texts, extra)
        return self._vocab


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def engine() -> Engine:
    """The engine of the live build, re-opened when `current` points at a new build."""
    idx = paths.index_path()
    if idx is None or not idx.exists():
        raise SearchError("搜索索引尚未建立,请先运行 `python -m kb build`", status=503)
    key = str(idx)
    eng = _engines.get(key)
    if eng is None:
        with _engines_lock:
            eng = _engines.get(key)
            if eng is None:
                eng = Engine(idx, idx.parent / "kb.sqlite")
                _engines.clear()  # the old build's engine goes; its open files stay valid until collected
                _engines[key] = eng
    return eng


def _filters(eng: Engine, pq: ParsedQuery) -> tuple[Q.Query | None, dict[str, Any]]:
    """Validate filter values; the whoosh filter query and the resolved values (400 on a bad value)."""
    f, subs, out = pq.filters, [], {}
    if f.get("domain"):
        val = normalise(str(f["domain"]))
        match = [d for d in eng.domains if d == val] or [d for d in eng.domains if val in d]
        if not match:
            names = "、".join(d for d in eng.domains if not d.isascii())
            raise SearchError(f"未知的领域“{f['domain']}”。可选:{names}")
        subs.append(Q.Or([Q.Term("domain", d) for d in match]))
        out["domain"] = match[0]
    if f.get("kind"):
        kind = KIND_ALIASES.get(str(f["kind"]).strip().lower()) or KIND_ALIASES.get(str(f["kind"]).strip())
        if not kind:
            raise SearchError(f"未知的类型“{f['kind']}”。可选:goal(目标)、measure(措施)、implementation、monitoring")
        subs.append(Q.Term("kind", kind))
        out["kind"] = kind
    if f.get("plan"):
        if f["plan"] not in eng.plans:
            raise SearchError(f"没有这个规划“{f['plan']}”。已有:{'、'.join(eng.plans)}")
        subs.append(Q.Term("plan", f["plan"]))
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
        name = dep.canonical
        out["dept"] = name
        subs.append(Q.Term("lead", name) if role == "lead" else
                    Q.And([Q.Term("depts", name), Q.Not(Q.Term("lead", name))]) if role == "co" else
                    Q.Term("depts", name))
    has = f.get("has")
    if has not in (None, ""):
        val = str(has).strip().lower()
        if val not in _TRUE | _FALSE:
            raise SearchError(f"无法理解的指标筛选“{has}”。可用:has_indicator=1 或 0")
        subs.append(Q.Term("has_ind", val in _TRUE))
        out["has_indicator"] = val in _TRUE
    return (Q.And(subs) if subs else None), out


def _coverage(pq: ParsedQuery, parts: list[list[str]], hay: str) -> float:
    """Share of the query's concepts found in an item: a whole form counts 1, scattered sub-words up to 0.6."""
    if not pq.concepts:
        return 1.0
    total = 0.0
    for c, ps in zip(pq.concepts, parts):
        if any(form in hay for form in c.strings):
            total += 1.0
        elif ps:
            total += 0.6 * sum(p in hay for p in ps) / len(ps)
    return total / len(pq.concepts)


def _rank(eng: Engine, pq: ParsedQuery, flt: Q.Query | None, want: int) -> list[dict[str, Any]]:
    """Score documents, group them per item, apply coverage, responsibility and kind priors."""
    s = eng.searcher()
    n_docs = max(1, s.doc_count())
    df = lambda field, tok: s.doc_frequency(field, tok) / n_docs
    hits = s.search(build(pq, df), limit=max(200, want * 6), filter=flt)
    items_col, level_col = eng.column("item"), eng.column("level")
    groups: dict[str, list[float]] = {}
    for score, docnum in hits.top_n:
        g = groups.setdefault(items_col[docnum], [0.0, 0.0])
        if level_col[docnum] == "item":
            g[0] = score
        else:
            g[1] = max(g[1], score)
    parts = [[] if c.phrase else [t for t, _, _ in search_tokens(c.word) if len(t) > 1] or [c.word]
             for c in pq.concepts]
    ranked = []
    for iid, (item_score, clause_score) in groups.items():
        docnum = eng.item_docnum(iid)
        f = s.stored_fields(docnum) if docnum is not None else {}
        hay = normalise("\n".join(f.get(k) or "" for k in ("title", "text", "raw", "indicators")))
        if any(c.phrase and c.word not in hay.replace(" ", "") for c in pq.concepts):
            continue
        if any(x and x in hay for x in pq.excluded):
            continue
        cov = _coverage(pq, parts, hay)
        score = (item_score + CLAUSE_WEIGHT * clause_score) * (0.15 + 0.85 * cov * cov)
        lead, depts = set((f.get("lead") or "").split(",")), set((f.get("depts") or "").split(","))
        for canon, _, stem in pq.depts:
            if canon in lead:
                score *= 1.5 if stem else 2.0
            elif canon in depts:
                score *= 1.25 if stem else 1.5
        score *= KIND_PRIOR.get(f.get("kind"), OTHER_KIND_PRIOR)
        domain_name = next((d for d in (f.get("domain") or "").split(",") if d and not d.isascii()), None)
        ranked.append({"id": iid, "score": score, "coverage": cov, "kind": f.get("kind"), "hay": hay,
                       "domain_name": domain_name, "depts": f.get("depts")})
    ranked.sort(key=lambda e: -e["score"])
    if ranked and pq.concepts:
        floor = ranked[0]["score"] * KEEP_RATIO
        ranked = [e for e in ranked if e["score"] >= floor]
    return ranked


def _int(value: Any, name: str, lo: int, hi: int) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise SearchError(f"参数 {name} 必须是整数") from None
    if not lo <= n <= hi:
        raise SearchError(f"参数 {name} 必须在 {lo} 到 {hi} 之间")
    return n


def search(q: str, limit: int = 10, offset: int = 0, domain: str | None = None, kind: str | None = None,
           dept: str | None = None, role: str | None = None, plan: str | None = None,
           has_indicator: Any = None) -> dict[str, Any]:
    """Search the live build; returns the API payload (raises SearchError for a bad parameter or query)."""
    limit, offset = _int(limit, "limit", 1, MAX_LIMIT), _int(offset, "offset", 0, MAX_OFFSET)
    pq = parse(q if isinstance(q, str) else "", {"domain": domain, "kind": kind, "dept": dept, "role": role,
                                                  "plan": plan, "has": has_indicator})
    eng = engine()
    flt, applied = _filters(eng, pq)
    out: dict[str, Any] = {"ok": True, "query": pq.text, "total": 0, "offset": offset, "limit": limit,
                           "filters": applied, "facets": R.facets([]), "results": [], "messages": pq.messages,
                           "did_you_mean": [], "understood": _understood(pq)}
    if pq.empty and flt is None:
        return out
    ranked = _rank(eng, pq, flt, offset + limit)
    page = ranked[offset:offset + limit]
    out["total"], out["facets"] = len(ranked), R.facets(ranked)
    out["results"] = _present(eng, pq, page, applied)
    if pq.concepts and (not ranked or ranked[0]["coverage"] < WEAK_COVERAGE or
                        any(c not in ranked[0]["hay"] for c in pq.chunks)):
        out["did_you_mean"] = R.did_you_mean(pq, eng.vocabulary(), ranked[0]["hay"] if ranked else "")
    if not ranked and pq.concepts:
        out["messages"] = [*pq.messages, "没有找到匹配的条目" + ("" if out["did_you_mean"] else ",请换个说法或减少词语")]
    return out


def _understood(pq: ParsedQuery) -> dict[str, Any]:
    """How the query was read: words with their synonym forms, departments, phrases and exclusions."""
    return {"terms": [{"word": c.word, "forms": c.strings, "phrase": c.phrase} for c in pq.concepts],
            "departments": [{"name": d, "typed": t} for d, t, _ in pq.depts], "excluded": pq.excluded}


def _present(eng: Engine, pq: ParsedQuery, page: list[dict], applied: dict) -> list[dict[str, Any]]:
    """Result rows from the store (so reviewed departments and links show at once), with snippet and why."""
    if not page:
        return []
    kb = eng.kb()
    items = {it["id"]: it for it in kb.items_as_dicts(kb.item_rows(ids=[e["id"] for e in page]))}
    goal_ids = sorted({g for it in items.values() for g in it["serves"]})
    goals = {r["id"]: r for r in kb.item_rows(ids=goal_ids)} if goal_ids else {}
    terms = R.highlight_terms(pq)
    rows = []
    for e in page:
        it = items.get(e["id"])
        if it is None:
            continue
        depts = [{"name": d["name"], "role": d["role"], "source": d.get("source")} for d in it["departments"]]
        if applied.get("dept") and not any(d["name"] == applied["dept"] and applied.get("role") in (None, d["role"])
                                           for d in depts):
            continue  # a review removed the department since the index was built
        rows.append({
            "id": it["id"], "plan": it["plan"], "kind": it["kind"], "domain": it["domain"], "number": it["number"],
            "title": it["title"], "snippet": R.snippet(it, terms), "departments": depts, "serves": it["serves"],
            "serves_detail": [{"id": g, "title": goals[g]["title"], "number": goals[g]["number"],
                               "domain": goals[g]["domain"]} for g in it["serves"] if g in goals],
            "indicators": [i["name"] for i in it.get("indicators", [])],
            "score": round(e["score"], 4), "why": R.why(it, pq),
        })
    return rows
