"""Progress pages answer like the rest of the app: a submission needs its 工作进展, unknown ids are 404s, messages
say what was refused, times are local, the changes feed names items and links only to pages that open."""

from __future__ import annotations

import io
import re

import pytest
from progress_support import EDU, HEALTH, client_as, duty_items, make_accounts, only_mine
from web_support import csrf


@pytest.fixture
def accounts(web_data):
    make_accounts()


def _post(c, url, body):
    return c.post(url, json=body, headers={"X-CSRF-Token": csrf(c)})


def _stored(item: str, dept: str = HEALTH):
    from kb.progress import store
    from kb.reviews.audit import read

    return read(lambda conn: store.get(conn, item, dept, "2024"))


@pytest.mark.parametrize("text", ["", "   \n  ", "\t"])
def test_a_submission_needs_progress_text_a_draft_does_not(app, accounts, text):
    c = client_as(app, "reporter")
    item = duty_items(HEALTH)[0]
    url = f"/api/progress/department/{HEALTH}/item/{item}"
    body = {"period": "2024", "status": "in_progress", "progress": text}
    resp = _post(c, url, {**body, "action": "submit"})
    assert resp.status_code == 422 and "工作进展" in resp.get_json()["error"], resp.get_json()
    assert _stored(item) is None  # nothing written, so the overview does not count it as 已报
    ov = client_as(app, "admin").get("/api/progress/overview?period=2024").get_json()
    assert next(d for d in ov["departments"] if d["name"] == HEALTH)["reported"] == 0
    assert _post(c, url, {**body, "action": "save"}).status_code == 200
    assert _stored(item)["state"] == "draft"
    # the form says it too, and keeps the draft
    page = c.post(
        f"/progress/department/{HEALTH}/item/{item}",
        data={**body, "action": "submit", "csrf_token": csrf(c)},
        content_type="multipart/form-data",
    )
    assert page.status_code == 422 and "工作进展" in page.get_data(as_text=True)
    assert _stored(item)["state"] == "draft"


def test_a_packet_row_submitted_without_progress_is_refused_at_its_cell(app, accounts):
    from openpyxl import load_workbook

    c = client_as(app, "reporter")
    item = duty_items(HEALTH)[0]
    wb = load_workbook(io.BytesIO(c.get(f"/progress/department/{HEALTH}/packet.xlsx?period=2024").data))
    ws = wb.worksheets[0]
    head = [cell.value for cell in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[head.index("条目编号")].value == item)
    row[head.index("状态")].value = "推进中"
    row[head.index("提交")].value = "提交"
    out = io.BytesIO()
    wb.save(out)
    resp = c.post(
        f"/api/progress/department/{HEALTH}/packet",
        data={"file": (io.BytesIO(out.getvalue()), "p.xlsx"), "csrf_token": csrf(c)},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422 and any("工作进展" in e for e in resp.get_json()["errors"]), resp.get_json()


@pytest.mark.parametrize(
    "method, url",
    [
        ("GET", f"/progress/department/{HEALTH}/item/nope"),
        ("GET", f"/api/progress/department/{HEALTH}/item/nope"),
        ("GET", "/progress/attachments/0"),
        ("POST", "/api/progress/attachments/0/delete"),
        ("POST", "/api/progress/reports/0/return"),
        ("POST", "/api/progress/deadline/nope"),
        ("GET", "/progress/department/不存在"),
        ("GET", "/api/progress/department/不存在/changes"),
    ],
)
def test_unknown_ids_are_404(app, accounts, method, url):
    c = client_as(app, "admin")
    resp = c.open(url, method=method, json={"comment": "x", "deadline": "2025年底"}, headers={"X-CSRF-Token": csrf(c)})
    assert resp.status_code == 404, (url, resp.status_code, resp.get_data(as_text=True)[:200])


def test_an_unknown_department_is_named_without_talk_of_accounts(app, accounts):
    body = client_as(app, "admin").get("/api/progress/department/不存在").get_json()
    assert body["status"] == 404 and body["error"] == "没有这个部门“不存在”"


def test_writing_for_another_department_says_write_not_view(app, accounts):
    c = client_as(app, "edu")
    item = only_mine(HEALTH, EDU)
    resp = _post(c, f"/api/progress/department/{HEALTH}/item/{item}", {"period": "2024", "status": "done"})
    error = resp.get_json()["error"]
    assert resp.status_code == 403 and "填报" in error and "查看" not in error
    packet = c.post(
        f"/api/progress/department/{HEALTH}/packet",
        data={"file": (io.BytesIO(b"x"), "p.xlsx"), "csrf_token": csrf(c)},
        content_type="multipart/form-data",
    )
    assert packet.status_code == 403 and "填报" in packet.get_json()["error"]


def test_report_and_changes_pages_show_local_time_titles_and_openable_links(app, accounts):
    from kb import reviews
    from kb.progress.scope import scope

    rep, admin = client_as(app, "edu"), client_as(app, "admin")
    kept, dropped = duty_items(EDU)[:2]
    assert rep.get(f"/progress/department/{EDU}/changes").status_code == 200  # the first look remembers duties
    for item in (kept, dropped):
        body = {"period": "2024", "status": "in_progress", "progress": "已开展", "action": "submit"}
        assert _post(rep, f"/api/progress/department/{EDU}/item/{item}", body).status_code == 200
    rid = _stored(kept, EDU)["id"]
    assert _post(admin, f"/api/progress/reports/{rid}/return", {"comment": "请补充数据"}).status_code == 200
    reviews.reject_assignment(dropped, EDU, "rv", "不是教育局的职责")
    assert dropped not in scope().duties(EDU)

    page = rep.get(f"/progress/department/{EDU}/item/{kept}?period=2024").get_data(as_text=True)
    state = re.search(r'data-testid="report-state">(.*?)</p>', page).group(1)
    assert re.search(r"于 \d{4}-\d\d-\d\d \d\d:\d\d 更新", state) and "T" not in state.split("于")[1], state

    api = rep.get(f"/api/progress/department/{EDU}/changes").get_json()
    by_kind = {e["kind"]: e for e in api["events"]}
    titles = {i: scope().by_id[i]["title"] for i in (kept, dropped)}
    assert by_kind["report.returned"]["title"] == titles[kept]
    assert by_kind["duty.removed"]["url"].startswith("/items/")  # the report page would answer 403
    html = rep.get(f"/progress/department/{EDU}/changes").get_data(as_text=True)
    events = re.search(r'data-testid="events">(.*?)</ul>', html, re.S).group(1)
    assert titles[kept] in events and not re.search(r"\d{4}-\d\d-\d\dT\d\d:", events)
    for href in re.findall(r'href="([^"]+)"', events):
        assert rep.get(href.replace("&amp;", "&")).status_code == 200, href


def test_pages_explain_in_plain_chinese_without_file_names_or_commands(app, accounts):
    from kb.progress import rules

    overview = client_as(app, "admin").get("/progress/overview?period=2024").get_data(as_text=True)
    assert "kb/data" not in overview and ".json" not in overview
    assert f"不足 {rules()['lights']['yellow_deadline_days']} 天" in overview
    login = app.test_client().get("/login").get_data(as_text=True)
    assert "python -m" not in login and "联系管理员" in login
