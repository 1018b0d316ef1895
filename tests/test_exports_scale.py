"""Downloads that scale: docx merges written as WordprocessingML (no python-docx recursion), a province-sized
department list renders, and the merges sit on the right cells."""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree

from kb.exports import Filters, build_tables, render
from kb.exports.docx import office_table
from kb.exports.table import Column, Row, Table
from kb.store import KB

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture
def kb(built_kb_env):
    with KB() as k:
        yield k


def _body(docx: bytes) -> list[list[etree._Element]]:
    """The first table's body rows (header row dropped) as lists of w:tc elements."""
    xml = etree.fromstring(zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml"))
    tbl = xml.find(f".//{W}tbl")
    return [tr.findall(f"{W}tc") for tr in tbl.findall(f"{W}tr")[1:]]


def _text(tc) -> str:
    return "\n".join("".join(t.text or "" for t in p.iter(f"{W}t")) for p in tc.findall(f"{W}p"))


def _vmerge(tc) -> str | None:
    el = tc.find(f"{W}tcPr/{W}vMerge")
    return None if el is None else el.get(f"{W}val", "continue")


def test_docx_merges_each_domain_run_in_the_xml(kb):
    tables = build_tables(kb, "plan", Filters())
    office = office_table(tables[0])
    rows = _body(render(tables, "docx"))
    assert len(rows) == len(office.rows) and all(len(r) == len(office.columns) for r in rows)
    runs = office.merge_runs()
    assert runs, "the plan list merges its 领域 column"
    expected: dict[tuple[int, int], str] = {}
    for ci, rs in runs.items():
        for a, b in rs:
            expected[(a, ci)] = "restart"
            expected.update({(r, ci): "continue" for r in range(a + 1, b + 1)})
    for ri, cells in enumerate(rows):
        for ci, tc in enumerate(cells):
            assert _vmerge(tc) == expected.get((ri, ci)), (ri, ci)
            assert tc.find(f"{W}tcPr/{W}gridSpan") is None  # nothing merges across columns
            if expected.get((ri, ci)) == "continue":
                assert _text(tc) == ""  # a covered cell is empty: Word shows the run's first cell
            else:
                assert _text(tc) == office.rows[ri].cells[ci]


def test_docx_bold_title_and_centred_short_columns(kb):
    tables = build_tables(kb, "plan", Filters(domain="health"))
    office = office_table(tables[0])
    task = next(i for i, c in enumerate(office.columns) if c.key == "task")
    rows = _body(render(tables, "docx"))
    titled = next(ri for ri, r in enumerate(office.rows) if r.title and r.cells[task].startswith(r.title))
    first_run = rows[titled][task].find(f"{W}p/{W}r")
    assert first_run.find(f"{W}rPr/{W}b") is not None and first_run.findtext(f"{W}t") == office.rows[titled].title
    no = next(i for i, c in enumerate(office.columns) if c.key == "no")
    assert rows[0][no].find(f"{W}p/{W}pPr/{W}jc").get(f"{W}val") == "center"


def _long_table(n: int) -> Table:
    """A department-sized list of n rows whose 领域 runs are long (what ended in a RecursionError)."""
    cols = [Column("序号", "no", 4, False), Column("领域", "domain", 10), Column("目标任务", "task", 60)]
    rows = [Row([str(i + 1), f"领域{i // 2000}", f"任务{i}\t(制表)  "], f"p:m{i}", title="") for i in range(n)]
    return Table("dept", "某部门任务分解表", "", "清单", cols, rows, ("domain",), meta={"date": "2026年1月1日"})


def test_a_province_sized_department_list_renders(monkeypatch):
    table = _long_table(6000)
    monkeypatch.setattr("kb.exports.docx.office_table", lambda t: t)  # the synthetic columns as they are
    rows = _body(render([table], "docx"))
    assert len(rows) == 6000
    assert [_vmerge(r[1]) for r in rows[1999:2002]] == ["continue", "restart", "continue"]
    tc = rows[5][2]
    assert [el.tag for el in tc.find(f"{W}p/{W}r")][1:] == [f"{W}t", f"{W}tab", f"{W}t"]  # a tab as python-docx
    assert tc.findall(f".//{W}t")[-1].get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"


@pytest.fixture
def own_reviews(built_kb, tmp_path, monkeypatch):
    from kb_helpers import data_dir_over

    return data_dir_over(built_kb, tmp_path, monkeypatch)


def test_a_download_is_rendered_once_per_state(own_reviews, renders):
    import datetime as dt

    from kb import exports, reviews
    from kb.exports.cache import cached_export

    calls = renders
    day = dt.date(2026, 1, 1)
    with KB() as kb:
        first = cached_export(kb, "plan", "csv", Filters(domain="health"), date=day)
        again = cached_export(kb, "plan", "csv", Filters(domain="health"), date=day)
        assert calls == ["csv"] and again.path == first.path and again.small() == first.small()
        cached_export(kb, "plan", "xlsx", Filters(domain="health"), date=day)  # another format: its own file
        cached_export(kb, "plan", "csv", Filters(domain="education"), date=day)  # another selection too
        assert calls == ["csv", "xlsx", "csv"]
        item = kb.items(domain="health")[0]["id"]
        reviews.add_note(item, "复核", "amy")  # a new review version: rendered again, with the change
        after = cached_export(kb, "plan", "csv", Filters(domain="health"), date=day)
        assert len(calls) == 4 and after.path != first.path
        plain = exports.export(kb, "plan", "csv", Filters(domain="health"), date=day)
        assert after.small() == plain.data and after.rows == plain.rows and after.filename == plain.filename


def test_an_unwritable_build_folder_still_downloads(own_reviews, monkeypatch):
    import datetime as dt

    from kb.exports.cache import cached_export

    def refuse(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("kb.exports.cache._write", refuse)
    day = dt.date(2026, 1, 2)
    with KB() as kb:
        got = cached_export(kb, "plan", "md", Filters(), date=day)
        assert got.path is None and got.small() == render(build_tables(kb, "plan", Filters(), date=day), "md")


def _sheets(data: bytes) -> dict:
    """Everything a reader sees of a workbook: per sheet its cells (value, font, fill, alignment, border, prefix),
    merges, row heights, column widths, panes, filter and print titles."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), rich_text=True)
    out = {}
    for ws in wb.worksheets:
        cells = {
            c.coordinate: (
                repr(c.value),  # a rich text with its runs and their fonts
                c.font.name,
                c.font.b,
                c.fill.fgColor.rgb,
                c.alignment.horizontal,
                c.alignment.wrap_text,
                c.border.left.style,
                c.quotePrefix,
                c.data_type,
            )
            for row in ws.iter_rows()
            for c in row
            if c.value is not None or c.has_style
        }
        out[ws.title] = {
            "cells": cells,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "heights": {k: v.height for k, v in ws.row_dimensions.items() if v.height},
            "widths": {k: v.width for k, v in ws.column_dimensions.items()},
            "panes": ws.freeze_panes,
            "filter": ws.auto_filter.ref,
            "titles": ws.print_title_rows,
            "landscape": ws.page_setup.orientation,
        }
    return out


@pytest.mark.slow
@pytest.mark.parametrize("constant_memory", [False, True])
def test_the_streamed_xlsx_holds_what_xlsxwriter_writes(kb, constant_memory):
    from kb.exports.xlsx import render_by_xlsxwriter

    tables = build_tables(kb, "plan", Filters(), per_dept_sheets=True)
    tables[0].rows[0].cells[2] = "=SUM(A1)"  # a formula-like cell keeps its quote prefix in both
    reference = render_by_xlsxwriter(tables, constant_memory=constant_memory)
    streamed = render(tables, "xlsx")
    assert (b"xl/sharedStrings.xml" in reference) is not constant_memory  # really the other mode
    assert _sheets(streamed) == _sheets(reference)


LONG = "长" * 40000  # past Excel's 32,767 characters per cell: cut to the limit, as xlsxwriter cuts it


@pytest.mark.parametrize(
    ("cells", "title"),
    [
        (["1", "健康", "标题\n正文"], "标题"),  # the task's title in bold, then the text
        (["2", "=SUM(A1)", "+1 加一"], ""),  # formula-looking text: a quote-prefixed string
        (["3", "@x", "-负"], ""),
        (["4", "", ""], ""),  # empty cells
        (["05", "12345678901234567890", "3.5"], ""),  # 序号 digits are a number; other digits stay text
        (["x1", 'a & <b> "c"', " 前后空格 "], ""),  # not a number; XML escapes; edge whitespace kept
        (["6", "控制\x01字符\x0b", "回车\r换行\n制表\t"], ""),  # XML-illegal controls dropped, \r escaped
        (["7", "_x000D_ 字面", "乙"], ""),  # a literal Excel escape stays literal
        (["8", LONG, "标题" + LONG], "标题"),  # long text, also in a bold-titled task cell
        (["9", "标题", "标题"], "标题"),  # the title alone: no rich text
    ],
)
def test_xlsx_cells_round_trip_as_xlsxwriter_writes_them(cells, title):
    from kb.exports.xlsx import render_by_xlsxwriter

    cols = [Column("序号", "no", 6, False), Column("领域", "domain", 10), Column("目标任务", "task", 70)]
    table = Table("plan", "测试表", "副标题", "清单", cols, [Row(cells, "p:a", title=title)], ("domain",))
    table.meta["date"] = "2026年1月1日"
    streamed, reference = _sheets(render([table], "xlsx")), _sheets(render_by_xlsxwriter([table]))
    assert streamed == reference
    assert streamed["清单"]["filter"] == "A3:C4" and streamed["清单"]["panes"] == "A4"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_refused_selection_leaves_no_file_in_the_cache(own_reviews, fmt):
    import datetime as dt

    from kb import paths
    from kb.exports import ExportError
    from kb.exports.cache import FOLDER, cached_export

    folder = paths.current_build() / FOLDER
    before = set(folder.glob("*"))
    with KB() as kb, pytest.raises(ExportError):
        cached_export(kb, "dept", fmt, Filters(dept="不存在的单位"), date=dt.date(2026, 1, 3))
    assert set(folder.glob("*")) == before  # neither the file nor a half-written one beside it
