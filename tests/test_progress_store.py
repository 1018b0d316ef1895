"""Progress reports: roles and department binding, deadlines from the text, reports, returns, lights, packets."""

from __future__ import annotations

import io
from datetime import date

import pytest
from web_support import PLAN

HEALTH = "市卫健委"
EDU = "市教育局"


@pytest.fixture
def users(web_data):
    from kb.store.users import add_user

    return {
        "admin": add_user("office", "correct-horse-42", "admin"),
        "health": add_user("wj", "correct-horse-42", "reporter", department="卫健委"),
        "edu": add_user("jy", "correct-horse-42", "reporter", department=EDU),
    }


def _health_items(n=2):
    from kb.progress.scope import scope

    return list(scope().duties(HEALTH))[:n]


@pytest.mark.parametrize(
    "role, dept, ok",
    [
        ("reporter", "卫健委", HEALTH),  # alias → canonical
        ("reporter", "益阳市卫生健康委员会", HEALTH),
        ("reporter", None, None),  # a reporter needs a department
        ("reporter", "不存在的局", None),
        ("reviewer", "市卫健委", None),  # only reporters are bound
        ("superuser", None, None),
        ("admin", None, ""),
    ],
)
def test_roles_and_binding(web_data, role, dept, ok):
    from kb.store.users import AccountError, add_user

    if ok is None:
        with pytest.raises(AccountError):
            add_user("u1", "correct-horse-42", role, department=dept)
    else:
        assert (add_user("u1", "correct-horse-42", role, department=dept)["department"] or "") == ok


@pytest.mark.parametrize(
    "text, kind, when",
    [
        ("到2023年,全市儿童……", "date", "2023-12-31"),
        ("2024年底前完成改造", "date", "2024-12-31"),
        ("十四五期末基本建成", "date", "2025-12-31"),
        ("逐年提高儿童营养水平", "yearly", None),
        ("长期坚持儿童优先原则", "ongoing", None),
        ("加强儿童健康服务", "date", "2025-12-31"),  # the plan's end year
        ("依据1989年联合国公约", "date", "2025-12-31"),  # a year far before the plan is no deadline
    ],
)
def test_deadline_from_text(text, kind, when):
    from kb.progress.deadlines import from_text

    d = from_text(text, (2021, 2025))
    assert (d["kind"], d["date"]) == (kind, when)


def test_report_draft_submit_return_and_audit(users):
    from kb.progress import Conflict, Forbidden, service
    from kb.progress.store import Draft
    from kb.reviews.history import audit_log

    a, _b = _health_items()
    rep = service.write_report(
        users["health"], HEALTH, "2024", Draft(a, status="推进中", progress="已开展"), submit=False
    )
    assert (rep["state"], rep["status"], rep["version"]) == ("draft", "in_progress", 1)
    same = service.write_report(
        users["health"], HEALTH, "2024", Draft(a, status="推进中", progress="已开展"), submit=False
    )
    assert same["version"] == 1  # unchanged: nothing written
    rep = service.write_report(
        users["health"],
        HEALTH,
        "2024",
        Draft(a, status="in_progress", progress="已开展"),
        submit=True,
        expected_version=1,
    )
    assert rep["state"] == "submitted" and rep["submitted_by"] == "wj"
    with pytest.raises(Conflict):  # a stale version never overwrites
        service.write_report(users["health"], HEALTH, "2024", Draft(a, status="滞后"), submit=True, expected_version=1)
    with pytest.raises(Forbidden):  # another department's reporter
        service.write_report(users["edu"], HEALTH, "2024", Draft(a, status="滞后"), submit=True)
    with pytest.raises(Forbidden):  # a reporter returning
        service.return_report(users["health"], rep["id"], "请补充")
    back = service.return_report(users["admin"], rep["id"], "请补充佐证材料")
    assert (back["state"], back["return_comment"]) == ("returned", "请补充佐证材料")
    assert [e["kind"] for e in service.events(HEALTH)] == ["report.returned"]
    actions = [e["action"] for e in audit_log() if e.get("kind") == "progress"]
    assert {"progress.save", "progress.submit", "progress.return"} <= set(actions)
    from kb.progress.scope import scope

    not_edu = next(i for i in scope().duties(HEALTH) if i not in scope().duties(EDU))
    with pytest.raises(Forbidden, match="不是市教育局的职责"):  # the edu reporter on a health-only item
        service.write_report(users["edu"], EDU, "2024", Draft(not_edu, status="推进中"), submit=True)


