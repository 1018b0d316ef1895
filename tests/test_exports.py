"""任务分解责任清单 exports: every produced file is read back (openpyxl, python-docx, csv) and checked."""

from __future__ import annotations

import csv
import io
import json
import shutil

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn

from kb.cli import main as kb_main
from kb.commands.export import export_json
from kb.duties import duties
from kb.exports import ExportError, Filters, build_tables, export, render
from kb.exports.docx import fullwidth, office_table
from kb.exports.rows import is_reviewed
from kb.exports.safety import content_disposition, neutralise, safe_filename, xml_clean
from kb.exports.table import DEPT_COLUMNS, PLAN_COLUMNS, Column, Row, Table, rules
from kb.monitoring.targets import target_text
from kb.store import KB

PLAN_HEADERS = [c.name for c in PLAN_COLUMNS]


# -- pure helpers ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\r=1", "'\r=1"),
        ("市卫健委", "市卫健委"),  # ordinary text untouched
        ("2025年", "2025年"),
        ("a=b", "a=b"),  # only a leading trigger matters
        ("", ""),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


@pytest.mark.parametrize(
    "name, ext, expected",
    [
        (
            "益阳市儿童发展规划(2021-2025年)任务分解责任清单",
            "xlsx",
            "益阳市儿童发展规划(2021-2025年)任务分解责任清单.xlsx",
        ),
        ("../../etc/passwd", "csv", "etc_passwd.csv"),
        ('a\\b:c*d?e"f<g>h|i', "md", "a_b_c_d_e_f_g_h_i.md"),
        ("...", "docx", "export.docx"),
        ("清单\x00\n", "json", "清单.json"),
        ("x", "../xlsx", "x.xlsx"),
    ],
)
def test_safe_filename(name, ext, expected):
    assert safe_filename(name, ext) == expected


def test_content_disposition_rfc5987():
    header = content_disposition("任务清单(市卫健委).xlsx", "dept.xlsx")
    assert header.startswith('attachment; filename="dept.xlsx"; ')
    assert "filename*=UTF-8''%E4%BB%BB%E5%8A%A1" in header and "(" not in header.split("filename*=")[1]


@pytest.mark.parametrize(
    "item, expected",
    [
        ({"departments": [{"name": "市民政局", "source": "reviewed"}]}, True),
        (
            {"departments": [{"name": "市民政局", "source": "inferred"}], "serves_detail": [{"source": "reviewed"}]},
            True,
        ),
        ({"departments": [{"name": "市民政局", "source": "explicit"}]}, False),
        ({"departments": [], "removed": [{"kind": "assignment", "target": "市教育局"}]}, True),  # a removal is a review
        ({"departments": []}, False),
    ],
)
def test_is_reviewed(item, expected):
    assert is_reviewed(item) is expected


def _table(domains: list[str], roles: list[str] | None = None) -> Table:
    cols = [
        Column("序号", "no", 6, False),
        Column("职责", "role", 8),
        Column("领域", "domain", 10),
        Column("目标任务", "task", 40),
    ]
    rows = [
        Row([str(i), (roles or ["牵头"] * len(domains))[i], d, f"任务{i}"], f"p:x{i}") for i, d in enumerate(domains)
    ]
    return Table("dept", "测试清单", "", "测试", cols, rows, merge=("role", "domain"))


@pytest.mark.parametrize(
    "domains, roles, expected",
    [
        (["甲", "甲", "乙"], None, {1: [(0, 2)], 2: [(0, 1)]}),
        (["甲", "乙", "丙"], None, {1: [(0, 2)], 2: []}),
        (["甲", "甲", "甲"], ["牵头", "牵头", "配合"], {1: [(0, 1)], 2: [(0, 1)]}),  # the role boundary splits 甲
        (["甲"], None, {1: [], 2: []}),
    ],
)
def test_merge_runs(domains, roles, expected):
    assert _table(domains, roles).merge_runs() == expected


# -- the full plan ---------------------------------------------------------------------------------
@pytest.fixture
def kb(built_kb_env):
    with KB() as k:
        yield k


