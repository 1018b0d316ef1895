"""Search index writer: the whoosh index of item- and clause-level documents (the index of record), written by the
build, with each item's normalised text for coverage and phrases."""

from __future__ import annotations

import gc
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as windex
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from kb.duties import item_duties
from kb.search import parts as search_parts
from kb.search import segment
from kb.search.analysis import normalise, warm_up
from kb.search.arrays import write_derived
from kb.search.schema import INDEX_NAME, schema, whoosh_index

# Below this many items the arrays are derived on the build's first search (~0.2 s for one plan, kept off the
# build's time); from here on the build derives them, so no first search waits seconds for it.
EAGER_DERIVE_ITEMS = 10_000
# Postings blocks are left uncompressed: queries read the derived arrays, so whoosh's postings are read once
# per build and writing them should be cheap. (Inlining short lists is broken in whoosh 2.7.5: keep it off.)
CODEC = dict(compression=0)


def _rows(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """Per item, in plan order: what is indexed of it and its clauses."""
    conn.row_factory = sqlite3.Row
    assign: dict[tuple[str, str | None], list[tuple[str, str]]] = {}
    for a in conn.execute("SELECT item, clause, name, role FROM assignments ORDER BY item, rank"):
        assign.setdefault((a["item"], a["clause"]), []).append((a["name"], a["role"]))
    inds: dict[str, list[str]] = {}
    for r in conn.execute("SELECT item, name FROM indicators ORDER BY item, rank"):
        inds.setdefault(r["item"], []).append(r["name"])
    clauses: dict[str, list[tuple[str, str, str]]] = {}
    for c in conn.execute("SELECT id, item, text, raw_text FROM clauses ORDER BY item, idx"):
        clauses.setdefault(c["item"], []).append((c["id"], c["text"], c["raw_text"]))
    for it in conn.execute("SELECT * FROM items ORDER BY plan, position"):
        iid = it["id"]
        yield {
            "id": iid,
            "plan": it["plan"],
            "kind": it["kind"],
            "domain": it["domain"] or "",
            "domain_code": it["domain_code"] or "",
            "title": it["title"] or "",
            "text": it["text"],
            "raw": it["raw_text"],
            "names": inds.get(iid, []),
            "groups": json.loads(it["target_groups"] or "[]"),
            "clauses": [(cid, t, r, assign.get((iid, cid), [])) for cid, t, r in clauses.get(iid, [])],
            "depts": _duties(
                assign.get((iid, None), []), [assign.get((iid, cid), []) for cid, _t, _r in clauses.get(iid, [])]
            ),
        }


def _read_rows(db_path: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return list(_rows(conn))
    finally:
        conn.close()


def _duties(item_tags: list[tuple[str, str]], clause_tags: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """(department, role) of the item's duties as kb.duties defines them (item or clause level)."""
    shaped = {
        "departments": [{"name": n, "role": r} for n, r in item_tags],
        "clauses": [{"departments": [{"name": n, "role": r} for n, r in tags]} for tags in clause_tags],
    }
    return [(name, duty.role) for name, duty in item_duties(shaped).items()]


def _dept_fields(depts: list[tuple[str, str]]) -> dict[str, str]:
    return {
        "depts": ",".join(dict.fromkeys(n for n, _ in depts)),
        "lead": ",".join(dict.fromkeys(n for n, r in depts if r == "lead")),
    }


def _documents(rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every item document, then every clause document (so whoosh numbers them as the arrays do)."""
    for r in rows:
        yield dict(
            id=r["id"],
            item=r["id"],
            level="item",
            plan=r["plan"],
            kind=r["kind"],
            domain=r["domain"],
            domain_code=r["domain_code"],
            has_ind=bool(r["names"]),
            title=r["title"],
            text=r["text"],
            raw=r["raw"],
            indicators=" ".join(r["names"]),
            groups=" ".join(r["groups"]),
            ngram=r["text"] + "\n" + r["raw"],
            **_dept_fields(r["depts"]),
        )
    # A clause document carries what focuses a match inside an item: its words and indicator names. The raw text
    # and the bigram fallback are item-level evidence only (measured on the dev queries: the same nDCG, and
    # whoosh writes 40% fewer postings).
    for r in rows:
        for cid, text, _raw, cdepts in r["clauses"]:
            yield dict(
                id=cid,
                item=r["id"],
                level="clause",
                plan=r["plan"],
                kind=r["kind"],
                domain=r["domain"],
                domain_code=r["domain_code"],
                text=text,
                indicators=" ".join(n for n in r["names"] if n in text),
                **_dept_fields(cdepts + r["depts"]),
            )


def build_index(db_path: Path | list[Path], index_dir: Path, procs: int = 1, keep_part: bool = False) -> None:
    """Write the whoosh index of every item and clause of the KB at db_path, and each item's normalised text (for
    coverage and phrases), into index_dir (written aside, then renamed in place). One writer, one commit; the
    score arrays are derived here too for a large KB (EAGER_DERIVE_ITEMS), else on the first search. keep_part:
    save the index's part (kb.search.parts) beside it, which assemble_index combines (a cache unit).

    db_path a list of per-plan files (kb.build_cache fragments, in plan order): one segment of them all whose
    documents are each plan's documents in turn, so it numbers them as the plans' own segments assembled do.
    procs > 1 lets whoosh analyse documents in that many processes (worth it from tens of thousands of items).
    """
    index_dir = Path(index_dir)
    tmp = index_dir.with_name(index_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    per_db = [_read_rows(Path(db)) for db in (db_path if isinstance(db_path, list) else [db_path])]
    rows = [r for plan_rows in per_db for r in plan_rows]
    warm_up()  # before whoosh forks its workers, so they share the loaded dictionaries
    # whoosh makes many small objects, and each GC pass would also re-scan the pipeline's models already held by
    # a build process: freeze those for the write (it also keeps forked writers from copying the parent's pages).
    gc.freeze()
    try:
        part = _write(tmp, [d for plan_rows in per_db for d in _documents(plan_rows)], procs)
    finally:
        gc.unfreeze()
    hay = [normalise("\n".join((r["title"], r["text"], r["raw"], " ".join(r["names"])))).encode("utf-8") for r in rows]
    _write_hay(tmp, hay)
    if part is None and (keep_part or len(rows) >= EAGER_DERIVE_ITEMS):
        ix = whoosh_index(tmp)
        try:
            with ix.reader() as reader:
                part = search_parts.extract(reader)
        finally:
            ix.close()
    if keep_part and part is not None:
        search_parts.save(part, tmp)
    if part is not None and len(rows) >= EAGER_DERIVE_ITEMS:
        write_derived(tmp, [part])
    _finish(tmp, index_dir)


def _write(folder: Path, docs: list[dict[str, Any]], procs: int) -> search_parts.Part | None:
    """The whoosh index of these documents in folder: one writer, one commit. In one process its postings are
    written from memory (kb.search.segment) and the part is made from them; procs > 1: whoosh's own writer in that
    many processes (no part: read it back)."""
    ix = windex.create_in(str(folder), schema(), indexname=INDEX_NAME)
    try:
        if procs > 1:
            writer = ix.writer(limitmb=128, codec=W3Codec(**CODEC), procs=procs, multisegment=True)
        else:
            writer = ix.writer(codec=W3Codec(**CODEC))
            writer.pool.cleanup()
            writer.pool = segment.MemoryPool()
        try:
            if procs > 1:
                for doc in docs:
                    writer.add_document(**doc)
            else:
                lengths = segment.add_documents(writer, docs)
        except BaseException:
            writer.cancel()
            raise
        if procs > 1:
            writer.commit()
            return None
        written = segment.commit(writer, lengths)
    finally:
        ix.close()
    n = len(docs)
    cols = {f: [d[f] for d in docs] for f in ("item", "level", *search_parts.COLUMNS)}
    return search_parts.from_postings(n, cols, written, lengths, ix.schema["has_ind"].to_bytes(True))


def _write_hay(folder: Path, hay: list[bytes]) -> None:
    """Each item's normalised text, in whoosh's item order: one blob and its offsets."""
    hay_ptr = np.zeros(len(hay) + 1, dtype=np.int64)
    np.cumsum([len(h) for h in hay], out=hay_ptr[1:])
    (folder / "hay.bin").write_bytes(b"".join(hay))
    np.save(folder / "hay_ptr.npy", hay_ptr)


def _finish(tmp: Path, index_dir: Path) -> None:
    """Rename the folder written aside into place."""
    if index_dir.exists():
        shutil.rmtree(index_dir)
    tmp.rename(index_dir)


def assemble_index(parts: list[Path], index_dir: Path, previous: Path | None = None) -> None:
    """One index of record from per-plan indexes (kb.build_cache): their segment files linked in, in this order,
    under one table of contents, and their items' normalised texts joined. Nothing is re-analysed or re-sorted:
    whoosh reads the segments as one index, and the score arrays are combined from the parts saved beside the
    segments (kb.search.parts: numpy over stored postings) with the scores and numbering of a single write.
    previous: the live index, whose term numbering of the parts both share is reused (kb.search.arrays).
    """
    index_dir = Path(index_dir)
    tmp = index_dir.with_name(index_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    segments, hay, ptrs, schema_, loaded = [], [], [], None, []
    for part in parts:
        store = FileStorage(str(part))
        toc = TOC.read(store, INDEX_NAME)
        schema_ = schema_ or toc.schema
        for seg in toc.segments:
            for name in seg.list_files(store):
                _link(part / name, tmp / name)
            segments.append(seg)
        hay.append((part / "hay.bin").read_bytes())
        ptrs.append(np.load(part / "hay_ptr.npy"))
        loaded.append(search_parts.SavedPart(part))
    if schema_ is None:
        windex.create_in(str(tmp), schema(), indexname=INDEX_NAME).close()
    else:
        TOC(schema_, segments, 1).write(FileStorage(str(tmp)), INDEX_NAME)
    starts = np.cumsum([0] + [int(p[-1]) for p in ptrs])
    hay_ptr = np.concatenate([np.zeros(1, dtype=np.int64)] + [p[1:] + s for p, s in zip(ptrs, starts, strict=False)])
    (tmp / "hay.bin").write_bytes(b"".join(hay))
    np.save(tmp / "hay_ptr.npy", hay_ptr.astype(np.int64))
    write_derived(tmp, loaded, previous)
    _finish(tmp, index_dir)


def _link(src: Path, dest: Path) -> None:
    """A hard link (cache files are never changed in place), or a copy across file systems."""
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)