def test_accept_then_a_change_or_a_return_clears_it(users):
    from kb.progress import Forbidden, ProgressError, service
    from kb.progress.store import Draft

    a, _b = _health_items()
    rep = service.write_report(
        users["health"], HEALTH, "2024", Draft(a, status="推进中", progress="已开展"), submit=True
    )
    with pytest.raises(Forbidden):  # a reporter confirming its own report
        service.accept_report(users["health"], rep["id"])
    ok = service.accept_report(users["admin"], rep["id"])
    assert (ok["state"], ok["accepted_by"], ok["version"]) == ("submitted", "office", rep["version"] + 1)
    with pytest.raises(ProgressError, match="已由 office 确认"):
        service.accept_report(users["admin"], rep["id"])
    back = service.return_report(users["admin"], rep["id"], "数据有误")
    assert (back["state"], back["accepted_at"]) == ("returned", None)
    with pytest.raises(ProgressError, match="只能确认已提交"):
        service.accept_report(users["admin"], rep["id"])
    again = service.write_report(
        users["health"], HEALTH, "2024", Draft(a, status="推进中", progress="已更正"), submit=True
    )
    service.accept_report(users["admin"], again["id"])
    edited = service.write_report(
        users["health"], HEALTH, "2024", Draft(a, status="已完成", progress="已更正"), submit=True
    )
    assert edited["accepted_at"] is None  # changed after the office confirmed it: to be confirmed again
    kinds = [e["kind"] for e in service.events(HEALTH) if e["kind"].startswith("report.")]
    assert kinds == ["report.accepted", "report.returned", "report.accepted"]


@pytest.mark.parametrize(
    "draft, message",
    [
        ({"status": "完成了"}, "状态须为"),
        ({"status": "推进中", "progress": "字" * 5000}, "过长"),
        ({"status": "推进中", "evidence": "javascript:alert(1)"}, "http"),
    ],
)
def test_bad_reports_refused(users, draft, message):
    from kb.progress import ProgressError, service
    from kb.progress.store import Draft

    with pytest.raises(ProgressError, match=message):
        service.write_report(users["health"], HEALTH, "2024", Draft(_health_items(1)[0], **draft), submit=True)
    with pytest.raises(ProgressError, match="报告期"):
        service.write_report(users["health"], HEALTH, "2031", Draft(_health_items(1)[0], status="推进中"), submit=True)


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("通知.pdf", PDF, None),
        ("照片.png", PNG, None),
        ("病毒.pdf", b"MZ\x90\x00" + b"\x00" * 100, "可执行"),
        ("假.pdf", PNG, "内容是 PNG"),
        ("脚本.exe", PDF, "不支持的文件类型"),
        ("空.pdf", b"", "为空"),
        ("大.pdf", b"%PDF-" + b"0" * (11 << 20), "过大"),
    ],
)
def test_attachment_policy(users, name, data, message):
    from kb.progress import ProgressError, service
    from kb.progress.attachments import blob_path
    from kb.progress.store import Draft

    rep = service.write_report(
        users["health"], HEALTH, "2024", Draft(_health_items(1)[0], status="推进中"), submit=False
    )
    if message:
        with pytest.raises(ProgressError, match=message):
            service.attach(users["health"], rep["id"], name, data)
        return
    row = service.attach(users["health"], rep["id"], name, data)
    assert blob_path(row["sha256"]).read_bytes() == data and "attachments" in str(blob_path(row["sha256"]))


def test_lights_rules():
    from kb.progress.lights import item_light
    from kb.progress.periods import Period

    p = Period(2024)
    dl = {"kind": "date", "date": "2025-12-31"}
    sub = {"state": "submitted", "status": "in_progress"}
    assert item_light(report=sub, deadline=dl, period=p, indicators=[], today=date(2024, 6, 1))["light"] == "green"
    late = item_light(report=None, deadline=dl, period=p, indicators=[], today=date(2025, 3, 1))
    assert late["light"] == "red" and late["rules"][0]["code"] == "not_reported"
    delayed = {**sub, "status": "delayed"}
    assert item_light(report=delayed, deadline=dl, period=p, indicators=[], today=date(2024, 6, 1))["light"] == "yellow"
    near = item_light(
        report=sub, deadline={"kind": "date", "date": "2024-08-01"}, period=p, indicators=[], today=date(2024, 6, 1)
    )
    assert near["light"] == "yellow" and near["rules"][0]["code"] == "deadline_near"
    over = item_light(
        report=sub, deadline={"kind": "date", "date": "2024-03-01"}, period=p, indicators=[], today=date(2024, 6, 1)
    )
    assert over["light"] == "red" and over["rules"][0]["code"] == "overdue"
    # A closed period is judged as it stood when its report was due, not by today's date.
    past = item_light(report=sub, deadline=dl, period=p, indicators=[], today=date(2026, 6, 1))
    assert past["light"] == "green"
    done = {**sub, "status": "done"}
    assert (
        item_light(
            report=done,
            deadline={"kind": "date", "date": "2024-03-01"},
            period=p,
            indicators=[],
            today=date(2024, 6, 1),
        )["light"]
        == "green"
    )


