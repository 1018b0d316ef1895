"""Helpers for the monitoring tests (the data dir fixture is conftest's `web_data`, alias `mon_kb`)."""

from __future__ import annotations

import re
from pathlib import Path

MORT = "yiyang-children-2021-2025:health-g3.i1"  # 5岁以下儿童死亡率 ≤6‰ (市卫健委)
MGMT = "yiyang-children-2021-2025:health-g2.i1"  # 3岁以下儿童系统管理率 ≥90%
PASSWORD = "monitor-pass-123"


MONITORING_CONFIG = {"SECRET_KEY": "test-secret-key-" + "x" * 32}


def app_for(data: Path):
    from webapp import create_app

    return create_app({"TESTING": True, "KB_DATA_DIR": str(data), **MONITORING_CONFIG})


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "page has no CSRF field"
    return m.group(1)


def signed_in(client, name: str = "张三") -> str:
    """Create the reviewer account, sign in through the form; returns the session's CSRF token."""
    from kb.store.users import add_user, get_user

    if get_user(name) is None:
        add_user(name, PASSWORD)
    token = csrf_of(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token, "next": "/monitoring"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return client.get("/api/session").get_json()["csrf_token"]
