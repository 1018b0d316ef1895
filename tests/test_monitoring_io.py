"""xlsx template round-trip, cell-precise all-or-nothing import, reports (xlsx/docx) and the CLI, on the full plan."""

from __future__ import annotations

import io

import pytest
from monitoring_helpers import MGMT, MORT
from openpyxl import load_workbook

from kb.cli import main
from kb.monitoring import observations as obsdb
from kb.monitoring import values as mvalues
from kb.monitoring import workbook as mio


def _sheet(xlsx: bytes):
    return load_workbook(io.BytesIO(xlsx))[mio.SHEET]


def _state():
    index = obsdb.indicator_index()
    anchored, _ = obsdb.load(index)
    return index, {i: obsdb.series(r) for i, r in anchored.items()}


def _cell(ws, ind_id: str, year: int):
    head = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == ind_id)
    return row[head.index(str(year))]


def _bytes(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_template_round_trip(mon_kb):
    index, _ = _state()
    empty = mio.template(index, {})
    ws = _sheet(empty)
    assert [c.value for c in ws[1]][: len(mio.FIXED)] == mio.FIXED
    assert [c.value for c in ws[1]][len(mio.FIXED) :] == [str(y) for y in range(2020, 2026)] + [mio.SOURCE]
    assert ws.max_row == len(index) + 1
    # fill some cells as an office would (number, text with unit, percent-formatted cell), import
    wb = load_workbook(io.BytesIO(empty))
    ws = wb[mio.SHEET]
    _cell(ws, MORT, 2020).value = 7.1
    _cell(ws, MORT, 2021).value = "6.6‰"
    _cell(ws, MGMT, 2021).value = 0.925
    _cell(ws, MGMT, 2021).number_format = "0.0%"
    counts = mio.import_file(_bytes(wb), "张三")
    assert (counts["set"], counts["change"]) == (3, 0)
    _, obs = _state()
    assert obs[MORT] == {2020: 7.1, 2021: 6.6} and obs[MGMT] == {2021: pytest.approx(92.5)}
    # a fresh template carries the values; importing it unchanged changes nothing
    index, _ = _state()
    anchored, _ = obsdb.load(index)
    again = mio.template(index, anchored)
    assert _cell(_sheet(again), MORT, 2021).value == 6.6
    assert mio.import_file(again, "李四") | {"batch": ""} == {
        "set": 0,
        "change": 0,
        "clear": 0,
        "unchanged": 0,
        "reanchor": 0,
        "batch": "",
    }
    # 删除 clears one year
    wb = load_workbook(io.BytesIO(again))
    _cell(wb[mio.SHEET], MORT, 2020).value = "删除"
    assert mio.import_file(_bytes(wb), "李四")["clear"] == 1
    assert _state()[1][MORT] == {2021: 6.6}


def test_bad_cells_reject_whole_file_with_positions(mon_kb):
    index, _ = _state()
    wb = load_workbook(io.BytesIO(mio.template(index, {})))
    ws = wb[mio.SHEET]
    good = _cell(ws, MGMT, 2022)
    good.value = 95  # valid: must not be written either
    bad_unit = _cell(ws, MORT, 2021)
    bad_unit.value = "0.6%"  # % for a ‰ target
    bad_text = _cell(ws, MORT, 2022)
    bad_text.value = "约六"
    ws.cell(row=ws.max_row + 1, column=1, value="yiyang-children-2021-2025:nope-g1.i1")
    ws.cell(row=ws.max_row + 1, column=len(mio.FIXED) + 2, value=5)  # a value without an indicator id
    with pytest.raises(mio.ImportRejected) as exc:
        mio.import_file(_bytes(wb), "张三")
    got = {(e.row, e.col) for e in exc.value.errors}
    assert got == {
        (bad_unit.row, bad_unit.column_letter),
        (bad_text.row, bad_text.column_letter),
        (ws.max_row - 1, "A"),
        (ws.max_row, "A"),
    }
    msgs = {(e.row, e.col): e.message for e in exc.value.errors}
    assert (
        "单位不符" in msgs[(bad_unit.row, bad_unit.column_letter)]
        and "(2021年)" in msgs[(bad_unit.row, bad_unit.column_letter)]
    )
    assert "无法识别的数值" in msgs[(bad_text.row, bad_text.column_letter)]
    assert f"第{bad_unit.row}行 {bad_unit.column_letter}列" in str(exc.value)
    assert _state()[1] == {}


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda ws: setattr(ws.cell(row=1, column=1), "value", "编号"), "缺少“指标编号”列"),
        (lambda ws: setattr(ws.cell(row=1, column=len(mio.FIXED) + 1), "value", "备注"), "无法识别的列标题"),
        (lambda ws: setattr(ws.cell(row=1, column=len(mio.FIXED) + 2), "value", "2020"), "年度列 2020 重复"),
        (lambda ws: setattr(ws.cell(row=3, column=1), "value", ws.cell(row=2, column=1).value), "与第2行重复"),
        (lambda ws: setattr(ws.cell(row=2, column=len(mio.FIXED) + 1), "value", -3), "不能为负"),
        (lambda ws: ws.parent.remove(ws), "找不到工作表"),
    ],
)
def test_malformed_templates(mon_kb, mutate, fragment):
    index, _ = _state()
    wb = load_workbook(io.BytesIO(mio.template(index, {})))
    mutate(wb[mio.SHEET])
    if mio.SHEET in wb.sheetnames:
        wb[mio.SHEET].cell(row=2, column=len(mio.FIXED) + 3, value=1)  # something to write if it wrongly passed
    else:
        wb.create_sheet("Sheet1")
    with pytest.raises(mio.ImportRejected, match=fragment):
        mio.import_file(_bytes(wb), "张三")
    assert _state()[1] == {}


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 not really", "指标,2021\n".encode(), b"\x00" * 100])
def test_not_an_xlsx(mon_kb, data):
    with pytest.raises(mio.ImportRejected, match="无法读取文件"):
        mio.import_file(data, "张三")


