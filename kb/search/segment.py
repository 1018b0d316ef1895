"""One whoosh segment written from postings held in memory: whoosh's writer takes every document as before (the same
analyser, stored fields, columns and lengths), but its postings go to an in-memory pool, are sorted once and handed to
whoosh's codec a block at a time (instead of posting by posting, each looking its document's length up again in the
segment just written); the postings are kept, so the index's part (kb.search.parts) is made from them instead of
reading the segment back. The files are whoosh's own (its block and term writers); tests/test_index_segment.py checks
that a whoosh reader sees the same index as one written by whoosh's writer."""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter
from pickle import dumps
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.system import pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.util.numlists import delta_encode

from kb.search.parts import COLUMNS, quantised


class MemoryPool:
    """whoosh's posting pool for a segment that fits in memory: postings kept in a list, sorted once."""

    def __init__(self) -> None:
        self.items: list[tuple] = []
        self.add = self.items.append  # (field name, term bytes, doc number, weight, value bytes), as whoosh adds

    def iter_postings(self) -> Iterator[tuple]:
        self.items.sort()
        return iter(self.items)

    def cleanup(self) -> None:
        pass


class Recorded:
    """What one segment's documents gave besides their postings: each field's length per document (whoosh records
    them in its per-document writer, which is wrapped for it) and the column values the part needs."""

    def __init__(self, writer) -> None:
        self.lengths: dict[str, list[int]] = {}
        self.columns: dict[str, list[str]] = {f: [] for f in ("item", "level", *COLUMNS)}
        self._writer = writer
        self._add_field = writer.perdocwriter.add_field
        writer.perdocwriter.add_field = self._field

    def _field(self, fieldname: str, fieldobj, value, length: int) -> None:
        if length:
            got = self.lengths.setdefault(fieldname, [])
            got.extend([0] * (self._writer.docnum - len(got)))  # documents without this field
            got.append(length)
        self._add_field(fieldname, fieldobj, value, length)

    def document(self, doc: dict[str, Any]) -> None:
        for f, values in self.columns.items():
            values.append(doc[f])

    def field_lengths(self, fieldname: str, n: int) -> np.ndarray:
        got = self.lengths.get(fieldname, [])
        return np.array(got + [0] * (n - len(got)), dtype=np.int64)


Written = dict[str, tuple[list[bytes], list[int], list[int], list[float]]]  # field: terms, counts, docs, weights


def commit(writer, recorded: Recorded) -> Written:
    """Finish a new index's only segment (whoosh's SegmentWriter.commit with no earlier segments and a MemoryPool),
    its postings written term by term; returns per field its terms, postings per term, doc numbers and weights."""
    writer._check_state()
    written: Written = {}
    if writer._added:
        pdw = writer.perdocwriter
        pdw.close()
        n = writer.docnum
        fl = {f: quantised(recorded.field_lengths(f, n)).tolist() for f in writer.schema.names()}
        _write(writer.fieldwriter, writer.schema, writer.pool.iter_postings(), fl, written)
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


def _write(fieldwriter, schema, items: Iterator[tuple], fl: dict[str, list[int]], written: Written) -> None:
    """whoosh's FieldWriter.add_postings, each term's postings written whole (_term)."""
    for field, in_field in groupby(items, key=itemgetter(0)):
        fieldwriter.start_field(field, schema[field])
        pw = fieldwriter._postwriter  # the field's postings writer: its block size and compression
        fixed = schema[field].format.fixed_value_size()
        lengths = fl[field]
        terms, counts, docs, weights = written.setdefault(field, ([], [], [], []))
        for text, postings in groupby(in_field, key=itemgetter(1)):
            rows = list(postings)
            ids = [r[2] for r in rows]
            ws = [r[3] for r in rows]
            _term(fieldwriter, pw, fixed, text, ids, ws, [r[4] for r in rows], lengths)
            terms.append(text)
            counts.append(len(rows))
            docs.extend(ids)
            weights.extend(ws)
        fieldwriter.finish_field()


def _term(fw, pw, fixed: int | None, text: bytes, ids: list[int], ws: list[float], vs: list, lengths: list) -> None:
    """One term's postings and term info, the bytes W3PostingsWriter and W3FieldWriter write for them (start_term,
    add per posting, finish_term: blocks of its block size, the last one's length negated), without their per-posting
    calls and checks."""
    post = fw._postfile
    info = W3TermInfo()
    start = post.tell()
    post.write(WHOOSH3_HEADER_MAGIC)
    limit, comp = pw._blocklimit, pw._compression
    for at in range(0, len(ids), limit):
        bids, bws = ids[at : at + limit], ws[at : at + limit]
        stored = array("f", bws)
        got = [ln for ln in map(lengths.__getitem__, bids) if ln]
        minlength, maxlength, maxweight = (min(got) if got else None), (max(got) if got else 0), max(0, max(bws))
        # W3TermInfo.add_block's statistics
        info._weight += sum(stored)
        info._df += len(bids)
        info._minlength = minlength if info._minlength is None else min(info._minlength, minlength)
        info._maxlength = max(info._maxlength, maxlength)
        info._maxweight = max(info._maxweight, maxweight)
        if info._minid is None:
            info._minid = bids[0]
        info._maxid = bids[-1]
        # W3PostingsWriter._write_block: minified ids, weights and values, pickled, then the block's info
        values = [v for v in vs[at : at + limit] if v]
        if fixed is None or fixed < 0:
            mini_values: Any = tuple(values)
        else:
            mini_values = None if fixed == 0 else b"".join(values)
        data = dumps((tuple(delta_encode(bids)), _mini_weights(stored), mini_values), 2)
        if comp:
            data = zlib.compress(data, comp)
        head = dumps((len(bids), bids[-1], maxweight, comp, length_to_byte(minlength), length_to_byte(maxlength)), 2)
        size = len(head) + len(data)
        post.write_int(-size if at + limit >= len(ids) else size)
        post.write(head)
        post.write(data)
    info.set_extent(start, post.tell() - start)
    fw._tindex.add(pack_ushort(fw._fieldid) + text, info.to_bytes())


def _mini_weights(weights: array) -> Any:
    """W3PostingsWriter._mini_weights: None when all are 1, the one value when all are equal, else every value."""
    if all(w == 1.0 for w in weights):
        return None
    if all(w == weights[0] for w in weights):
        return weights[0]
    return tuple(weights)
