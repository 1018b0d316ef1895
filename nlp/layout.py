"""Layout normalisation: a visible, reversible stage between reading a file and segmenting it.

Readers give text whose line breaks may not be the plan's: PDF and narrow pages hard-wrap paragraphs, document
viewers put a whole plan on one line, Word and web pages put an item's number on a line of its own, and PDF
extraction puts spaces between the characters of a word. Each fix is an edit of the read text (a Repair of kind
"layout" with offsets into that text), so the normalised text maps back to what was read, and the parse report
can list every change. A line-structured plan gets no edits at all.
"""

from __future__ import annotations

import itertools
import re
import statistics
from functools import lru_cache

from nlp.headings import meaning, vocabulary
from nlp.lang import read_lines
from nlp.model import Repair
from nlp.numerals import CN_CLASS, cn_number
from nlp.reader import for_parsing
from nlp.repair import apply_repairs

RUN_ON_MIN = 200  # a line this long holding several heading/number boundaries is run-on text
RUN_ON_MARKERS = 3
WRAP_MAX_WIDTH = 120  # hard-wrapped pages are narrow: display width (CJK = 2) of a full line
WRAP_FULL = 0.8  # a line at least this share of the wrap width was cut by the page, not by the author
WRAP_SHARE = 0.4  # … and a text is hard-wrapped when this share of its lines are full
_CJK = r"[\u4e00-\u9fff]"
_SPACED = re.compile(rf"(?<={_CJK})[ \t]{{1,2}}(?={_CJK})")
_OPEN_END = re.compile(r"[《“(【〔、,]$")
_STOP_END = re.compile(r"[。;!?:”」)》]$")


@lru_cache(maxsize=1)
def _markers() -> re.Pattern:
    """Heading and numbering boundaries of the genre inside running text (block words from structure.tsv)."""
    blocks = "|".join(ln.split("\t")[1] for ln in read_lines("structure.tsv") if ln.startswith("inline\t"))
    return re.compile(
        rf"(?P<sec>(?P<secn>{CN_CLASS})、|第(?P<chap>{CN_CLASS}|\d+)[章节])"
        rf"|(?P<sub>[(](?P<subn>{CN_CLASS})[)])"
        rf"|(?P<blk>(?:{blocks})(?=\s*[::]|\s*\d{{1,2}}[.、]|\s*[(]\d))"
        r"|(?P<item>(?:(?P<itemn>\d{1,2})[.、](?!\.)|[(](?P<itemp>\d{1,2})[)]))"
    )


@lru_cache(maxsize=1)
def _block_title() -> re.Pattern:
    """A numbered heading's title that is a block word closed by a stop ("(二)策略措施。"), with its spaces."""
    blocks = "|".join(ln.split("\t")[1] for ln in read_lines("structure.tsv") if ln.startswith("inline\t"))
    return re.compile(rf"(?:{blocks})[。.::]\s*(?=\S)")


# Run-on text holds headings, not only item numbers (a paragraph with (1)(2)(3) inside is not run-on).
_STRUCTURE = re.compile(
    rf"(?:^|[\s。;:])(?:{CN_CLASS}、|[(]{CN_CLASS}[)]|第{CN_CLASS}[章节])|(?:主要目标|策略措施|政策措施)(?:[::]|\d{{1,2}}[.、](?!\d))"
)
_LIST_NUMBER = re.compile(r"(?:^|[。;\s])(\d{1,2})[.、](?!\d)")
_HEADING_THEN_TEXT = re.compile(r"[^\s。,;::]{2,20}\s+(?=\S)")
_BOUNDARY_BEFORE = re.compile(r"[。;!?::\s)”」]$")


def _fix(raw: str, start: int, end: int, after: str, rule: str) -> Repair:
    return Repair(start, end, raw[start:end], after, rule, "layout", 1.0, True, f"layout-{rule}-{start}")


def _glued_domain(parse: str, start: int) -> int | None:
    """End of a domain title glued to its prose ("一、儿童与健康改善儿童…" → after 健康), else None."""
    for pattern, _m in vocabulary().get("inline_domain", []):
        m = pattern.match(parse[start:])
        rest = parse[start + m.end() : start + m.end() + 1] if m else ""
        if m and rest and not re.match(r"[\s。.::,;、)]", rest):
            return start + m.end()
    return None


def _domain_next(parse: str, start: int) -> bool:
    """A domain title (儿童与家庭, 妇女与健康 …) follows the marker, after any spaces."""
    rest = parse[start:].lstrip()
    return any(p.match(rest) for p, _m in vocabulary().get("inline_domain", []))


