"""Search index: item- and clause-level whoosh documents built from a KB database, next to it in the build."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from whoosh import index as windex
from whoosh.fields import BOOLEAN, ID, KEYWORD, STORED, TEXT, Schema

from kb.search_analysis import analyzer, bigram_analyzer

# Field boosts: the title states what an item is about; indicator names find targets; the repaired text is the
# main body, the raw text only adds what repairs may have missed; bigrams are a low-weight fallback.
FIELD_BOOSTS = {"title": 3.0, "indicators": 2.5, "text": 1.0, "groups": 1.0, "raw": 0.3, "ngram": 0.35}
SEARCH_FIELDS = tuple(FIELD_BOOSTS)
INDEX_NAME = "items"


def schema() -> Schema:
    """Fields of a search document (an item or one of its clauses)."""
    an, bg = analyzer(), bigram_analyzer()
    return Schema(
        doc=ID(stored=True, unique=True), item=ID(stored=True, sortable=True), level=ID(stored=True, sortable=True),
        plan=ID(stored=True), kind=ID(stored=True), domain=KEYWORD(stored=True, commas=True),
        number=STORED(), has_ind=BOOLEAN(stored=True),
        title=TEXT(analyzer=an, field_boost=FIELD_BOOSTS["title"], stored=True),
        text=TEXT(analyzer=an, field_boost=FIELD_BOOSTS["text"], stored=True),
        raw=TEXT(analyzer=an, field_boost=FIELD_BOOSTS["raw"], stored=True),
        indicators=TEXT(analyzer=an, field_boost=FIELD_BOOSTS["indicators"], stored=True),
        groups=TEXT(analyzer=an, field_boost=FIELD_BOOSTS["groups"]),
        ngram=TEXT(analyzer=bg, field_boost=FIELD_BOOSTS["ngram"]),
        depts=KEYWORD(stored=True, commas=True), lead=KEYWORD(stored=True, commas=True),
    )


def documents(conn: sqlite3.Connection):
    """Yield one document per item and one per clause, with departments and indicator names."""
    conn.row_factory = sqlite3.Row
    assign: dict[tuple[str, str | None], list[tuple[str, str]]] = {}
    for a in conn.execute("SELECT item, clause, name, role FROM assignments ORDER BY item, rank"):
        assign.setdefault((a["item"], a["clause"]), []).append((a["name"], a["role"]))
    inds: dict[str, list[str]] = {}
    for r in conn.execute("SELECT item, name FROM indicators ORDER BY item, rank"):
        inds.setdefault(r["item"], []).append(r["name"])
    clauses: dict[str, list[sqlite3.Row]] = {}
    for c in conn.execute("SELECT id, item, text, raw_text FROM clauses ORDER BY item, idx"):
        clauses.setdefault(c["item"], []).append(c)
    for it in conn.execute("SELECT * FROM items ORDER BY plan, position"):
        iid = it["id"]
        item_depts = assign.get((iid, None), [])
        domain = ",".join(x for x in (it["domain"], it["domain_code"]) if x)
        groups = " ".join(json.loads(it["target_groups"] or "[]"))
        names = inds.get(iid, [])
        common = dict(item=iid, plan=it["plan"], kind=it["kind"], domain=domain, number=it["number"],
                      has_ind=bool(names))
        yield dict(common, doc=iid, level="item", title=it["title"], text=it["text"], raw=it["raw_text"],
                   indicators=" ".join(names), groups=groups, ngram=it["text"] + "\n" + it["raw_text"],
                   **_dept_fields(item_depts))
        for c in clauses.get(iid, []):
            cdepts = assign.get((iid, c["id"]), []) + item_depts
            cind = " ".join(n for n in names if n in c["text"])
            yield dict(common, doc=c["id"], level="clause", text=c["text"], raw=c["raw_text"], indicators=cind,
                       ngram=c["text"] + "\n" + c["raw_text"], **_dept_fields(cdepts))


def _dept_fields(depts: list[tuple[str, str]]) -> dict[str, str]:
    return {"depts": ",".join(dict.fromkeys(n for n, _ in depts)),
            "lead": ",".join(dict.fromkeys(n for n, r in depts if r == "lead"))}


def build_index(db_path: Path, index_dir: Path, procs: int = 1) -> None:
    """Index every item and clause of the KB at db_path into index_dir (written aside, then renamed in place)."""
    index_dir = Path(index_dir)
    tmp = index_dir.with_name(index_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    ix = windex.create_in(str(tmp), schema(), indexname=INDEX_NAME)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        writer = ix.writer(procs=procs, limitmb=256, multisegment=procs > 1) if procs > 1 else ix.writer(limitmb=256)
        for doc in documents(conn):
            writer.add_document(**doc)
        writer.commit()
    finally:
        conn.close()
        ix.close()
    if index_dir.exists():
        shutil.rmtree(index_dir)
    tmp.rename(index_dir)


def open_index(index_dir: Path):
    """Open a built index read-only."""
    return windex.open_dir(str(index_dir), indexname=INDEX_NAME, readonly=True)