def _xlsx(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def _merged_in_data(ws) -> list[str]:
    """Merged ranges that reach into the header/data rows (the autofilter range starts at row 3)."""
    return [str(m) for m in ws.merged_cells.ranges if m.max_row >= 3]


def test_xlsx_plan_layout(kb):
    result = export(kb, "plan", "xlsx")
    ws = _xlsx(result.data).worksheets[0]
    assert "任务分解责任清单" in ws["A1"].value and ws["A1"].font.b
    assert [c.value for c in ws[3]] == PLAN_HEADERS and "编号" not in PLAN_HEADERS  # no internal ids by default
    assert all(c.font.b and c.font.name == "黑体" for c in ws[3])
    assert ws.max_row == 3 + result.rows
    last = chr(ord("A") + len(PLAN_COLUMNS) - 1)  # the title rows span every column
    assert {str(m) for m in ws.merged_cells.ranges} == {f"A1:{last}1", f"A2:{last}2"}
    assert _merged_in_data(ws) == []  # nothing merged inside the filter range: filtering and sorting work
    numbers = [ws.cell(r, 1).value for r in range(4, ws.max_row + 1)]
    assert numbers == list(range(1, result.rows + 1))  # 序号 stored as numbers, not text
    assert all(ws.cell(r, 1).data_type == "n" for r in range(4, ws.max_row + 1))
    domains = [ws.cell(r, 2).value for r in range(4, ws.max_row + 1)]
    expected = [it for it in kb.items() if it["kind"] in ("goal", "measure", "implementation", "monitoring")]
    assert all(domains) and len(set(domains)) >= 7  # every row repeats its domain
    assert [d for d, it in zip(domains, expected, strict=True) if it["domain"]] == [
        it["domain"] for it in expected if it["domain"]
    ]
    assert ws.freeze_panes == "A4"
    assert ws.print_title_rows == "$3:$3"
    assert ws.auto_filter.ref == f"A3:{last}{ws.max_row}"
    ps = ws.page_setup
    assert ps.orientation == "landscape" and int(ps.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and int(ps.fitToHeight) == 0 and ps.fitToWidth in (None, 1)
    widths = {ws.cell(3, ci).value: ws.column_dimensions[chr(64 + ci)].width for ci in range(1, len(PLAN_HEADERS) + 1)}
    assert widths["目标任务"] == max(widths.values()) >= 60  # the task text gets the room
    assert widths["领域"] < 20 and widths["完成时限"] < 16  # short columns fitted to their content
    assert ws["D4"].alignment.wrap_text
    serves = [ws.cell(r, PLAN_HEADERS.index("服务目标") + 1).value or "" for r in range(4, ws.max_row + 1)]
    assert any(serves) and not any("…" in v for v in serves)  # goals served shown with their full titles


def test_ids_only_when_asked(kb):
    plain = json.loads(export(kb, "plan", "json").data)
    with_ids = json.loads(export(kb, "plan", "json", Filters(ids=True)).data)
    assert "编号" not in plain["columns"] and with_ids["columns"][3] == "编号"
    assert [r["编号"] for r in with_ids["rows"]] == [i.split(":", 1)[1] for i in with_ids["items"]]
    doc = Document(io.BytesIO(export(kb, "plan", "docx", Filters(ids=True)).data))
    assert "编号" in [c.text for c in doc.tables[0].rows[0].cells]


def test_dept_xlsx_filters_and_sorts(kb):
    """Filtering 本单位职责 = 牵头 keeps every led item: the role and domain are on every row, none merged."""
    result = export(kb, "dept", "xlsx", Filters(dept="市卫健委"))
    ws = _xlsx(result.data).worksheets[0]
    header = [c.value for c in ws[3]]
    assert ws.auto_filter.ref.startswith("A3:") and _merged_in_data(ws) == []
    role_col = header.index("本单位职责") + 1
    roles = [ws.cell(r, role_col).value for r in range(4, ws.max_row + 1)]
    report = duties(kb.items(), "市卫健委")
    assert roles.count("牵头") == report["lead"] > 1 and roles.count("配合") == report["co"]
    assert all(ws.cell(r, 1).data_type == "n" for r in range(4, ws.max_row + 1))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("市卫健委, 市教育局", "市卫健委，市教育局"),
        ("规划(2021-2025年)", "规划（2021-2025年）"),
        ("基数:2020年", "基数：2020年"),
        ("提高到90%;", "提高到90%；"),
        ("1,000人", "1,000人"),  # a number keeps its separator
        ("3:1", "3:1"),
        ("see (a)", "see (a)"),  # Latin text untouched
        ("", ""),
    ],
)
def test_fullwidth(text, expected):
    assert fullwidth(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("到2023年,普及学前教育", "2023年"),
        ("每年开展一次儿童健康检查", "逐年"),
        ("持续推进儿童友好城市建设", "长期坚持"),
        ("加强儿童保健服务", "2025年"),  # the text sets nothing: the plan's end
        ("以2020年为基数,下降10%", "2025年"),  # a baseline is not a deadline
    ],
)
def test_deadline_from_text(kb, text, expected):
    from kb.exports.rows import Selection

    sel = Selection(kb, Filters())
    it = dict(kb.items(kind="measure")[0], text=text)
    assert sel._deadline(it) == expected


