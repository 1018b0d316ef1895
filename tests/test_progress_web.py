"""Progress pages and API: the role policy on every route, reports, attachments, returns, packets, feed."""

from __future__ import annotations

import gc
import io
import re
from xml.etree import ElementTree

import pytest
from progress_support import EDU, HEALTH, client_as, duty_items, make_accounts, only_mine
from web_support import csrf

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def accounts(web_data):
    make_accounts()


def _state() -> tuple[int, int, int]:
    """(audit entries, progress reports, accounts): what a refused request must leave unchanged."""
    from kb.store.durable import durable_connection

    conn = durable_connection()
    try:
        return tuple(
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[return-value]
            for t in ("audit", "progress_reports", "users")
        )
    finally:
        conn.close()


def _sample_url(app, rule) -> str | None:
    """The rule's URL with plausible values for its parts (a real item, department, user …)."""
    values = {
        "name": HEALTH,
        "item_id": duty_items(HEALTH)[0],
        "code": "health",
        "fmt": "xlsx",
        "action": "disable",
        "aid": 1,
        "rid": 1,
        "filename": "app.css",
        "plan": "yiyang-children-2021-2025",
        "plan_id": "yiyang-children-2021-2025",
        "ind_id": "x",
        "indicator_id": "x",
        "kind": "plan",
    }
    args = {}
    for arg in rule.arguments:
        args[arg] = values.get(arg, "x")
    with app.test_request_context():
        from flask import url_for

        try:
            return url_for(rule.endpoint, **args)
        except Exception:  # a converter refusing the sample value: the route cannot be reached with it
            return None


@pytest.mark.slow
@pytest.mark.parametrize("who", [None, "reporter", "reviewer", "admin"])
def test_every_route_follows_the_role_policy(app, accounts, who):
    """Enumerate the URL map: a role outside a route's policy gets 401/403 and changes nothing; no 5xx anywhere."""
    from webapp.permissions import roles_of

    c = client_as(app, who)
    token = csrf(c)
    role = None if who is None else {"reporter": "reporter", "reviewer": "reviewer", "admin": "admin"}[who]
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = _sample_url(app, rule)
        if url is None:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            allowed = roles_of(rule.endpoint, method)
            denied = allowed is not None and role not in allowed
            if method != "GET" and not denied:
                continue  # permitted writes are exercised by the tests of each area
            before = _state()
            resp = c.open(url, method=method, headers={"X-CSRF-Token": token}, data={})
            checked += 1
            assert resp.status_code < 500, (method, url, resp.status_code)
            if denied:
                assert resp.status_code == (401 if role is None else 403), (method, url, resp.status_code)
                assert _state() == before, (method, url)
    assert checked > 40


def test_reporter_sees_only_its_department(app, accounts):
    c = client_as(app, "reporter")
    assert c.get("/progress").headers["Location"].endswith("/progress/department/%E5%B8%82%E5%8D%AB%E5%81%A5%E5%A7%94")
    page = c.get(f"/api/progress/department/{HEALTH}?period=2024").get_json()
    assert {r["id"] for r in page["rows"]} == set(duty_items(HEALTH))
    assert c.get(f"/progress/department/{EDU}").status_code == 403
    assert c.get("/progress/overview").status_code == 403


def test_reporter_writing_another_departments_item_gets_403(app, accounts):
    c = client_as(app, "edu")
    item = only_mine(HEALTH, EDU)
    before = _state()
    for url in (f"/api/progress/department/{HEALTH}/item/{item}", f"/api/progress/department/{EDU}/item/{item}"):
        resp = c.post(
            url, json={"period": "2024", "status": "done", "action": "submit"}, headers={"X-CSRF-Token": csrf(c)}
        )
        assert resp.status_code == 403, resp.get_json()
    assert _state() == before


def test_forms_need_csrf(app, accounts):
    c = client_as(app, "reporter")
    item = duty_items(HEALTH)[0]
    before = _state()
    resp = c.post(f"/progress/department/{HEALTH}/item/{item}", data={"status": "done", "period": "2024"})
    assert resp.status_code == 400 and _state() == before


