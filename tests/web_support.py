"""Fixtures and helpers shared by the web tests: a writable data dir over the session's build, signed-in clients."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from kb_helpers import data_dir_over

PLAN = "yiyang-children-2021-2025"
PASSWORD = "correct-horse-42"


def item_id(short: str) -> str:
    return f"{PLAN}:{short}"


@pytest.fixture
def web_data(built_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data dir whose live build is the session's (read-only) build; reviews and users start empty."""
    return data_dir_over(built_kb, tmp_path, monkeypatch, "web-data")


@pytest.fixture
def app(web_data: Path):
    from webapp import create_app
    return create_app({"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


def csrf(client) -> str:
    """The session's CSRF token, as a page's forms and the API hand it out."""
    return client.get("/api/session").get_json()["csrf_token"]


def make_user(name: str = "reviewer1", password: str = PASSWORD) -> dict:
    from kb.store.users import add_user
    return add_user(name, password)


def sign_in(client, name: str = "reviewer1", password: str = PASSWORD):
    """Sign in through the HTML form (CSRF token read from the form, as a browser would)."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": "/"})


@pytest.fixture
def reviewer(client):
    """The test client signed in as a reviewer."""
    make_user()
    resp = sign_in(client)
    assert resp.status_code == 302
    return client
