"""Helpers shared by the web tests (their fixtures live in conftest.py): ids, CSRF tokens, accounts."""

from __future__ import annotations

import re

PLAN = "yiyang-children-2021-2025"
PASSWORD = "correct-horse-42"


def item_id(short: str) -> str:
    return f"{PLAN}:{short}"


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