def _bare_ok(parse: str, m: re.Match, later: list[re.Match]) -> bool:
    """A marker glued to the text before it (no stop or space): the genre's shape must vouch for it.

    Text copied with every line break removed keeps no separator, so the numbering sequence is the only
    constraint; this rejects the in-sentence look-alikes of a due number: an enumeration (一、二、三级), a figure
    (6.5岁) unless no rival for the number comes before the next one, a number's tail (2010.), a citation (第(二)项).
    """
    at, end = m.start(), m.end()
    prev = parse[at - 1 : at]
    if m.group("sec"):
        return prev not in "、" + CN_CLASS and not re.match(CN_CLASS + "[、]", parse[end:])
    if m.group("sub"):
        return prev not in "第条款项"
    if m.group("blk"):
        return True
    if prev.isdigit() or prev == ".":
        return False
    if not parse[end : end + 1].isdigit():
        return True
    n = int(m.group("itemn") or m.group("itemp"))
    for nxt in later:  # 6.5岁 is item 6 when no other 6. comes before 7.; a structure boundary ends the look
        if not (nxt.group("itemn") or nxt.group("itemp")):
            return True
        k = int(nxt.group("itemn") or nxt.group("itemp"))
        if k == n + 1:
            return True
        if k == n:
            return False
    return True


def _split_points(line: str, whole_line_run_on: bool) -> list[int]:
    """Offsets in line where a heading, block word or the next item number starts a new line."""
    points: list[int] = []
    sec = sub = item = 0
    block_end = -1
    parse = for_parsing(line)
    found = list(_markers().finditer(parse))
    for i, m in enumerate(found):
        at = m.start()
        before = parse[:at]
        digit_ok = m.group("sec") or m.group("sub")  # a TOC page number may precede the next heading
        bare = False
        if not before.strip():
            at = 0  # the line's own first marker: nothing to split
        elif not (_BOUNDARY_BEFORE.search(before) or (digit_ok and before[-1:].isdigit())):
            if not whole_line_run_on or not _bare_ok(parse, m, found[i + 1 :]):
                continue
            bare = True  # no separator at all: only the number due next in its sequence splits
        # An excerpt may skip headings ((三) … (五)儿童与家庭): a later number is taken when a domain title follows.
        jump = _domain_next(parse, m.end())
        if m.group("sec"):
            n = cn_number(m.group("secn") or m.group("chap"))
            ok = whole_line_run_on and (n == sec + 1 or (n > sec and jump) or (not bare and (n == 1 or not sec)))
            sec, sub, item = (n, 0, 0) if ok else (sec, sub, item)
        elif m.group("sub"):
            n = cn_number(m.group("subn"))
            ok = whole_line_run_on and (n == sub + 1 or (n > sub and jump) or (not bare and (n == 1 or not sub)))
            sub, item = (n, 0) if ok else (sub, item)
        elif m.group("blk"):
            ok, item = whole_line_run_on, 0 if whole_line_run_on else item
            block_end = m.end() if ok else block_end
        else:
            n = int(m.group("itemn") or m.group("itemp"))
            figure = parse[m.end() : m.end() + 1].isdigit()  # 3.5岁以下: item 3 only where 3 is due
            # Numbers continue their sequence; a figure after a stop (。2.5万) does not. The number right after a
            # block word starts its list whatever it is (策略措施14、: an excerpt's list may start at 14).
            fresh = (n == 1 or not item) if not bare else at == block_end
            ok = n == item + 1 or (whole_line_run_on and not figure and fresh)
            item = n if ok or (at == 0) else item
        if ok and at:
            points.append(at)
        if ok and whole_line_run_on and (m.group("sec") or m.group("sub")):
            # "一、儿童与健康 改善…": a heading followed by its text after a space ends at the space.
            head = _HEADING_THEN_TEXT.match(parse, m.end())
            if head and not parse[head.end() : head.end() + 1].isdigit():
                points.append(head.end())
            elif block := _block_title().match(parse, m.end()):
                points.append(block.end())  # "(二)策略措施。妇女与男子…": the block heading ends at its stop
            elif not head and (title := _glued_domain(parse, m.end())):
                points.append(title)
    return sorted(set(points))


def _numbered_run(text: str) -> bool:
    """Three items numbered in sequence after stops or spaces (9. … 10. … 11.): a list run together."""
    numbers = [int(n) for n in _LIST_NUMBER.findall(text)]
    return any(b == a + 1 and c == b + 1 for a, b, c in zip(numbers, numbers[1:], numbers[2:], strict=False))


