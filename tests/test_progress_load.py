"""Done-when: 50 reporters signing in and submitting at once against the real server on loopback lose nothing
and get no 5xx (a bounded load test: one report each, all at the same moment)."""

from __future__ import annotations

import http.cookiejar
import json
import sqlite3
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from live_server import ADMIN, serve

pytestmark = pytest.mark.slow
N = 50
PASSWORD = "load-password-42"


def _client() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def _call(opener, url: str, body: dict | None = None, token: str = "") -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", "X-CSRF-Token": token})
    try:
        with opener.open(req, timeout=120) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _assignments(data: Path) -> list[tuple[str, str, str]]:
    """(user, department, item): 50 reporters over the busiest departments, one distinct duty each."""
    import os

    os.environ["KB_DATA_DIR"] = str(data)
    from kb.progress.scope import scope
    from kb.store.users import add_user

    s = scope()
    depts = sorted(s.departments(), key=lambda d: -len(s.duties(d)))[:5]
    out = []
    for n in range(N):
        dept = depts[n % len(depts)]
        item = list(s.duties(dept))[n // len(depts)]
        add_user(f"load{n}", PASSWORD, "reporter", department=dept)
        out.append((f"load{n}", dept, item))
    return out


def test_fifty_reporters_at_once(built_kb: Path, tmp_path: Path, monkeypatch):
    data = tmp_path / "load"
    data.mkdir()
    with serve(built_kb, data, [(ADMIN, PASSWORD, "admin")], workers=2) as base:
        monkeypatch.setenv("KB_DATA_DIR", str(data))
        jobs = _assignments(data)
        go = threading.Barrier(N)
        results: dict[str, tuple[int, int, dict]] = {}

        def run(user: str, dept: str, item: str) -> None:
            c = _client()
            _s, session = _call(c, base + "/api/session")
            login, _b = _call(c, base + "/api/login", {"name": user, "password": PASSWORD}, session["csrf_token"])
            _s, session = _call(c, base + "/api/session")
            go.wait(timeout=300)  # every reporter submits at the same moment
            status, body = _call(
                c,
                f"{base}/api/progress/department/{urllib.request.quote(dept)}/item/{urllib.request.quote(item)}",
                {"period": "2024", "status": "in_progress", "progress": f"{user} 的进展", "action": "submit"},
                session["csrf_token"],
            )
            results[user] = (login, status, body)

        threads = [threading.Thread(target=run, args=job) for job in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
    assert len(results) == N
    assert all(login == 200 for login, _s, _b in results.values())
    bad = {u: (s, b.get("error")) for u, (_l, s, b) in results.items() if s != 200}
    assert not bad, bad
    conn = sqlite3.connect(data / "reviews.sqlite")
    stored = set(conn.execute("SELECT updated_by, item, state FROM progress_reports WHERE period = '2024'"))
    conn.close()
    assert stored == {(u, item, "submitted") for u, _d, item in jobs}