def test_xlsx_per_department_sheets(kb):
    result = export(kb, "plan", "xlsx", per_dept_sheets=True)
    wb = _xlsx(result.data)
    assert wb.sheetnames[0] == "任务分解责任清单" and "市卫健委" in wb.sheetnames
    ws = wb["市卫健委"]
    report = duties(kb.items(), "市卫健委")
    assert ws.max_row - 3 == report["lead"] + report["co"]
    assert [c.value for c in ws[3]] == [c.name for c in DEPT_COLUMNS]
    assert len(wb.sheetnames) == len(set(wb.sheetnames)) == len(result.tables)


OFFICE_HEADERS = ["序号", "领域", "目标任务", "牵头单位", "责任单位", "完成时限", "备注"]


def test_docx_plan_layout(kb):
    result = export(kb, "plan", "docx")
    doc = Document(io.BytesIO(result.data))
    section = doc.sections[0]
    assert section.page_width > section.page_height and abs(section.page_width.cm - 29.7) < 0.1
    title = doc.paragraphs[0]
    assert "任务分解责任清单" in title.text and "导出日期" in doc.paragraphs[1].text
    assert "（2021-2025年）" in title.text  # 公文 punctuation: full-width
    title_fonts = title.runs[0]._r.rPr.rFonts
    assert title_fonts.get(qn("w:eastAsia")) == "黑体"
    normal = doc.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "仿宋"
    table = doc.tables[0]
    assert len(table.rows) == 1 + result.rows
    header = table.rows[0]
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(r._tr.trPr is None or r._tr.trPr.find(qn("w:tblHeader")) is None for r in table.rows[1:4])
    assert [c.text for c in header.cells] == OFFICE_HEADERS  # the 任务分解表 layout, no internal ids
    head_run = header.cells[0].paragraphs[0].runs[0]
    assert head_run._r.rPr.rFonts.get(qn("w:eastAsia")) == "黑体" and head_run.bold
    body_run = table.rows[1].cells[2].paragraphs[0].runs[0]
    assert body_run._r.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋"
    assert len(table._tbl.xpath(".//w:vMerge")) > result.rows / 2  # domain cells merged down the table
    widths = [c.width.cm for c in table.rows[0].cells]
    assert widths[2] == max(widths) > 9  # the task column gets the room
    body = "".join(c.text for r in table.rows[1:] for c in r.cells)
    assert "yiyang" not in body and "health-g" not in body
    assert not any(ch in body for ch in ",;") and "，" in body  # half-width punctuation made full-width


def test_office_table_projects_the_columns():
    cols = [Column("序号", "no", 6, False), Column("目标任务", "task", 40), Column("依据", "basis", 20)]
    rows = [Row(["1", "甲, 乙", "x"], "p:a", values={"no": "1", "task": "甲, 乙", "remark": "备"})]
    out = office_table(Table("plan", "清单", "", "s", cols, rows))
    assert [c.key for c in out.columns] == ["no", "task", "remark"]  # office columns the rows carry
    assert out.rows[0].cells == ["1", "甲，乙", "备"]
    assert set(rules()["office_columns"]) >= {"no", "domain", "task", "lead", "co", "deadline"}


def test_csv_and_markdown(kb):
    result = export(kb, "plan", "csv")
    assert result.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(result.data.decode("utf-8-sig"))))
    assert rows[0] == PLAN_HEADERS and len(rows) == 1 + result.rows
    assert all(len(r) == len(PLAN_HEADERS) for r in rows)
    assert all(r[1] for r in rows[1:])  # csv repeats the domain on every row (no merging)
    md = export(kb, "plan", "md").data.decode("utf-8")
    table_lines = [ln for ln in md.splitlines() if ln.startswith("| ")]
    assert len(table_lines) == 1 + result.rows and md.startswith("# ")
    assert all(ln.count(" | ") == len(PLAN_HEADERS) - 1 for ln in table_lines)