def test_crashed_import_changes_nothing(mon_kb, monkeypatch):
    index, _ = _state()
    obsdb.write([mvalues.make_entry(index[MORT], 2020, "7")], "张三", index)
    wb = load_workbook(io.BytesIO(mio.template(index, obsdb.load(index)[0])))
    for y, v in ((2020, 6.9), (2021, 6.5), (2022, 6.2)):
        _cell(wb[mio.SHEET], MORT, y).value = v
    _cell(wb[mio.SHEET], MGMT, 2021).value = 93
    real, calls = obsdb._log, {"n": 0}

    def crash(*args, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(*args, **kw)

    monkeypatch.setattr(obsdb, "_log", crash)
    with pytest.raises(OSError):
        mio.import_file(_bytes(wb), "李四")
    assert _state()[1] == {MORT: {2020: 7.0}}
    assert [h["action"] for h in obsdb.history(MORT)] == ["set"]


def test_reports_xlsx_and_docx(mon_kb):
    from docx import Document

    from kb import monitoring as mon
    from kb.monitoring.report import report_docx, report_xlsx

    index, _ = _state()
    obsdb.write(
        [mvalues.make_entry(index[MORT], y, v) for y, v in ((2020, 8), (2021, 7.9), (2022, 7.8))], "张三", index
    )
    index, _ = _state()
    rows = mon.select(mon.overview(index, obsdb.load(index)[0]), domain="health")
    ws = load_workbook(io.BytesIO(report_xlsx(rows, "监测评估报告")))["监测评估报告"]
    head = [c.value for c in ws[4]]
    assert head[:3] == ["领域", "指标", "目标值"] and head[-3:] == ["状态", "预警", "责任单位"]
    line = next(r for r in ws.iter_rows(min_row=5, values_only=True) if r[1] == "5岁以下儿童死亡率")
    assert line[2] == "≤6‰(2025年)" and line[4:7] == ("8", "7.9", "7.8")
    assert line[-3] == "未达标(2022年)" and "趋势" in line[-2] and line[-1] == "市卫健委"
    doc = Document(io.BytesIO(report_docx(rows, "监测评估报告")))
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells][:2] == ["指标", "目标值"]
    assert len(table.rows) == len(rows) + 1
    text = [[c.text for c in r.cells] for r in table.rows]
    mort = next(r for r in text if r[0].startswith("5岁以下儿童死亡率"))
    assert mort[-3] == "未达标" and "2025年预计为" in mort[-2]


def test_cli(mon_kb, tmp_path, capsys):
    assert main(["monitor", "set", "health-g3.i1", "2021", "0.6%", "--by", "张三"]) == 2
    assert "单位不符" in capsys.readouterr().err
    assert main(["monitor", "set", "health-g3.i1", "2021", "0.6%", "--by", "张三", "--convert"]) == 0
    assert "6‰" in capsys.readouterr().out
    assert main(["monitor", "set", "nope-g1.i1", "2021", "5", "--by", "张三"]) == 2
    t = tmp_path / "t.xlsx"
    assert main(["monitor", "template", "-o", str(t)]) == 0
    assert _cell(_sheet(t.read_bytes()), MORT, 2021).value == 6
    wb = load_workbook(t)
    _cell(wb[mio.SHEET], MORT, 2022).value = "x"
    wb.save(t)
    assert main(["monitor", "import", str(t), "--by", "李四"]) == 2
    err = capsys.readouterr().err
    assert "导入被拒绝" in err and "无法识别的数值" in err and "Traceback" not in err
    _cell(wb[mio.SHEET], MORT, 2022).value = 5.5
    wb.save(t)
    assert main(["monitor", "import", str(t), "--by", "李四"]) == 0
    assert "新增 1" in capsys.readouterr().out
    for fmt in ("xlsx", "docx"):
        out = tmp_path / f"r.{fmt}"
        assert main(["monitor", "report", "-o", str(out), "--department", "市卫健委"]) == 0
        assert out.read_bytes()[:2] == b"PK"
    assert main(["monitor", "status", "health-g3.i1"]) == 0
    assert "已达标" in capsys.readouterr().out
    assert main(["monitor", "clear", "health-g3.i1", "2022", "--by", "王五"]) == 0
    assert main(["monitor", "orphans"]) == 0
    assert main(["monitor", "import", str(tmp_path / "missing.xlsx")]) == 2
