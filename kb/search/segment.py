"""One whoosh segment written from postings held in memory: each document goes into whoosh's per-document writer as
whoosh's add_document puts it (stored fields, columns, lengths; the same analysers, a value analysed once per
analyser), its postings into an in-memory pool grouped by field and term, written a term at a time in term order
(the bytes whoosh's codec writes, without its per-posting calls and its looking every document's length up again in
the segment just written); the postings are kept, so the index's part (kb.search.parts) is made from them instead of
reading the segment back. tests/test_index_segment.py checks that every file of the segment has the bytes whoosh's
own writer gives it."""

from __future__ import annotations

import zlib
from array import array
from collections import Counter
from pickle import dumps
from typing import Any

import numpy as np
from whoosh.analysis import CompositeAnalyzer, StopFilter
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.filedb.filetables import _lengths as _LENGTHS
from whoosh.formats import Frequency
from whoosh.system import pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.util.numlists import delta_encode

from kb.search.analysis import PiecesTokenizer
from kb.search.parts import quantised

_TERMINFO = W3TermInfo._struct  # its fields before the extent: inlined, weight, df, lengths, max weight, ids


class MemoryPool:
    """whoosh's posting pool for a segment that fits in memory: per field, per term its doc numbers, weights and value
    bytes, appended in document order, so writing needs only the terms sorted (no sort of every posting)."""

    def __init__(self) -> None:
        self.fields: dict[str, dict[bytes, tuple[list[int], list[float], list[bytes]]]] = {}

    def add(self, item: tuple) -> None:
        """One posting as whoosh adds it: (field name, term bytes, doc number, weight, value bytes)."""
        name, tbytes, docnum, weight, vbytes = item
        _append(self.fields.setdefault(name, {}), ((tbytes, 1, weight, vbytes),), docnum)

    def cleanup(self) -> None:
        pass


def _append(terms: dict, items, docnum: int) -> int:
    """One document's postings of a field, (term bytes, frequency, weight, value bytes) each, into the field's
    terms; returns the frequencies' sum (the field's length). One call per field value: it runs per posting."""
    length = 0
    for tbytes, freq, weight, vbytes in items:
        length += freq
        got = terms.get(tbytes)
        if got is None:
            terms[tbytes] = ([docnum], [weight], [vbytes])
        else:
            got[0].append(docnum)
            got[1].append(weight)
            got[2].append(vbytes)
    return length


