"""Session 14's reporting pass: a refused file refuses the whole save, the form comes back with what was typed, an
oversized upload names its limit, a packet with a renamed header is refused at its header (not a 500), the report
form says when an indicator has no values and who moved a deadline."""

from __future__ import annotations

import gc
import io
import re

import pytest
from progress_support import HEALTH, client_as, duty_items, make_accounts
from web_support import csrf

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def accounts(web_data):
    make_accounts()


def _stored(item: str):
    from kb.progress import store
    from kb.reviews.audit import read

    return read(lambda conn: store.get(conn, item, HEALTH, "2024"))


def _form(c, item, **extra):
    data = {"csrf_token": csrf(c), "period": "2024", "status": "in_progress", "progress": "已开展专项行动", **extra}
    return c.post(f"/progress/department/{HEALTH}/item/{item}", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("path", ["form", "api"])
def test_a_refused_file_refuses_the_whole_save(app, accounts, path):
    """The report used to be saved (even submitted) and then the file refused, while the page showed only the error."""
    c = client_as(app, "reporter")
    item = duty_items(HEALTH)[0]
    if path == "form":
        resp = _form(c, item, action="submit", file=(io.BytesIO(b"a,b\n"), "表.csv"))
    else:
        resp = c.post(
            f"/api/progress/department/{HEALTH}/item/{item}",
            data={
                "period": "2024",
                "status": "in_progress",
                "progress": "x",
                "action": "submit",
                "file": (io.BytesIO(b"a,b\n"), "表.csv"),
            },
            headers={"X-CSRF-Token": csrf(c)},
            content_type="multipart/form-data",
        )
    assert resp.status_code == 422 and "不支持的文件类型" in resp.get_data(as_text=True)
    assert _stored(item) is None


def test_the_form_comes_back_with_what_was_typed(app, accounts):
    c = client_as(app, "reporter")
    item = duty_items(HEALTH)[0]
    resp = _form(
        c,
        item,
        action="submit",
        progress="本年度开展筛查 3.2 万人次",
        next_steps="扩大覆盖",
        file=(io.BytesIO(b"MZ\x90\x00" + b"\x00" * 64), "a.pdf"),
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'data-testid="form-error"' in html and "可执行程序" in html
    assert "本年度开展筛查 3.2 万人次" in html and "扩大覆盖" in html and 'data-testid="report-form"' in html
    assert _stored(item) is None


def test_a_conflict_keeps_the_typing_and_still_conflicts(app, accounts):
    c = client_as(app, "reporter")
    item = duty_items(HEALTH)[0]
    assert _form(c, item, version="0").status_code == 302
    stale = _form(c, item, version="0", progress="我的新内容")
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "我的新内容" in html and "保留在下方" in html
    assert re.search(r'name="version" value="0"', html)  # sending it again conflicts again, never overwrites
    assert _stored(item)["progress"] == "已开展专项行动"


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the test client's spooled body
def test_an_upload_over_the_request_limit_names_the_file_limit(app, accounts):
    try:
        _over_the_limit(app)
    finally:
        gc.collect()  # the werkzeug test client leaves a large request body's temp file to the collector


def _over_the_limit(app):
    c = client_as(app, "reporter")
    item = duty_items(HEALTH)[0]
    resp = _form(c, item, file=(io.BytesIO(b"%PDF-" + b"0" * (11 << 20)), "大.pdf"))
    assert resp.status_code == 413 and "单个佐证材料最大 10 MB" in resp.get_data(as_text=True)
    api = c.post(
        f"/api/progress/department/{HEALTH}/packet",
        data={"file": (io.BytesIO(b"0" * (11 << 20)), "p.xlsx")},
        headers={"X-CSRF-Token": csrf(c)},
    )
    assert api.status_code == 413 and "填报包最大 5 MB" in api.get_json()["error"]
    assert _stored(item) is None


@pytest.mark.parametrize("header", ["工作进展", "状态", "提交"])
def test_a_packet_with_a_renamed_header_is_refused_at_the_header(app, accounts, header):
    """Renaming 工作进展 to 进展 was a KeyError (500) once a row asked to be submitted."""
    from openpyxl import load_workbook

    c = client_as(app, "reporter")
    data = c.get(f"/progress/department/{HEALTH}/packet.xlsx?period=2024").data
    wb = load_workbook(io.BytesIO(data))
    ws = wb["进度报告"]
    heads = [x.value for x in ws[1]]
    ws.cell(row=2, column=heads.index("状态") + 1, value="推进中")
    ws.cell(row=2, column=heads.index("提交") + 1, value="提交")
    ws.cell(row=1, column=heads.index(header) + 1, value="改过的表头")
    buf = io.BytesIO()
    wb.save(buf)
    resp = c.post(
        f"/api/progress/department/{HEALTH}/packet",
        data={"file": (io.BytesIO(buf.getvalue()), "p.xlsx"), "action": "commit"},
        headers={"X-CSRF-Token": csrf(c)},
    )
    body = resp.get_json()
    assert resp.status_code == 422 and any(f"缺少列: {header}" in e for e in body["errors"]), body
    assert _stored(duty_items(HEALTH)[0]) is None


def test_report_form_says_no_values_and_who_moved_the_deadline(app, accounts):
    from kb.progress.scope import scope

    item = next(i for i in duty_items(HEALTH) if scope().by_id[i].get("indicators"))
    admin = client_as(app, "admin")
    resp = admin.post(
        f"/api/progress/deadline/{item}",
        json={"deadline": "逐年", "reason": "按年度考核"},
        headers={"X-CSRF-Token": csrf(admin)},
    )
    assert resp.status_code == 200
    html = (
        client_as(app, "reporter").get(f"/progress/department/{HEALTH}/item/{item}?period=2024").get_data(as_text=True)
    )
    assert "暂无监测数据" in html and ";已有 )" not in html
    assert "(由 office 调整:按年度考核)" in html and "依据“按年度考核”" not in html
    page = admin.get(f"/progress/department/{HEALTH}/item/{item}?period=2024").get_data(as_text=True)
    assert 'name="deadline" value="逐年"' in page  # the override in force is shown, not an empty box


@pytest.mark.parametrize(
    "query, needle",
    [("period=2030", "2021 至 2025"), ("period=abc", "无法识别的报告期"), ("plan=nope", "没有这个规划")],
)
def test_a_bad_period_on_a_page_is_a_bad_request_naming_every_period(app, accounts, query, needle):
    """It was 422 提交内容有误 (nothing was submitted) and listed 2021、2022、2023、2024…, hiding 2025."""
    admin = client_as(app, "admin")
    for url in (f"/progress/overview?{query}", f"/api/progress/department/{HEALTH}?{query}"):
        resp = admin.get(url)
        assert resp.status_code == 400 and needle in resp.get_data(as_text=True), (url, resp.status_code)


def test_the_not_reported_list_starts_with_who_owes_most(app, accounts):
    ov = client_as(app, "admin").get("/api/progress/overview?period=2024").get_json()
    owed = [d["missing"] for d in ov["not_reported"]]
    assert len(owed) > 5 and owed == sorted(owed, reverse=True)


def test_today_is_the_offices_date(app, accounts):
    """The board used the server's UTC date while every time on the pages is in the plan's zone."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    zone = "Etc/GMT-14" if datetime.now(UTC).hour >= 12 else "Etc/GMT+12"  # a zone whose date is not UTC's now
    app.config["PLAN_TIMEZONE"] = zone
    ov = client_as(app, "admin").get("/api/progress/overview?period=2024").get_json()
    assert ov["today"] == datetime.now(ZoneInfo(zone)).date().isoformat()


def test_the_packet_shows_why_a_report_was_returned(app, accounts):
    from openpyxl import load_workbook

    rep, admin = client_as(app, "reporter"), client_as(app, "admin")
    item = duty_items(HEALTH)[0]
    assert _form(rep, item, action="submit").status_code == 302
    rid = admin.get(f"/api/progress/department/{HEALTH}/item/{item}?period=2024").get_json()["summary"]["id"]
    h = {"X-CSRF-Token": csrf(admin)}
    assert (
        admin.post(f"/api/progress/reports/{rid}/return", json={"comment": "请补充筛查人数"}, headers=h).status_code
        == 200
    )
    data = rep.get(f"/progress/department/{HEALTH}/packet.xlsx?period=2024").data
    ws = load_workbook(io.BytesIO(data))["进度报告"]
    heads = [x.value for x in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == item)
    assert row[heads.index("退回意见")] == "请补充筛查人数"
    same = rep.post(
        f"/api/progress/department/{HEALTH}/packet",
        data={"file": (io.BytesIO(data), "p.xlsx"), "action": "commit"},
        headers={"X-CSRF-Token": csrf(rep)},
    )
    assert same.status_code == 200 and same.get_json()["changes"] == []  # the new column is for reading only
    assert _stored(item)["state"] == "returned"


def test_the_packet_preview_speaks_in_words(app, accounts):
    """It showed 状态:(空) → done and 指标数值 as raw dicts keyed by indicator ids."""
    from openpyxl import load_workbook

    from kb.progress.scope import scope

    c = client_as(app, "reporter")
    data = c.get(f"/progress/department/{HEALTH}/packet.xlsx?period=2024").data
    wb = load_workbook(io.BytesIO(data))
    ws, wi = wb["进度报告"], wb["指标数值"]
    heads, ind_heads = [x.value for x in ws[1]], [x.value for x in wi[1]]
    ind_id, item = wi.cell(row=2, column=1).value, wi.cell(row=2, column=2).value
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == item)
    ws.cell(row=row, column=heads.index("状态") + 1, value="已完成")
    wi.cell(row=2, column=ind_heads.index("本期数值") + 1, value=97.2)
    buf = io.BytesIO()
    wb.save(buf)
    html = c.post(
        f"/progress/department/{HEALTH}/packet",
        data={"csrf_token": csrf(c), "file": (io.BytesIO(buf.getvalue()), "p.xlsx")},
    ).get_data(as_text=True)
    name = next(i["name"] for i in scope().by_id[item]["indicators"] if i["id"] == ind_id)
    assert "状态:(空) → 已完成" in html and f"{name} 97.2" in html and "2024年度" in html
    assert ind_id not in html and "→ done" not in html


def test_a_signed_out_reporter_gets_a_way_back(app, accounts):
    """The sign-in page said 审核员登录 to reporters, and the 401 page's link forgot the page asked for."""
    url = f"/progress/department/{HEALTH}?period=2024"
    page = app.test_client().get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 401
    link = re.search(r'href="([^"]+)" data-testid="login-link"', html).group(1)
    assert "next=" in link and "progress" in link
    login = app.test_client().get("/login").get_data(as_text=True)
    assert "<h1>登录</h1>" in login and "填报员账号" in login


def test_packet_errors_name_their_sheet_the_same_way(app, accounts):
    """Errors on the main sheet said 第10行 H列 beside 第5行 指标数值 G列 and 第1行 进度报告列: 缺少列 …"""
    from openpyxl import load_workbook

    c = client_as(app, "reporter")
    wb = load_workbook(io.BytesIO(c.get(f"/progress/department/{HEALTH}/packet.xlsx?period=2024").data))
    ws = wb["进度报告"]
    heads = [x.value for x in ws[1]]
    ws.cell(row=3, column=heads.index("状态") + 1, value="快完成了")
    buf = io.BytesIO()
    wb.save(buf)
    h = {"X-CSRF-Token": csrf(c)}
    body = c.post(
        f"/api/progress/department/{HEALTH}/packet", data={"file": (io.BytesIO(buf.getvalue()), "p.xlsx")}, headers=h
    ).get_json()
    col = chr(ord("A") + heads.index("状态"))
    assert body["errors"] == [
        f"第3行 进度报告 {col}列: 无法识别的状态“快完成了”(应为 未启动 / 推进中 / 已完成 / 滞后 / 不适用)"
    ]
    ws.cell(row=1, column=heads.index("提交") + 1, value="x")
    buf = io.BytesIO()
    wb.save(buf)
    body = c.post(
        f"/api/progress/department/{HEALTH}/packet", data={"file": (io.BytesIO(buf.getvalue()), "p.xlsx")}, headers=h
    ).get_json()
    assert body["errors"] == ["工作表“进度报告”第1行缺少列: 提交(请勿修改表头)"]