def test_packet_round_trip_and_bad_cell(users):
    from openpyxl import load_workbook

    from kb.monitoring.workbook import ImportRejected
    from kb.progress import packet, service
    from kb.progress.board import Board
    from kb.progress.scope import scope
    from kb.progress.store import Draft
    from kb.reviews.audit import read
    from kb.reviews.history import audit_log

    a, _b = _health_items()
    service.write_report(
        users["health"], HEALTH, "2024", Draft(a, status="推进中", progress="第一季度完成"), submit=True
    )
    data = read(lambda conn: packet.template(Board(conn, scope(), period="2024"), HEALTH))
    before = len(audit_log())
    result = service.import_packet(users["health"], data, commit=True)
    assert result["changes"] == [] and len(audit_log()) == before  # unchanged packet: zero changes

    wb = load_workbook(io.BytesIO(data))
    ws = wb[packet.SHEET]
    heads = [c.value for c in ws[1]]
    ws.cell(row=3, column=heads.index("状态") + 1, value="推进中")
    ws.cell(row=3, column=heads.index("工作进展") + 1, value="新的进展")
    ws.cell(row=4, column=heads.index("状态") + 1, value="差不多")  # the bad cell
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ImportRejected) as exc:
        service.import_packet(users["health"], buf.getvalue(), commit=True)
    col = chr(ord("A") + heads.index("状态"))
    assert f"第4行 进度报告 {col}列" in str(exc.value) and len(audit_log()) == before  # named, nothing written

    ws.cell(row=4, column=heads.index("状态") + 1, value="")
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ImportRejected, match="这是市卫健委的填报包"):
        service.import_packet(users["edu"], buf.getvalue(), commit=True)  # another department's packet
    done = service.import_packet(users["health"], buf.getvalue(), commit=True)
    assert len(done["changes"]) == 1 and len(audit_log()) == before + 1


def test_packet_refuses_other_period(users):
    from kb.monitoring.workbook import ImportRejected
    from kb.progress import packet, service
    from kb.progress.board import Board
    from kb.progress.scope import scope
    from kb.reviews.audit import read

    data = read(lambda conn: packet.template(Board(conn, scope(), period="2023"), HEALTH))
    with pytest.raises(ImportRejected, match="2023 报告期"):
        service.import_packet(users["health"], data, commit=True, period="2024")