@pytest.mark.parametrize("dept", ["市卫健委", "卫健委", "市教育局", "妇联", "各区县(市)人民政府", "市委网信办"])
def test_department_list_is_the_duties_query(kb, dept):
    result = export(kb, "dept", "json", Filters(dept=dept))
    data = json.loads(result.data)
    report = duties(kb.items(), dept)
    expected = {r["id"]: r["role"] for g in report["domains"] for r in g["items"]}
    assert sorted(data["items"]) == sorted(expected)
    roles = [row["本单位职责"] for row in data["rows"]]
    assert roles == sorted(roles, key=lambda r: r != "牵头")  # the items it leads, then those it supports
    assert roles.count("牵头") == report["lead"]
    assert data["department"] == report["department"]


def test_indicator_layout(kb):
    result = export(kb, "indicators", "xlsx", Filters(domain="health"))
    ws = _xlsx(result.data).worksheets[0]
    n_inds = sum(len(it["indicators"]) for it in kb.items(domain="health"))
    assert ws.max_row - 3 == n_inds == result.rows
    header = [c.value for c in ws[3]]
    assert {"指标", "目标值", "责任单位", "相关措施"} <= set(header)
    targets = [ws.cell(r, header.index("目标值") + 1).value for r in range(4, ws.max_row + 1)]
    assert "≥90%" in targets
    # the pages' and the monitoring reports' one wording: a direction is measured from the base year
    myopia = next(i for it in kb.items(domain="health") for i in it["indicators"] if i["name"] == "儿童新发近视率")
    assert target_text(myopia, (2021, 2025)) in targets and "较2020年下降" in targets


@pytest.mark.parametrize(
    "filters, message",
    [
        (Filters(dept="卫生委"), "市卫健委"),  # unknown department: the closest names
        (Filters(dept="某某公司"), "未找到部门"),
        (Filters(domain="经济"), "儿童与健康"),
        (Filters(kind="foo"), "政策措施"),
        (Filters(role="lead"), "部门"),  # a role needs a department
        (Filters(plan="nope"), "yiyang-children-2021-2025"),
        (Filters(reviewed_only=True, domain="儿童与家庭", kind="goal", dept="市残联"), "没有"),
    ],
)
def test_bad_selection_is_a_message(kb, filters, message):
    layout = "dept" if filters.dept else "plan"
    with pytest.raises(ExportError) as exc:
        export(kb, layout, "xlsx", filters)
    assert message in exc.value.message


@pytest.mark.parametrize(
    "filters, expected",
    [
        (Filters(kind="measure"), {"measure"}),
        (Filters(kind="主要目标"), {"goal"}),
        (Filters(domain="儿童与安全"), {"goal", "measure"}),
        (Filters(dept="市公安局", role="lead"), None),
    ],
)
def test_filters_select(kb, filters, expected):
    tables = build_tables(kb, "plan", filters)
    items = [kb.item(r.item) for r in tables[0].rows]
    if expected:
        assert {it["kind"] for it in items} == expected
    if filters.domain:
        assert {it["domain"] for it in items} == {filters.domain}
    if filters.dept:
        assert items and all(
            any(d["name"] == "市公安局" and d["role"] == "lead" for d in it["departments"]) for it in items
        )


def test_formula_cells_are_neutralised():
    table = Table(
        "plan",
        "注入测试",
        "",
        "测试",
        [Column("文本", "task", 30), Column("单位", "lead", 10)],
        [Row(['=HYPERLINK("http://evil")', "+1"], "p:a"), Row(["@SUM(1)", "市卫健委\x01"], "p:b")],
    )
    rows = list(csv.reader(io.StringIO(render([table], "csv").decode("utf-8-sig"))))
    assert rows[1] == ['\'=HYPERLINK("http://evil")', "'+1"] and rows[2][0] == "'@SUM(1)"
    ws = _xlsx(render([table], "xlsx")).worksheets[0]
    for cell in (ws["A4"], ws["B4"], ws["A5"]):
        assert cell.data_type == "s" and cell.quotePrefix  # a string shown as text, kept text on edit
    assert ws["B5"].value == "市卫健委" and not ws["B5"].quotePrefix  # XML-illegal control char dropped
    assert xml_clean("a\x0bb") == "ab"
    doc = Document(io.BytesIO(render([table], "docx")))
    assert doc.tables[0].rows[2].cells[1].text == "市卫健委"


