"""Reviewer accounts in the durable database: argon2 password hashes and sign-in throttling."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kb.store.durable import durable_connection

ROLES = ("reviewer", "admin")
MIN_PASSWORD = 8
# Failed sign-ins tolerated inside WINDOW seconds, per account and per client address.
WINDOW = 15 * 60
MAX_FAILURES_USER = 5
MAX_FAILURES_IP = 20
_NAME = re.compile(r"[^\s/\\<>\"'&]{1,64}")


class AccountError(ValueError):
    """A bad user name, password or role (message in Chinese, shown to the user as is)."""


class LoginFailed(Exception):
    """Wrong name or password (deliberately not saying which)."""


class LoginThrottled(Exception):
    """Too many failed sign-ins; `wait` seconds remain."""

    def __init__(self, wait: int):
        super().__init__(f"登录失败次数过多,请 {max(1, wait // 60)} 分钟后再试")
        self.wait = wait


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the user is unknown, so timing does not reveal which names exist."""
    return _hasher().hash("not-a-real-password")


@contextmanager
def _conn(conn: sqlite3.Connection | None) -> Iterator[sqlite3.Connection]:
    """The caller's connection, or a fresh one closed afterwards."""
    if conn is not None:
        yield conn
        return
    own = durable_connection()
    try:
        yield own
    finally:
        own.close()


def valid_name(name: str) -> str:
    """The stripped name, or AccountError when it cannot be a user name."""
    name = (name or "").strip()
    if not _NAME.fullmatch(name):
        raise AccountError("用户名须为 1–64 个字符,不含空格、斜杠、引号或尖括号")
    return name


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符")


def _public(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "name": row["name"],
        "role": row["role"],
        "active": bool(row["active"]),
        "created_at": row["created_at"],
        "password_changed_at": row["password_changed_at"],
        "last_login_at": row["last_login_at"],
    }


def add_user(name: str, password: str, role: str = "reviewer", conn: sqlite3.Connection | None = None) -> dict:
    """Create an account; AccountError if the name is taken or the password too short."""
    name = valid_name(name)
    if role not in ROLES:
        raise AccountError(f"角色须为 {' / '.join(ROLES)}")
    _check_password(password)
    with _conn(conn) as c:
        try:
            c.execute(
                "INSERT INTO users (name, password_hash, role) VALUES (?, ?, ?)", (name, _hasher().hash(password), role)
            )
        except sqlite3.IntegrityError as exc:
            raise AccountError(f"用户“{name}”已存在") from exc
        return get_user(name, c)  # type: ignore[return-value]


def get_user(name: str, conn: sqlite3.Connection | None = None) -> dict[str, Any] | None:
    """One account without its hash, or None."""
    with _conn(conn) as c:
        row = c.execute("SELECT * FROM users WHERE name = ?", ((name or "").strip(),)).fetchone()
    return _public(row) if row else None


def list_users(conn: sqlite3.Connection | None = None) -> list[dict[str, Any]]:
    """Every account without hashes, by name."""
    with _conn(conn) as c:
        return [_public(r) for r in c.execute("SELECT * FROM users ORDER BY name")]


def set_password(name: str, password: str, conn: sqlite3.Connection | None = None) -> None:
    """Replace a password; existing sessions of that user stop being valid (their stamp changes)."""
    _check_password(password)
    with _conn(conn) as c:
        cur = c.execute(
            "UPDATE users SET password_hash = ?, "
            "password_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE name = ?",
            (_hasher().hash(password), name),
        )
        if cur.rowcount == 0:
            raise AccountError(f"用户“{name}”不存在")
        c.execute("DELETE FROM login_failures WHERE user = ?", (name.lower(),))


def set_active(name: str, active: bool, conn: sqlite3.Connection | None = None) -> None:
    """Enable or disable an account (disabled accounts cannot sign in; their sessions end)."""
    with _conn(conn) as c:
        cur = c.execute("UPDATE users SET active = ? WHERE name = ?", (int(active), name))
        if cur.rowcount == 0:
            raise AccountError(f"用户“{name}”不存在")


def session_stamp(name: str, conn: sqlite3.Connection | None = None) -> str | None:
    """What a session must carry to stay valid: changes when the password changes; None if inactive/unknown."""
    with _conn(conn) as c:
        row = c.execute("SELECT password_changed_at, active FROM users WHERE name = ?", (name,)).fetchone()
    return row["password_changed_at"] if row and row["active"] else None


def throttle_wait(name: str, ip: str, now: float | None = None, conn: sqlite3.Connection | None = None) -> int:
    """Seconds until this account/address may try again (0: allowed now)."""
    now = time.time() if now is None else now
    wait = 0.0
    with _conn(conn) as c:
        for column, key, limit in (
            ("user", (name or "").strip().lower(), MAX_FAILURES_USER),
            ("ip", ip or "-", MAX_FAILURES_IP),
        ):
            times = [
                r[0]
                for r in c.execute(
                    f"SELECT at FROM login_failures WHERE {column} = ? AND at > ? ORDER BY at DESC LIMIT ?",
                    (key, now - WINDOW, limit),
                )
            ]
            if len(times) >= limit:
                wait = max(wait, times[-1] + WINDOW - now)
    return int(wait + 0.999)


def authenticate(
    name: str, password: str, ip: str, now: float | None = None, conn: sqlite3.Connection | None = None
) -> dict[str, Any]:
    """The account when name and password match; LoginThrottled or LoginFailed otherwise."""
    now = time.time() if now is None else now
    key = (name or "").strip()
    with _conn(conn) as c:
        wait = throttle_wait(key, ip, now, c)
        if wait:
            raise LoginThrottled(wait)
        row = c.execute("SELECT * FROM users WHERE name = ?", (key,)).fetchone()
        try:
            ok = _hasher().verify(row["password_hash"] if row else _dummy_hash(), password or "")
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or not row or not row["active"]:
            c.execute("INSERT INTO login_failures (user, ip, at) VALUES (?, ?, ?)", (key.lower(), ip or "-", now))
            c.execute("DELETE FROM login_failures WHERE at < ?", (now - 24 * 3600,))  # keeps the table small
            raise LoginFailed("用户名或密码错误")
        if _hasher().check_needs_rehash(row["password_hash"]):
            c.execute("UPDATE users SET password_hash = ? WHERE name = ?", (_hasher().hash(password), row["name"]))
        c.execute(
            "UPDATE users SET last_login_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE name = ?", (row["name"],)
        )
        c.execute("DELETE FROM login_failures WHERE user = ?", (row["name"].lower(),))
        return get_user(row["name"], c)  # type: ignore[return-value]