def test_cli_user_and_status(web_data, capsys, tmp_path, monkeypatch):
    from kb.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("correct-horse-42\n"))
    assert main(["user", "add", "wj2", "--role", "reporter", "--dept", "市卫健委", "--password-stdin"]) == 0
    assert main(["user", "add", "x2", "--role", "reporter", "--dept", "没有这个局", "--password-stdin"]) == 2
    out = tmp_path / "p.xlsx"
    assert main(["progress", "template", "--dept", "卫健委", "--period", "2024", "-o", str(out)]) == 0
    assert main(["progress", "import", str(out), "--by", "wj2"]) == 0
    assert "已写入 0 份报告" in capsys.readouterr().out
    assert main(["progress", "status", "--dept", "市卫健委", "--period", "2024", "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["department"]["due"] > 0 and all(r["light"] in ("red", "yellow", "green") for r in data["items"])
    assert PLAN


M7 = f"{PLAN}:health-m7"  # 6个月内婴儿纯母乳喂养率 ≥ 50% by 2025 (baseline year 2020)


@pytest.mark.parametrize(
    "obs, codes",
    [
        ({2020: 40, 2023: 42}, {"behind_pace"}),  # below the straight path 40 → 50 (46 in 2023)
        ({2020: 40, 2023: 47}, set()),  # ahead of it
        ({2020: 40, 2021: 40.5, 2022: 41, 2023: 41.5}, {"behind_pace", "projected_miss"}),  # the trend misses 50
        ({}, set()),  # nothing observed: no indicator rule
    ],
)
def test_indicator_lights(users, obs, codes):
    from kb.monitoring import observations as obsdb
    from kb.monitoring import values as mvalues
    from kb.progress.board import Board
    from kb.progress.scope import indicator_index, scope
    from kb.reviews.audit import read

    index = indicator_index(scope())
    ind = f"{M7}.i1"
    obsdb.write([mvalues.make_entry(index[ind], y, v) for y, v in obs.items()], "office", index)
    light = read(
        lambda conn: Board(conn, scope(), period="2024", today=date(2024, 3, 1)).light(scope().by_id[M7], HEALTH)
    )
    assert {r["code"] for r in light["rules"]} & {"behind_pace", "projected_miss"} == codes
    assert light["light"] == ("red" if "projected_miss" in codes else "yellow" if codes else "green")


def test_reported_indicator_values(users):
    from kb.progress import ProgressError, service
    from kb.progress.board import Board
    from kb.progress.scope import scope
    from kb.progress.store import Draft
    from kb.reviews.audit import read

    ind = f"{M7}.i1"
    with pytest.raises(ProgressError, match=r"单位|‰"):
        service.write_report(
            users["health"], HEALTH, "2024", Draft(M7, status="推进中", indicator_values={ind: "45‰"}), submit=True
        )
    with pytest.raises(ProgressError, match="不属于"):
        service.write_report(
            users["health"],
            HEALTH,
            "2024",
            Draft(M7, status="推进中", indicator_values={f"{PLAN}:health-m10.i1": "20"}),
            submit=True,
        )
    rep = service.write_report(
        users["health"],
        HEALTH,
        "2024",
        Draft(M7, status="推进中", progress="已监测", indicator_values={ind: "45%"}),
        submit=True,
    )
    assert rep["indicator_values"] == {ind: {"value": 45.0, "unit": "%"}}
    detail = read(lambda conn: Board(conn, scope(), period="2024").report_detail(M7, HEALTH))
    assert (
        detail["indicators"][0]["value"] == "45" and {"year": 2024, "value": "45"} in detail["indicators"][0]["latest"]
    )


def test_duty_changes_become_events(users):
    from kb import reviews
    from kb.progress import service
    from kb.progress.scope import scope

    assert service.sync_duties(scope(), HEALTH) == 0  # the first look only remembers
    item = next(i for i in scope().duties(EDU) if i not in scope().duties(HEALTH))
    reviews.add_assignment(item, HEALTH, "rv", "卫健委也负责", role="co")
    assert scope().duties(HEALTH)[item]["role"] == "co"
    assert service.sync_duties(scope(), HEALTH) == 1
    (event,) = service.events(HEALTH)
    assert (event["kind"], event["item"], event["detail"]) == ("duty.added", item, "配合")
    assert service.sync_duties(scope(), HEALTH) == 0


def test_half_yearly_cadence_and_deadline_override(users):
    from kb.progress import Forbidden, ProgressError, service
    from kb.progress.board import Board
    from kb.progress.scope import scope
    from kb.progress.store import Draft
    from kb.reviews.audit import read

    item = _health_items(1)[0]
    with pytest.raises(Forbidden):
        service.set_cadence(users["health"], None, "half")
    service.set_cadence(users["admin"], None, "half")
    rep = service.write_report(
        users["health"], HEALTH, "2024H1", Draft(item, status="推进中", progress="上半年已启动"), submit=True
    )
    assert rep["period"] == "2024H1"
    with pytest.raises(ProgressError, match="不在本规划的报告期内"):
        service.write_report(users["health"], HEALTH, "2024", Draft(item, status="推进中"), submit=True)
    with pytest.raises(ProgressError, match="无法识别的完成时限"):
        service.set_deadline(users["admin"], item, "明年")
    service.set_deadline(users["admin"], item, "2024-09-30", "省里要求提前")
    b = read(lambda conn: Board(conn, scope(), period="2024H2", today=date(2024, 8, 1)))
    row = next(r for r in b.rows(HEALTH) if r["id"] == item)
    assert row["deadline"]["source"] == "override" and row["deadline"]["date"] == "2024-09-30"
    assert "deadline_near" in {r["code"] for r in row["rules"]}
    service.set_deadline(users["admin"], item, "")  # back to the text's deadline
    b = read(lambda conn: Board(conn, scope(), period="2024H2", today=date(2024, 8, 1)))
    assert next(r for r in b.rows(HEALTH) if r["id"] == item)["deadline"]["source"] != "override"
