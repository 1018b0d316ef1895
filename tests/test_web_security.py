"""Accounts, sign-in, throttling, sessions, CSRF and the rule that anonymous users cannot write."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from web_support import (
    PASSWORD,
    csrf,
    item_id,
    make_user,
    sign_in,
)

M4 = item_id("health-m4")
REPO = Path(__file__).resolve().parent.parent


def audit_count() -> int:
    from kb.reviews import audit_log

    return len(audit_log())


# -- accounts ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name,password,ok",
    [
        ("alice", "long-enough-1", True),
        ("张三", "长一点的密码口令", True),
        ("", "long-enough-1", False),
        ("has space", "long-enough-1", False),
        ("<script>", "long-enough-1", False),
        ("bob", "short", False),
    ],
)
def test_add_user_validates(web_data, name, password, ok):
    from kb.store.users import AccountError, add_user

    if ok:
        assert add_user(name, password)["name"] == name
    else:
        with pytest.raises(AccountError):
            add_user(name, password)


def test_passwords_are_argon2_hashed(web_data):
    from kb.store.durable import durable_connection

    make_user()
    conn = durable_connection()
    stored = conn.execute("SELECT password_hash FROM users").fetchone()[0]
    conn.close()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_duplicate_user_refused(web_data):
    from kb.store.users import AccountError

    make_user()
    with pytest.raises(AccountError, match="已存在"):
        make_user()


@pytest.mark.parametrize("password,ok", [(PASSWORD, True), ("wrong-password", False), ("", False)])
def test_authenticate(web_data, password, ok):
    from kb.store.users import LoginFailed, authenticate

    make_user()
    if ok:
        assert authenticate("reviewer1", password, "127.0.0.1")["name"] == "reviewer1"
    else:
        with pytest.raises(LoginFailed):
            authenticate("reviewer1", password, "127.0.0.1")


def test_throttle_after_repeated_failures_and_window_expiry(web_data):
    from kb.store.users import MAX_FAILURES_USER, WINDOW, LoginFailed, LoginThrottled, authenticate

    make_user()
    t0 = 1_000_000.0
    for i in range(MAX_FAILURES_USER):
        with pytest.raises(LoginFailed):
            authenticate("reviewer1", "nope", "10.0.0.1", now=t0 + i)
    with pytest.raises(LoginThrottled) as exc:
        authenticate("reviewer1", PASSWORD, "10.0.0.1", now=t0 + 10)  # even the right password waits
    assert 0 < exc.value.wait <= WINDOW
    assert authenticate("reviewer1", PASSWORD, "10.0.0.1", now=t0 + WINDOW + 10)["name"] == "reviewer1"


def test_unknown_user_failures_are_throttled_too(web_data):
    from kb.store.users import MAX_FAILURES_USER, LoginFailed, LoginThrottled, authenticate

    for i in range(MAX_FAILURES_USER):
        with pytest.raises(LoginFailed):
            authenticate("ghost", "x", "10.0.0.2", now=2_000_000.0 + i)
    with pytest.raises(LoginThrottled):
        authenticate("ghost", "x", "10.0.0.2", now=2_000_010.0)


@pytest.mark.slow
def test_user_cli(web_data):
    env = {**os.environ, "KB_DATA_DIR": str(web_data)}

    def run(*args, inp=None):
        return subprocess.run(
            [sys.executable, "-m", "kb", "user", *args],
            input=inp,
            env=env,
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=60,
        )

    r = run("add", "carol", "--password-stdin", inp="a-good-password\n")
    assert r.returncode == 0 and "carol" in r.stdout
    assert run("add", "carol", "--password-stdin", inp="a-good-password\n").returncode == 2
    assert run("add", "dave", "--password-stdin", inp="short\n").returncode == 2
    assert "carol" in run("list").stdout
    assert run("passwd", "carol", "--password-stdin", inp="another-password\n").returncode == 0
    assert run("passwd", "nobody", "--password-stdin", inp="another-password\n").returncode == 2
    from kb.store.users import authenticate

    assert authenticate("carol", "another-password", "-")["name"] == "carol"


# -- sign-in over HTTP ------------------------------------------------------------------------------
def test_login_form_flow(client):
    make_user()
    assert client.get("/api/session").get_json()["user"] is None
    assert sign_in(client).status_code == 302
    assert client.get("/api/session").get_json()["user"]["name"] == "reviewer1"
    html = client.get("/").get_data(as_text=True)
    assert "审核员 reviewer1" in html
    token = csrf(client)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/api/session").get_json()["user"] is None


def test_wrong_password_then_throttled_over_http(client):
    from kb.store.users import MAX_FAILURES_USER

    make_user()
    for _ in range(MAX_FAILURES_USER):
        resp = sign_in(client, password="wrong-password")
        assert resp.status_code == 401 and "用户名或密码错误" in resp.get_data(as_text=True)
    resp = sign_in(client)
    assert resp.status_code == 429 and "Retry-After" in resp.headers


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/departments", "/departments"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_login_next_is_same_site_only(client, target, expected):
    make_user()
    page = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"name": "reviewer1", "password": PASSWORD, "csrf_token": token, "next": target})
    assert resp.status_code == 302 and resp.headers["Location"] == expected


def test_session_cookie_flags(client):
    make_user()
    resp = sign_in(client)
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_secure_over_https(app):
    make_user()
    c = app.test_client()
    c.environ_base["wsgi.url_scheme"] = "https"
    page = c.get("/login", base_url="https://localhost").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = c.post(
        "/login", base_url="https://localhost", data={"name": "reviewer1", "password": PASSWORD, "csrf_token": token}
    )
    assert "Secure" in resp.headers["Set-Cookie"]


def test_password_change_ends_sessions(reviewer):
    from kb.store.users import set_password

    assert reviewer.get("/api/session").get_json()["user"]
    set_password("reviewer1", "a-new-password-9")
    assert reviewer.get("/api/session").get_json()["user"] is None


def test_secret_key_generated_once_into_data_dir(web_data):
    from webapp import create_app

    a, b = create_app(), create_app()
    key_file = web_data / "secret_key"
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert a.secret_key == b.secret_key == key_file.read_bytes()
    assert not (REPO / "secret_key").exists() and not str(key_file).startswith(str(REPO / "webapp"))


# -- CSRF and anonymous writes ----------------------------------------------------------------------
WRITES = [
    ("/api/items/" + M4 + "/review", {"action": "assignment.reject", "department": "市红十字会"}),
    ("/items/" + M4 + "/review", {"action": "assignment.reject", "department": "市红十字会"}),
    ("/api/items/" + M4 + "/review", {"action": "note.add", "body": "x"}),
    ("/api/reviews/1/undo", {}),
]


@pytest.mark.parametrize("path,data", WRITES)
def test_anonymous_cannot_write(client, path, data):
    token = csrf(client)
    resp = client.post(path, data={**data, "csrf_token": token})
    assert resp.status_code == 401
    if path.startswith("/api/"):
        assert resp.get_json() == {"ok": False, "error": "请先登录审核员账号", "status": 401}
    else:
        assert "审核员登录" in resp.get_data(as_text=True)
    assert audit_count() == 0


@pytest.mark.parametrize("path,data", WRITES)
def test_csrf_missing_or_wrong_is_rejected_even_when_signed_in(reviewer, path, data):
    assert reviewer.post(path, data=data).status_code == 400
    resp = reviewer.post(path, data={**data, "csrf_token": "forged"})
    assert resp.status_code == 400
    resp = reviewer.post(path, json=data, headers={"X-CSRF-Token": "forged"})
    assert resp.status_code == 400
    assert audit_count() == 0


def test_csrf_error_shape_on_api(reviewer):
    body = reviewer.post(f"/api/items/{M4}/review", json={"action": "note.add", "body": "x"}).get_json()
    assert body["ok"] is False and body["status"] == 400 and "CSRF" in body["error"]


def test_login_itself_needs_csrf(client):
    make_user()
    resp = client.post("/login", data={"name": "reviewer1", "password": PASSWORD})
    assert resp.status_code == 400
    assert client.get("/api/session").get_json()["user"] is None


def test_api_write_with_header_token_works(reviewer):
    token = csrf(reviewer)
    resp = reviewer.post(
        f"/api/items/{M4}/review",
        json={"action": "note.add", "body": "核实中", "reason": "测试"},
        headers={"X-CSRF-Token": token},
    )
    assert resp.status_code == 200 and resp.get_json()["ok"] is True
    assert audit_count() == 1


# -- issue 14: sign-in that cannot be used against its owner ----------------------------------------
@pytest.mark.parametrize(
    "password,ok",
    [
        ("12345678", False),  # in the common-password list
        ("Password123", False),  # the list is compared case-insensitively
        ("ｐａｓｓｗｏｒｄ", False),  # full-width letters are NFKC-folded first
        ("        ", False),  # eight spaces
        ("\u3000" * 8, False),  # ideographic spaces
        ("aaaaaaaaaa", False),  # one character repeated
        ("reviewer9", False),  # the account's own name
        ("short", False),
        ("x" * 2000, False),  # longer than the cap (hashing stays bounded)
        ("correct horse battery", True),
        ("红色的灯笼挂门前", True),
    ],
)
def test_password_policy(web_data, password, ok):
    from kb.store.users import AccountError, add_user

    if ok:
        assert add_user("reviewer9", password)["name"] == "reviewer9"
    else:
        with pytest.raises(AccountError):
            add_user("reviewer9", password)


@pytest.mark.parametrize(
    "second,ok",
    [
        ("Alice", False),  # case only
        ("ＡＬＩＣＥ", False),  # full-width (NFKC)
        ("\u0430lice", False),  # Cyrillic а mixed with Latin
        ("alice\u200b", False),  # zero-width space
        ("\u0430\u0441\u0435", False),  # all-Cyrillic "асе" looks like the Latin account "ace"
        ("alicia", True),
        ("李四", True),
    ],
)
def test_look_alike_names_are_refused(web_data, second, ok):
    from kb.store.users import AccountError, add_user

    add_user("alice", PASSWORD)
    add_user("ace", PASSWORD)
    if ok:
        add_user(second, PASSWORD)
    else:
        with pytest.raises(AccountError):
            add_user(second, PASSWORD)


def test_sign_in_name_is_matched_after_nfkc_and_case_folding(web_data):
    from kb.store.users import authenticate

    add = make_user("Alice")
    assert add["name"] == "Alice"
    assert authenticate("ａｌｉｃｅ", PASSWORD, "127.0.0.1")["name"] == "Alice"


def test_guesses_from_one_address_do_not_block_the_owner_elsewhere(web_data):
    from kb.store.users import MAX_FAILURES_USER, LoginFailed, LoginThrottled, authenticate

    make_user()
    t0 = 3_000_000.0
    for i in range(MAX_FAILURES_USER + 3):
        with pytest.raises((LoginFailed, LoginThrottled)):
            authenticate("reviewer1", f"guess-{i}", "198.51.100.66", now=t0 + i * 100)
    with pytest.raises(LoginThrottled):
        authenticate("reviewer1", PASSWORD, "198.51.100.66", now=t0 + 701)
    assert authenticate("reviewer1", PASSWORD, "192.0.2.10", now=t0 + 701)["name"] == "reviewer1"


def test_backoff_grows_with_each_failure(web_data):
    from kb.store.users import MAX_FAILURES_USER, WINDOW, LoginFailed, LoginThrottled, authenticate

    make_user()
    t, waits = 4_000_000.0, []
    for _ in range(MAX_FAILURES_USER + 4):
        while True:
            try:
                authenticate("reviewer1", "wrong-one", "10.9.9.9", now=t)
            except LoginThrottled as exc:
                waits.append(exc.wait)
                t += exc.wait
                continue
            except LoginFailed:
                break
        t += 0.5
    assert waits == sorted(waits) and waits[-1] > waits[0] and max(waits) <= WINDOW


def test_parallel_guesses_are_counted_atomically(web_data):
    """40 guesses at once: no more than the allowed number reach the password check."""
    from concurrent.futures import ThreadPoolExecutor

    from kb.store import users
    from kb.store.durable import durable_connection

    make_user()

    def guess(n: int) -> str:
        try:
            users.authenticate("reviewer1", f"guess-{n}", "203.0.113.50")
        except users.LoginThrottled:
            return "throttled"
        except users.LoginFailed:
            return "failed"
        return "ok"

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(guess, range(40)))
    conn = durable_connection()
    counted = conn.execute("SELECT count(*) FROM login_failures WHERE ip = '203.0.113.50'").fetchone()[0]
    conn.close()
    assert results.count("failed") == counted <= users.MAX_FAILURES_USER
    assert results.count("throttled") == 40 - counted


def test_api_429_carries_retry_after(client):
    from kb.store.users import MAX_FAILURES_USER

    make_user()
    token = csrf(client)
    for _ in range(MAX_FAILURES_USER):
        client.post("/api/login", json={"name": "reviewer1", "password": "wrong"}, headers={"X-CSRF-Token": token})
    resp = client.post("/api/login", json={"name": "reviewer1", "password": PASSWORD}, headers={"X-CSRF-Token": token})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    assert resp.get_json() == {"ok": False, "error": resp.get_json()["error"], "status": 429}


def _cookie(client) -> str:
    return client.get_cookie("plankb_session").value


def test_logout_ends_the_session_for_a_copied_cookie(app):
    make_user()
    a = app.test_client()
    assert sign_in(a).status_code == 302
    stolen = app.test_client()
    stolen.set_cookie("plankb_session", _cookie(a))
    assert stolen.get("/api/session").get_json()["user"]["name"] == "reviewer1"
    token = stolen.get("/api/session").get_json()["csrf_token"]
    assert a.post("/logout", data={"csrf_token": csrf(a)}).status_code == 302
    assert stolen.get("/api/session").get_json()["user"] is None
    resp = stolen.post(
        f"/api/items/{M4}/review", json={"action": "note.add", "body": "x"}, headers={"X-CSRF-Token": token}
    )
    assert resp.status_code in (400, 401)


def test_disable_then_enable_does_not_revive_old_sessions(reviewer):
    from kb.store.users import set_active

    old = _cookie(reviewer)
    set_active("reviewer1", False)
    set_active("reviewer1", True)
    reviewer.set_cookie("plankb_session", old)
    assert reviewer.get("/api/session").get_json()["user"] is None


def test_sessions_have_an_absolute_lifetime(reviewer):
    from kb.store.durable import durable_connection
    from kb.store.users import SESSION_LIFETIME

    assert reviewer.get("/api/session").get_json()["user"]
    conn = durable_connection()
    created, expires = conn.execute("SELECT created_at, expires_at FROM sessions").fetchone()
    assert expires - created == SESSION_LIFETIME
    for _ in range(3):  # use does not extend it
        reviewer.get("/api/session")
    assert conn.execute("SELECT expires_at FROM sessions").fetchone()[0] == expires
    conn.execute("UPDATE sessions SET expires_at = created_at - 1")  # the lifetime is over
    conn.close()
    assert reviewer.get("/api/session").get_json()["user"] is None


def test_data_dir_databases_are_owner_only(reviewer, web_data):
    for f in web_data.glob("reviews.sqlite*"):
        assert stat.S_IMODE(f.stat().st_mode) & 0o077 == 0, f
    assert stat.S_IMODE((web_data / "secret_key").stat().st_mode) & 0o077 == 0


def test_get_logout_is_a_405_page_not_a_500(client):
    resp = client.get("/logout")
    assert resp.status_code == 405 and "POST" in resp.headers["Allow"]
    assert "不支持" in resp.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/api/items/yiyang-children-2021-2025:health-g3", "/departments"])
@pytest.mark.parametrize("token", [None, "valid"])
def test_a_write_to_a_read_only_page_is_a_405_with_or_without_a_token(client, path, token):
    """No route takes the write, so nothing can be forged: the answer is the routing's, not "表单已过期"."""
    from web_support import csrf

    headers = {"X-CSRF-Token": csrf(client)} if token else {}
    resp = client.post(path, headers=headers)
    assert resp.status_code == 405 and "GET" in resp.headers["Allow"], resp.get_data(as_text=True)[:200]
    assert "CSRF" not in resp.get_data(as_text=True)
    assert client.post("/no-such-page", headers=headers).status_code == 404


@pytest.mark.parametrize(
    "method,path,sets_cookie",
    [
        ("GET", "/", False),  # an unchanged session: the cookie is not signed and sent again
        ("GET", "/api/session", False),
        ("POST", "/logout", True),  # a change (signing out) is sent
    ],
)
def test_the_cookie_is_sent_again_only_when_the_session_changes(reviewer, method, path, sets_cookie):
    from web_support import csrf

    token = csrf(reviewer)
    resp = reviewer.open(path, method=method, headers={"X-CSRF-Token": token})
    assert resp.status_code < 400
    assert ("Set-Cookie" in resp.headers) is sets_cookie