def add_documents(writer, docs: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """whoosh's SegmentWriter.add_document for each document, its postings into the writer's pool (this schema has no
    boosts, vectors or spelling fields), except that a text value is analysed once per analyser: an item's raw text
    is mostly its repaired text, a one-clause item's clause is its text. Returns each field's length per document."""
    schema, pdw, pool = writer.schema, writer.perdocwriter, writer.pool.fields
    lengths: dict[str, np.ndarray] = {}
    seen: dict[tuple, list[tuple[bytes, int, float, bytes]]] = {}  # see _analysed
    for docnum, doc in enumerate(docs):
        pdw.start_doc(docnum)
        for name in sorted(doc):
            value = doc[name]
            if value is None:
                continue
            field = schema[name]
            length = 0
            if field.indexed:
                if type(field.format) is Frequency:
                    items = _analysed(field, value, seen)
                else:  # an ID, keyword or boolean value (a plan id, a kind) repeats in most documents: indexed once
                    key = (name, value)
                    if key not in seen:
                        seen[key] = list(field.index(value))
                    items = seen[key]
                total = _append(pool.setdefault(name, {}), items, docnum)
                if field.scorable:
                    length = total
            pdw.add_field(name, field, value if field.stored else None, length)
            if length:
                lengths.setdefault(name, np.zeros(len(docs), dtype=np.int64))[docnum] = length
            if field.column_type:
                pdw.add_column_value(name, field.column_type, field.to_column_value(value))
        pdw.finish_doc()
        writer.docnum += 1
        writer._added = True
    return lengths


def _analysed(field, value: str, seen: dict) -> list[tuple[bytes, int, float, bytes]]:
    """field.index(value) for a Frequency field (Frequency.word_values), taken from seen when another field or
    document with that analyser and field boost had the same value."""
    key = (id(field.analyzer), field.format.field_boost, value)
    got = seen.get(key)
    if got is None:
        texts = _token_texts(field.analyzer, value)
        if texts is None:
            got = list(field.index(value))
        else:  # every token's boost is 1.0, so a term's weight is its frequency times the field boost
            fb = field.format.field_boost
            got = [(text.encode("utf-8"), n, n * fb, pack_uint(n)) for text, n in Counter(texts).items()]
        seen[key] = got
    return got


def _token_texts(analyzer, value: str) -> list[str] | None:
    """The texts of the tokens the analyser keeps of value, for this project's tokenizers alone or followed by a
    StopFilter, read from the tokenizer's words (no whoosh Token objects); None for any other analyser."""
    tok, stops = analyzer, None
    if isinstance(analyzer, CompositeAnalyzer) and len(analyzer.items) == 2:
        tok, stop = analyzer.items
        if type(stop) is not StopFilter or stop.min > 1 or stop.max is not None:
            return None
        stops = stop.stops
    if not isinstance(tok, PiecesTokenizer):
        return None
    words = tok.words(value)  # never empty words, so a minimum size of 1 stops none
    return words if stops is None else [w for w in words if w not in stops]


Written = dict[str, tuple[list[bytes], list[int], list[int], list[float]]]  # field: terms, counts, docs, weights


def commit(writer, lengths: dict[str, np.ndarray]) -> Written:
    """Finish a new index's only segment (whoosh's SegmentWriter.commit with no earlier segments and a MemoryPool),
    its postings written term by term; returns per field its terms, postings per term, doc numbers and weights."""
    writer._check_state()
    written: Written = {}
    if writer._added:
        pdw = writer.perdocwriter
        pdw.close()
        n = writer.docnum
        none = np.zeros(n, dtype=np.int64)
        fl = {f: quantised(lengths.get(f, none)).tolist() for f in writer.schema.names()}
        _write(writer.fieldwriter, writer.schema, writer.pool.fields, fl, written)
        writer.fieldwriter.close()
        writer._close_segment()
        writer._assemble_segment()
        segments = [writer.get_segment()]
    else:
        writer._close_segment()
        segments = []
    writer._commit_toc(segments)
    writer._finish()
    return written


def _write(fieldwriter, schema, pool: dict[str, dict], fl: dict[str, list[int]], written: Written) -> None:
    """whoosh's FieldWriter.add_postings over the pool's fields and terms in order, each term's postings made whole
    (_postings), a field's posting blocks written in one piece and its term infos added to the term table in one
    batch (_add_terms)."""
    post = fieldwriter._postfile
    for field in sorted(pool):
        by_term = pool[field]
        if not by_term:
            continue
        fieldwriter.start_field(field, schema[field])
        pw = fieldwriter._postwriter  # the field's postings writer: its block size and compression
        limit, comp = pw._blocklimit, pw._compression
        fixed = schema[field].format.fixed_value_size()
        prefix = pack_ushort(fieldwriter._fieldid)
        lengths = fl[field]
        bytelen = [length_to_byte(n) for n in lengths]  # monotonic: the byte of a min is the min of the bytes
        terms, counts, docs, weights = written.setdefault(field, ([], [], [], []))
        blocks: list[bytes] = []
        keys: list[bytes] = []
        infos: list[bytes] = []
        at = post.tell()
        for text in sorted(by_term):
            ids, ws, vs = by_term[text]
            block, info = _postings(ids, ws, vs, lengths, bytelen, limit, comp, fixed)
            blocks.append(block)
            keys.append(prefix + text)
            infos.append(info + pack_long(at) + pack_int(len(block)))  # W3TermInfo.to_bytes' extent
            at += len(block)
            terms.append(text)
            counts.append(len(ids))
            docs.extend(ids)
            weights.extend(ws)
        post.write(b"".join(blocks))
        _add_terms(fieldwriter._tindex, keys, infos)
        fieldwriter.finish_field()


def _add_terms(tindex, keys: list[bytes], values: list[bytes]) -> None:
    """OrderedHashWriter.add for each (key, value) in order, the rows written in one piece: each row's position
    into the ordered index and its key's hash into its bucket, as add records them."""
    if not keys:
        return
    if keys[0] <= tindex.lastkey:
        raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{keys[0]!r}")
    dbfile, hashfn, buckets = tindex.dbfile, tindex.hashfn, tindex.buckets
    pos = dbfile.tell()
    rows, positions = [], []
    for key, value in zip(keys, values, strict=True):
        positions.append(pos)
        h = hashfn(key)
        buckets[h & 255].append((h, pos))
        row = _LENGTHS.pack(len(key), len(value)) + key + value
        rows.append(row)
        pos += len(row)
    dbfile.write(b"".join(rows))
    tindex.index.extend(positions)
    tindex.lastkey = keys[-1]


def _postings(
    ids: list[int],
    ws: list[float],
    vs: list,
    lengths: list,
    bytelen: list,
    limit: int,
    comp: int,
    fixed: int | None,
) -> tuple[bytes, bytes]:
    """One term's posting blocks and its term info without the extent: the bytes W3PostingsWriter (start_postings,
    add_posting per posting, finish_postings: blocks of its block size, the last one's length negated) and
    W3TermInfo.to_bytes give them, without their per-posting calls and checks."""
    if len(ids) == 1:
        return _one_posting(ids[0], ws[0], vs, lengths, bytelen, comp, fixed)
    out = [WHOOSH3_HEADER_MAGIC]
    weight, minbyte, maxbyte = 0.0, 0, 0
    maxweight: float = 0
    n = len(ids)
    for at in range(0, n, limit):
        if n <= limit:  # nearly every term of a plan's segment: one block, no slices
            bids, bws, bvs = ids, ws, vs
        else:
            bids, bws, bvs = ids[at : at + limit], ws[at : at + limit], vs[at : at + limit]
        stored = array("f", bws)
        # The block's shortest and longest document (whoosh skips documents of length 0), as length bytes
        got = [bytelen[d] for d in bids if lengths[d]]
        bmin, bmax = (min(got), max(got)) if got else (0, 0)
        bmaxw = max(0, max(bws))
        # W3TermInfo.add_block's statistics
        weight += sum(stored)
        if got:
            minbyte = bmin if not minbyte else min(minbyte, bmin)
        maxbyte = max(maxbyte, bmax)
        maxweight = max(maxweight, bmaxw)
        # W3PostingsWriter._write_block: minified ids, weights and values, pickled, then the block's info
        if fixed is None or fixed < 0:
            mini_values: Any = tuple(v for v in bvs if v)
        else:
            mini_values = None if fixed == 0 else b"".join(bvs)
        data = dumps((tuple(delta_encode(bids)), _mini_weights(stored), mini_values), 2)
        if comp:
            data = zlib.compress(data, comp)
        head = dumps((len(bids), bids[-1], bmaxw, comp, bmin, bmax), 2)
        size = len(head) + len(data)
        out += (pack_int(-size if at + limit >= n else size), head, data)
    info = _TERMINFO.pack(False, weight, n, minbyte, maxbyte, maxweight, ids[0], ids[-1])
    return b"".join(out), info


def _one_posting(
    doc: int, w: float, vs: list, lengths: list, bytelen: list, comp: int, fixed: int | None
) -> tuple[bytes, bytes]:
    """_postings of a term with one posting (a third of a plan's terms), without the general case's lists."""
    stored = array("f", (w,))[0]  # the weight as whoosh stores it
    b = bytelen[doc] if lengths[doc] else 0
    maxw = max(0, w)
    if fixed is None or fixed < 0:
        mini_values: Any = tuple(v for v in vs if v)
    else:
        mini_values = None if fixed == 0 else vs[0]
    data = dumps(((doc,), None if stored == 1.0 else stored, mini_values), 2)
    if comp:
        data = zlib.compress(data, comp)
    head = dumps((1, doc, maxw, comp, b, b), 2)
    block = b"".join((WHOOSH3_HEADER_MAGIC, pack_int(-(len(head) + len(data))), head, data))
    return block, _TERMINFO.pack(False, stored, 1, b, b, maxw, doc, doc)


def _mini_weights(weights: array) -> Any:
    """W3PostingsWriter._mini_weights: None when all are 1, the one value when all are equal, else every value."""
    first = weights[0]
    if weights.count(first) == len(weights):
        return None if first == 1.0 else first
    return tuple(weights)