def _submit(c, item, dept=HEALTH, **extra):
    data = {
        "csrf_token": csrf(c),
        "period": "2024",
        "status": "in_progress",
        "progress": "已开展专项行动",
        "action": "submit",
        **extra,
    }
    return c.post(f"/progress/department/{dept}/item/{item}", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize(
    "filename, data, status, reason",
    [
        ("会议纪要.pdf", PDF, 302, None),
        ("病毒.pdf", b"MZ\x90\x00" + b"\x00" * 200, 422, "可执行程序"),
        ("图.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, 422, "内容是 PNG"),
        ("表.csv", b"a,b\n", 422, "不支持的文件类型"),
        ("大.pdf", b"%PDF-" + b"0" * (10 << 20), 422, "过大"),
    ],
)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the test client's spooled body
def test_attachment_upload(app, accounts, filename, data, status, reason):
    try:
        _attachment_case(app, filename, data, status, reason)
    finally:
        gc.collect()  # the werkzeug test client leaves a large request body's temp file to the collector


def _attachment_case(app, filename, data, status, reason):
    c = client_as(app, "reporter")
    item = duty_items(HEALTH)[0]
    resp = _submit(c, item, file=(io.BytesIO(data), filename))
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    if reason:
        assert reason in resp.get_data(as_text=True)
        return
    page = c.get(f"/api/progress/department/{HEALTH}/item/{item}?period=2024").get_json()
    (a,) = page["attachments"]
    got = c.get(a["url"])
    assert got.data == data and got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in got.headers["Content-Security-Policy"]
    assert client_as(app, "edu").get(a["url"]).status_code == 403
    assert client_as(app, None).get(a["url"]).status_code == 401


def test_submit_return_and_comment(app, accounts):
    rep, admin = client_as(app, "reporter"), client_as(app, "admin")
    item = duty_items(HEALTH)[0]
    assert _submit(rep, item).status_code == 302
    ov = admin.get("/api/progress/overview?period=2024").get_json()
    row = next(d for d in ov["departments"] if d["name"] == HEALTH)
    assert row["reported"] == 1
    detail = admin.get(f"/api/progress/department/{HEALTH}/item/{item}?period=2024").get_json()
    rid = detail["summary"]["id"]
    assert (
        rep.post(
            f"/api/progress/reports/{rid}/return", json={"comment": "x"}, headers={"X-CSRF-Token": csrf(rep)}
        ).status_code
        == 403
    )
    resp = admin.post(f"/progress/reports/{rid}/return", data={"csrf_token": csrf(admin), "comment": "请补充佐证材料"})
    assert resp.status_code == 302
    page = rep.get(f"/progress/department/{HEALTH}/item/{item}?period=2024").get_data(as_text=True)
    assert "请补充佐证材料" in page and 'data-testid="return-comment"' in page
    changes = rep.get(f"/api/progress/department/{HEALTH}/changes").get_json()
    assert changes["events"][0]["kind"] == "report.returned"


def test_admin_accepts_a_report_and_a_later_change_needs_accepting_again(app, accounts):
    rep, admin = client_as(app, "reporter"), client_as(app, "admin")
    item = duty_items(HEALTH)[0]
    assert _submit(rep, item).status_code == 302
    url = f"/api/progress/department/{HEALTH}/item/{item}?period=2024"
    rid = admin.get(url).get_json()["summary"]["id"]
    token = {"X-CSRF-Token": csrf(rep)}
    assert rep.post(f"/api/progress/reports/{rid}/accept", headers=token).status_code == 403  # admins only
    page = admin.get(f"/progress/department/{HEALTH}/item/{item}?period=2024").get_data(as_text=True)
    assert 'data-testid="accept-form"' in page
    assert admin.post(f"/progress/reports/{rid}/accept", data={"csrf_token": csrf(admin)}).status_code == 302
    summary = admin.get(url).get_json()["summary"]
    assert (summary["state_label"], summary["accepted_by"]) == ("已确认", "office")
    again = admin.post(f"/api/progress/reports/{rid}/accept", headers={"X-CSRF-Token": csrf(admin)})
    assert again.status_code == 422 and "已由" in again.get_json()["error"]  # nothing to confirm twice
    row = next(
        d for d in admin.get("/api/progress/overview?period=2024").get_json()["departments"] if d["name"] == HEALTH
    )
    assert (row["reported"], row["accepted"]) == (1, 1)
    assert rep.get(f"/api/progress/department/{HEALTH}/changes").get_json()["events"][0]["kind"] == "report.accepted"
    # the department changes its submitted report: it is no longer the text the office confirmed
    assert _submit(rep, item, progress="已开展专项行动,新增两所学校").status_code == 302
    summary = admin.get(url).get_json()["summary"]
    assert (summary["state_label"], summary["accepted_by"]) == ("已提交", None)


def test_a_draft_cannot_be_accepted(app, accounts):
    rep, admin = client_as(app, "reporter"), client_as(app, "admin")
    item = duty_items(HEALTH)[0]
    assert _submit(rep, item, action="save").status_code == 302
    rid = admin.get(f"/api/progress/department/{HEALTH}/item/{item}?period=2024").get_json()["summary"]["id"]
    resp = admin.post(f"/api/progress/reports/{rid}/accept", headers={"X-CSRF-Token": csrf(admin)})
    assert resp.status_code == 422 and "只能确认已提交" in resp.get_json()["error"]
    assert admin.post("/api/progress/reports/999999/accept", headers={"X-CSRF-Token": csrf(admin)}).status_code == 404


def test_progress_events_stay_out_of_the_public_audit_log(app, accounts):
    rep, admin = client_as(app, "reporter"), client_as(app, "admin")
    assert _submit(rep, duty_items(HEALTH)[0]).status_code == 302
    for who in (app.test_client(), rep):  # anonymous, and any reporter (another department's could be one)
        actions = [e["action"] for e in who.get("/api/reviews").get_json()["entries"]]
        assert not [a for a in actions if a.startswith("progress.")]
    shown = admin.get("/api/reviews").get_json()["entries"]
    assert any(e["action"] == "progress.submit" and e["action_label"] == "提交进展报告" for e in shown)


def test_stale_version_is_a_conflict(app, accounts):
    c = client_as(app, "reporter")
    item = duty_items(HEALTH)[0]
    url = f"/api/progress/department/{HEALTH}/item/{item}"
    h = {"X-CSRF-Token": csrf(c)}
    assert c.post(url, json={"period": "2024", "status": "推进中", "version": 0}, headers=h).status_code == 200
    resp = c.post(url, json={"period": "2024", "status": "滞后", "version": 0}, headers=h)
    assert resp.status_code == 409 and "未保存" in resp.get_json()["error"]


def test_admin_creates_disables_and_rebinds_accounts(app, accounts):
    admin = client_as(app, "admin")
    resp = admin.post(
        "/api/admin/users",
        json={"name": "wj9", "role": "reporter", "department": "卫健委"},
        headers={"X-CSRF-Token": csrf(admin)},
    )
    body = resp.get_json()
    assert resp.status_code == 200 and body["issued"]["name"] == "wj9"
    assert next(u for u in body["users"] if u["name"] == "wj9")["department"] == HEALTH
    bad = admin.post(
        "/api/admin/users", json={"name": "wj8", "role": "reporter"}, headers={"X-CSRF-Token": csrf(admin)}
    )
    assert bad.status_code == 422 and "部门" in bad.get_json()["error"]
    from web_support import sign_in

    c = app.test_client()
    assert sign_in(c, "wj9", body["issued"]["password"]).status_code == 302
    h = {"X-CSRF-Token": csrf(admin)}
    assert (
        admin.post("/api/admin/users/wj9/role", json={"role": "reporter", "department": EDU}, headers=h).status_code
        == 200
    )
    assert c.get(f"/progress/department/{HEALTH}").status_code in (401, 403)  # the old session ended
    assert admin.post("/api/admin/users/wj9/disable", headers=h).status_code == 200
    assert sign_in(app.test_client(), "wj9", body["issued"]["password"]).status_code == 401
    reset = admin.post("/api/admin/users/wj9/password", headers=h).get_json()
    assert reset["issued"]["password"] != body["issued"]["password"]


def test_packet_through_the_web(app, accounts):
    from openpyxl import load_workbook

    c = client_as(app, "reporter")
    data = c.get(f"/progress/department/{HEALTH}/packet.xlsx?period=2024").data
    h = {"X-CSRF-Token": csrf(c)}
    same = c.post(f"/api/progress/department/{HEALTH}/packet", data={"file": (io.BytesIO(data), "p.xlsx")}, headers=h)
    assert same.status_code == 200 and same.get_json()["changes"] == []
    wb = load_workbook(io.BytesIO(data))
    ws = wb["进度报告"]
    heads = [x.value for x in ws[1]]
    ws.cell(row=2, column=heads.index("状态") + 1, value="推进中")
    buf = io.BytesIO()
    wb.save(buf)
    preview = c.post(
        f"/progress/department/{HEALTH}/packet",
        data={"csrf_token": csrf(c), "file": (io.BytesIO(buf.getvalue()), "p.xlsx")},
    )
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "确认导入" in html
    upload = re.search(r'name="upload" value="([0-9a-f]{64})"', html).group(1)
    before = _state()
    done = c.post(
        f"/progress/department/{HEALTH}/packet", data={"csrf_token": csrf(c), "upload": upload, "action": "commit"}
    )
    assert done.status_code == 200 and _state()[1] == before[1] + 1
    other = client_as(app, "edu")
    refused = other.post(
        f"/api/progress/department/{EDU}/packet",
        data={"file": (io.BytesIO(data), "p.xlsx")},
        headers={"X-CSRF-Token": csrf(other)},
    )
    assert refused.status_code == 422 and "市卫健委的填报包" in refused.get_json()["error"]


def test_feed_needs_token_or_session(app, accounts):
    c = client_as(app, "reporter")
    page = c.get(f"/api/progress/department/{HEALTH}/changes").get_json()
    feed = page["feed_url"]
    anon = app.test_client()
    ok = anon.get(feed)
    assert ok.status_code == 200 and ok.mimetype == "application/atom+xml"
    ElementTree.fromstring(ok.data)
    assert anon.get(f"/progress/department/{HEALTH}/changes.atom?token=wrong").status_code == 401
    assert client_as(app, "edu").get(f"/progress/department/{HEALTH}/changes.atom").status_code == 403


@pytest.mark.slow
def test_bulletin_downloads(app, accounts):
    from docx import Document
    from openpyxl import load_workbook

    admin = client_as(app, "admin")
    d = admin.get("/progress/bulletin.docx?period=2024")
    assert d.status_code == 200 and "通报" in Document(io.BytesIO(d.data)).paragraphs[0].text
    x = admin.get("/progress/bulletin.xlsx?period=2024")
    assert x.status_code == 200 and "报送情况" in load_workbook(io.BytesIO(x.data)).sheetnames
    assert client_as(app, "reporter").get("/progress/bulletin.docx").status_code == 403