def test_json_format_keeps_the_contract(kb, tmp_path, capsys):
    out = tmp_path / "kb.json"
    assert kb_main(["export", "--format", "json", "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(json.dumps(export_json(kb)))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) == {"plans", "items"} and {"id", "departments", "serves", "indicators"} <= set(data["items"][0])


@pytest.mark.parametrize(
    "argv, ok, name_part",
    [
        (["--format", "xlsx"], True, None),
        (["--format", "docx", "--dept", "卫健委", "--role", "co"], True, None),
        (["--format", "csv", "--layout", "indicators", "--domain", "教育"], True, None),
        (["--format", "md", "--kind", "measure", "--dept", "市教育局", "--layout", "plan"], True, None),
        (["--format", "xlsx", "--dept", "卫生委"], False, "最接近的部门:市卫健委"),
        (["--format", "csv", "--reviewed-only"], False, "没有任务"),
    ],
)
def test_cli(built_kb_env, tmp_path, capsys, argv, ok, name_part):
    out = tmp_path / "out.bin"
    rc = kb_main(["export", *argv, "-o", str(out)])
    err = capsys.readouterr().err
    assert (rc == 0) is ok and out.exists() is ok
    assert not list(tmp_path.glob("*.part"))
    if name_part:
        assert name_part in err
    else:
        assert "已导出" in err and out.stat().st_size > 0


# -- a reviewed correction appears in the export ---------------------------------------------------
@pytest.fixture
def reviewable_kb(built_kb, tmp_path, monkeypatch):
    """A private copy of the built KB, so reviews written here never reach the shared session build."""
    data = tmp_path / "data"
    shutil.copytree(built_kb, data, symlinks=True, ignore=shutil.ignore_patterns("reviews.sqlite*", "*.lock"))
    monkeypatch.setenv("KB_DATA_DIR", str(data))
    return data


def test_reviewed_correction_in_export(reviewable_kb):
    from kb import reviews

    with KB() as kb:
        item = next(
            it
            for it in kb.items(kind="measure")
            if it["departments"] and all(d["name"] != "市民政局" for d in it["departments"])
        )
    short = item["id"].split(":")[1]
    reviews.add_assignment(item["id"], "民政局", by="tester", reason="导出测试", role="lead")
    with KB() as kb:
        ws = _xlsx(export(kb, "plan", "xlsx", Filters(ids=True)).data).worksheets[0]
        header = [c.value for c in ws[3]]
        row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, header.index("编号") + 1).value == short)
        lead, status = ws.cell(row, header.index("牵头单位") + 1).value, ws.cell(row, header.index("状态") + 1).value
        assert "市民政局" in lead.split("、") and status == "人工审核"  # the UI's word (kb.labels)
        reviewed = json.loads(export(kb, "plan", "json", Filters(reviewed_only=True)).data)
        assert reviewed["items"] == [item["id"]]
        dept = json.loads(export(kb, "dept", "json", Filters(dept="市民政局", role="lead")).data)
        assert item["id"] in dept["items"]


# -- the files as an office opens them: rendered by LibreOffice ------------------------------------------
TODAY_PAGES = 29  # 市卫健委's docx before the 公文 layout (landscape A4, as issue 22 counted it)


def _render(path, tmp_path) -> tuple[int, list]:
    """(page count, PNG of the first page) of a docx/xlsx rendered by LibreOffice and poppler."""
    import subprocess

    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        pytest.fail("LibreOffice (writer + calc) and poppler-utils are needed: scripts/test.sh installs them")
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    cmd = [soffice, "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300, env=env)
    pdf = path.with_suffix(".pdf")
    assert pdf.is_file(), f"LibreOffice could not open {path.name}"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True, text=True).stdout
    pages = int(next(ln.split()[-1] for ln in info.splitlines() if ln.startswith("Pages:")))
    stem = tmp_path / f"{path.stem}-page"
    subprocess.run([pdftoppm, "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(stem)], check=True)
    return pages, sorted(tmp_path.glob(f"{path.stem}-page*.png"))


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_department_files_render(kb, tmp_path, fmt):
    """Both files open in LibreOffice; the docx for 市卫健委 takes under half the pages it took before."""
    from PIL import Image

    path = tmp_path / f"dept.{fmt}"
    path.write_bytes(export(kb, "dept", fmt, Filters(dept="市卫健委")).data)
    pages, pngs = _render(path, tmp_path)
    assert pngs and pages >= 1
    if fmt == "docx":
        assert pages < TODAY_PAGES / 2, pages
    with Image.open(pngs[0]) as im:
        assert im.width > im.height  # landscape A4
        assert sum(im.convert("L").histogram()[:128]) > 2000  # the page carries the table, not a blank render
