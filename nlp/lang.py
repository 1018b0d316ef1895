"""Lazily loaded Chinese language tools: jieba with the project's user dictionary, spaCy blank zh."""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import os
import tempfile
import threading
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"
_lock = threading.Lock()


def data_path(name: str) -> Path:
    """Path of a language-data file under nlp/data/."""
    return DATA_DIR / name


@cache
def read_json(name: str) -> Any:
    """A JSON data file under nlp/data/, parsed once per process (treat it as read-only)."""
    return json.loads(data_path(name).read_text(encoding="utf-8"))


def read_lines(name: str) -> list[str]:
    """Non-empty, non-comment lines of a data file."""
    lines = data_path(name).read_text(encoding="utf-8").splitlines()
    return [ln.rstrip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


@lru_cache(maxsize=1)
def _repair_scores() -> dict[str, float]:
    rows = (ln.split("\t")[:2] for ln in read_lines("repair_scores.tsv"))
    return {k: float(v) for k, v in rows}


def repair_scores(prefix: str) -> dict[str, float]:
    """The measured thresholds and rates of nlp/data/repair_scores.tsv whose names start with `prefix`."""
    return {k: v for k, v in _repair_scores().items() if k.startswith(prefix)}


@lru_cache(maxsize=1)
def jieba_tokenizer():
    """The jieba Tokenizer: the policy-term user dictionary and every registry name form (built once, then fixed)."""
    import jieba

    from nlp.mentions import name_forms  # late: mentions reads the registry through this module

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    _initialize(tok)
    for line in read_lines("userdict.txt"):
        parts = line.split()
        tok.add_word(parts[0], int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 2000)
    # Department names join the dictionary here, before any cut, and nothing is added later: every added word moves
    # jieba's total and so its routes, and names added by the first plan's tagging changed how every later plan in
    # the process was cut (its repairs, clauses and ids depended on what the process had analysed before).
    with _lock:
        for w in name_forms():
            tok.add_word(w, 5000)
    return tok


def _initialize(tok: Any) -> None:
    """jieba's prefix dictionary, exactly as tok.initialize() builds it, read from a snapshot once one is written.

    jieba reads its own cache file with marshal.load on the open file, object by object (~0.9 CPU-s); the same
    data unmarshalled from bytes read in one piece takes ~0.3, which every cold `kb add` and pool worker pays.
    """
    import jieba

    src = Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME
    st = src.stat()
    key = hashlib.sha1(f"{jieba.__version__}|{src}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]
    snap = Path(tempfile.gettempdir()) / f"plan-kb-jieba-{key}.marshal"
    try:
        tok.FREQ, tok.total = marshal.loads(snap.read_bytes())
        tok.initialized = True
        return
    except (OSError, EOFError, ValueError, TypeError):  # no snapshot yet, or a damaged one: build it as jieba does
        pass
    tok.initialize()
    try:
        fd, tmp = tempfile.mkstemp(dir=snap.parent, prefix=snap.name)
    except OSError:  # an unwritable temp dir only costs the next process the slower load
        return
    try:  # written whole, then renamed: a concurrent reader sees the old snapshot or the new one
        with os.fdopen(fd, "wb") as f:
            f.write(marshal.dumps((tok.FREQ, tok.total)))
        os.replace(tmp, snap)
    except OSError:  # e.g. another user's snapshot in a shared temp dir: keep theirs, leave nothing behind
        Path(tmp).unlink(missing_ok=True)


def cut(text: str, search: bool = False) -> list[str]:
    """Segment text with the project dictionary; search=True gives jieba's search-mode (overlapping) cut."""
    return list(_cut(text, search))


@lru_cache(maxsize=16384)
def _cut(text: str, search: bool) -> tuple[str, ...]:
    """jieba's cut, remembered: the dictionary is fixed once built, and about half of what a plan's analysis cuts
    (clauses, item bodies, names) is cut again by a later stage."""
    tok = jieba_tokenizer()
    return tuple(tok.cut_for_search(text) if search else tok.cut(text, HMM=True))


@lru_cache(maxsize=1)
def spacy_nlp():
    """spaCy blank zh whose tokenizer is the project's jieba (so registry names stay whole)."""
    import spacy
    from spacy.tokens import Doc

    nlp = spacy.blank("zh")
    vocab = nlp.vocab

    class JiebaTokenizer:
        def __call__(self, text: str) -> Doc:
            words = [w for w in cut(text) if w]
            return Doc(vocab, words=words, spaces=[False] * len(words))

        def to_bytes(self, **_):
            return b""

        def from_bytes(self, _b, **_):
            return self

        def to_disk(self, *_a, **_k):
            return None

        def from_disk(self, *_a, **_k):
            return self

    nlp.tokenizer = JiebaTokenizer()
    return nlp
