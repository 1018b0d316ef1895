"""Real `kb serve` processes over one data dir and a PostgreSQL durable store, and an HTTP reviewer client."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def app_server(
    data: Path, database_url: str, log: Path, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[str]:
    """`python -m kb serve` on a free loopback port with KB_DATABASE_URL (and env) set; yields its base URL, stops it
    by PID."""
    env = {
        **os.environ,
        "KB_DATA_DIR": str(data),
        "KB_DATABASE_URL": database_url,
        "PYTHONPATH": str(REPO),
        **(env or {}),
    }
    port = _free_port()
    out = open(log, "w")  # noqa: SIM115 - the server writes to it until the block ends
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=REPO,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()


class Reviewer:
    """One person in a browser: a cookie jar, signed in through the form, writing reviews through the JSON API."""

    def __init__(self, name: str, password: str) -> None:
        self.name, self.password = name, password
        self.jar = http.cookiejar.CookieJar()
        self.http = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        self.csrf = ""
        self.refusal = ""  # the sign-in page's text when it did not sign in

    def request(self, url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
        """(status, body) of one request; HTTP errors are returned, not raised."""
        req = urllib.request.Request(url, data=data, headers=headers or {})
        try:
            with self.http.open(req, timeout=120) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def sign_in(self, base: str) -> int:
        """Sign in through /login (CSRF token read from the form); the status of the POST (302 on success)."""
        _s, page = self.request(base + "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        assert token, page[:500]
        form = {"name": self.name, "password": self.password, "csrf_token": token.group(1).decode(), "next": "/"}
        status, page = self.request(base + "/login", urllib.parse.urlencode(form).encode())
        self.refusal = "" if status == 302 else re.sub(r"\s+", " ", page.decode(errors="replace"))[:3000]
        _s, body = self.request(base + "/api/session")
        self.csrf = json.loads(body)["csrf_token"]
        return status

    def review(self, base: str, item: str, fields: dict) -> tuple[int, dict]:
        """POST one review action to /api/items/<item>/review; (status, JSON body)."""
        status, body = self.request(
            f"{base}/api/items/{urllib.parse.quote(item)}/review",
            json.dumps(fields, ensure_ascii=False).encode(),
            {"Content-Type": "application/json", "X-CSRF-Token": self.csrf},
        )
        try:
            return status, json.loads(body)
        except ValueError:
            return status, {"raw": body[:300].decode(errors="replace")}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Keep the sign-in's 302 visible (the test checks it) instead of following it."""

    def redirect_request(self, *args, **kwargs):
        return None
