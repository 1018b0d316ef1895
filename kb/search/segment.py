"""One whoosh segment written from postings held in memory: whoosh's writer takes every document as before (the same
analyser, stored fields, columns and lengths), but its postings go to an in-memory pool, are sorted once and handed to
whoosh's codec a block at a time (instead of posting by posting, each looking its document's length up again in the
segment just written); the postings are kept, so the index's part (kb.search.parts) is made from them instead of
reading the segment back. The files are whoosh's own (its block and term writers); tests/test_index_segment.py checks
that a whoosh reader sees the same index as one written by whoosh's writer."""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter
from typing import Any

import numpy as np

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
    """whoosh's FieldWriter.add_postings, each term's postings put into the postings writer's block whole."""
    for field, in_field in groupby(items, key=itemgetter(0)):
        fieldwriter.start_field(field, schema[field])
        lengths = fl[field]
        terms, counts, docs, weights = written.setdefault(field, ([], [], [], []))
        for text, postings in groupby(in_field, key=itemgetter(1)):
            rows = list(postings)
            fieldwriter.start_term(text)
            pw = fieldwriter._postwriter
            ids = [r[2] for r in rows]
            ws = [r[3] for r in rows]
            vs = [r[4] for r in rows]
            limit = pw._blocklimit
            for at in range(0, len(rows), limit):
                if at:
                    pw._write_block()  # a full block, as add_posting writes it when the next posting comes
                _fill(pw, ids[at : at + limit], ws[at : at + limit], vs[at : at + limit], lengths)
            fieldwriter.finish_term()
            terms.append(text)
            counts.append(len(rows))
            docs.extend(ids)
            weights.extend(ws)
        fieldwriter.finish_field()


def _fill(pw, ids: list[int], weights: list[float], values: list[bytes | None], lengths: list[int]) -> None:
    """Put one block's postings into whoosh's postings writer, with the statistics add_posting would keep."""
    pw._ids = array("I", ids)
    pw._weights = array("f", weights)
    pw._values = [v for v in values if v]
    pw._maxweight = max(0, max(weights))
    got = [ln for ln in map(lengths.__getitem__, ids) if ln]
    pw._minlength = min(got) if got else None
    pw._maxlength = max(got) if got else 0