def _line_split(raw: str, start: int, line: str) -> list[Repair]:
    """Split a run-on line (or two items glued on one line) at the genre's boundaries."""
    parse = for_parsing(line)
    run_on = len(line) >= RUN_ON_MIN and (bool(_STRUCTURE.search(parse)) or _numbered_run(parse))
    points = _split_points(line, run_on)
    if run_on and len(points) < RUN_ON_MARKERS:
        points = _split_points(line, False)
    fixes = []
    for at in points:
        ws = len(line[:at]) - len(line[:at].rstrip())  # the spaces that separated the parts become the break
        fixes.append(_fix(raw, start + at - ws, start + at, "\n", "run_on_split"))
    return fixes


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _wrap_width(lines: list[str]) -> int | None:
    """The page width of a hard-wrapped text (display units), or None when lines are the author's."""
    widths = [_width(ln) for ln in lines if len(ln) >= 8]
    if len(widths) < 10:
        return None
    top = statistics.quantiles(widths, n=10)[-1]
    full = sum(1 for w in widths if w >= WRAP_FULL * top)
    return int(top) if top <= WRAP_MAX_WIDTH and full >= WRAP_SHARE * len(widths) else None


def _is_marker_only(text: str) -> bool:
    m = _markers().fullmatch(for_parsing(text).strip())
    return m is not None and not m.group("blk")


def _starts_structure(text: str) -> bool:
    """A line that begins a heading or a numbered item (never glued to the line before)."""
    m = _markers().match(for_parsing(text))
    return bool(m) or (len(text) <= 12 and not re.search(r"[。,;]", text) and not _OPEN_END.search(text))


def _is_heading_word(text: str) -> bool:
    """A line that is a heading of the genre's vocabulary (主要目标, 前言, 总目标 …), never a continuation."""
    c = "".join(text.split()).rstrip("。.::")
    return any(meaning(level, c) for level in ("section", "block", "domain")) and len(c) <= 16


def _joins(raw: str, lines: list[tuple[int, str]], wrap: int | None) -> list[Repair]:
    """Rejoin lines the page broke: marker-only lines, lines ending open, full lines of a hard-wrapped text."""
    fixes = []
    for (s0, a), (s1, b) in itertools.pairwise(lines):
        sa, sb = a.strip(), b.strip()
        if not sa or not sb:
            continue
        adjacent = raw.count("\n", s0, s1) == 1
        if _is_marker_only(sa):
            join = not _is_marker_only(sb)
        elif _markers().match(for_parsing(sb)) or _is_heading_word(sb):
            join = False
        elif wrap and adjacent and not _STOP_END.search(sa) and _width(sa) >= WRAP_FULL * wrap:
            join = True  # the page cut this line: the next one, however short, continues it
        else:
            join = not _starts_structure(sb) and bool(_OPEN_END.search(sa))
        if join:
            end_a = s0 + len(a.rstrip())
            start_b = s1 + len(b) - len(b.lstrip())
            cjk = re.match(_CJK, raw[end_a - 1 : end_a] or " ") or re.match(_CJK, raw[start_b : start_b + 1])
            fixes.append(_fix(raw, end_a, start_b, "" if cjk or _is_marker_only(sa) else " ", "hard_wrap"))
    return fixes


def _word_spaces(raw: str, start: int, line: str, pdf: bool) -> list[Repair]:
    """Spaces between two characters of a word (PDF letter spacing): removed in PDF text or letter-spaced lines."""
    found = list(_SPACED.finditer(line))
    cjk = len(re.findall(_CJK, line))
    if not found or not (pdf or len(found) >= max(3, cjk // 2)):
        return []
    return [_fix(raw, start + m.start(), start + m.end(), "", "word_space") for m in found]


def _lines_of(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for chunk in text.split("\n"):
        out.append((pos, chunk))
        pos += len(chunk) + 1
    return out


def normalise(raw: str, form: str = "txt") -> list[Repair]:
    """Layout edits of the text a reader produced (empty for a line-structured plan).

    Lines the page broke are joined first; run-on splits and word spaces are then found on the joined text
    (a PDF of run-on text wraps it over many lines) and mapped back to the text as read.
    """
    lines = _lines_of(raw)
    wrap = _wrap_width([ln.strip() for _s, ln in lines])
    joins = _joins(raw, [(s, ln) for s, ln in lines if ln.strip()], wrap)
    joined, jmap = apply_repairs(raw, joins)
    edits: list[Repair] = []
    for start, line in _lines_of(joined):
        splits = _line_split(joined, start, line)
        edits += splits
        taken = {f.start for f in splits}
        edits += [f for f in _word_spaces(joined, start, line, form == "pdf") if f.start not in taken]
    fixes = list(joins)
    for e in edits:
        s0, s1 = jmap.to_raw(e.start), jmap.to_raw(e.end)
        touching = [j for j in fixes if j.rule == "hard_wrap" and s0 <= j.end and j.start <= s1]
        if touching:  # a split where the page broke the line: the break was a real one, keep it
            fixes = [j for j in fixes if j not in touching]
            continue
        fixes.append(_fix(raw, s0, s1, e.after, e.rule))
    fixes.sort(key=lambda f: (f.start, f.end))
    kept: list[Repair] = []
    for f in fixes:  # edits never overlap, so the map back to the read text stays exact
        if not kept or f.start >= kept[-1].end:
            kept.append(f)
    return kept
