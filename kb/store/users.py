"""Accounts (reviewers, admins, department reporters): argon2 hashes, throttled sign-in, server-side sessions."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kb.store import names, sessions
from kb.store.durable import durable_connection, transaction
from kb.store.names import MIN_PASSWORD, AccountError, check_password  # noqa: F401 (part of this module's API)
from kb.store.sessions import MAX_FAILURES_IP, MAX_FAILURES_USER, SESSION_LIFETIME, WINDOW  # noqa: F401

# admin: the 妇儿工委办 (accounts, periods, deadlines, returns); reviewer: tags; reporter: one department's reports.
ROLES = ("reviewer", "admin", "reporter")
T = TypeVar("T")


class LoginFailed(Exception):
    """Wrong name or password (deliberately not saying which)."""


class LoginThrottled(Exception):
    """Too many failed sign-ins from this address; `wait` seconds remain (sent as Retry-After)."""

    def __init__(self, wait: int):
        super().__init__(f"登录失败次数过多,请 {max(1, (wait + 59) // 60)} 分钟后再试")
        self.wait = wait


# KB_ARGON2_COST=test: a test suite's cost (still salted argon2id, 1 MiB, one pass); anything else is the library's
# recommended cost. Test suites sign in hundreds of times and 64 MiB × 3 passes each dominated their CPU time.
@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    if os.environ.get("KB_ARGON2_COST") == "test":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
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


def _atomic(conn: sqlite3.Connection | None, fn: Callable[[sqlite3.Connection], T]) -> T:
    """fn inside one BEGIN IMMEDIATE transaction (or inside the caller's, when it already holds one)."""
    return transaction(fn, conn)


def valid_name(name: str) -> str:
    """The normalised name (NFKC, trimmed), or AccountError when it cannot be a user name."""
    return names.check_name(name)


def _find(c: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    """The account whose name is this one up to NFKC and case."""
    norm = names.normalise(name)
    row = c.execute("SELECT * FROM users WHERE name = ?", (norm,)).fetchone()
    if row is not None:
        return row
    want = names.key(norm)
    return next((r for r in c.execute("SELECT * FROM users") if names.key(r["name"]) == want), None)


def _public(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "name": row["name"],
        "role": row["role"],
        "department": row["department"],
        "active": bool(row["active"]),
        "created_at": row["created_at"],
        "password_changed_at": row["password_changed_at"],
        "last_login_at": row["last_login_at"],
    }


def department_name(name: str | None) -> str:
    """The registry's canonical name for a department (any alias); AccountError when unknown."""
    from nlp import registry

    dep = registry.resolve((name or "").strip()) if (name or "").strip() else None
    if dep is None:
        raise AccountError(f"没有这个部门“{name or ''}”;填报员须绑定到一个部门")
    return dep.canonical


def role_and_department(role: str, department: str | None) -> tuple[str, str | None]:
    """A valid role, and the canonical department a reporter is bound to (None for other roles)."""
    if role not in ROLES:
        raise AccountError(f"角色须为 {' / '.join(ROLES)}")
    if role == "reporter":
        return role, department_name(department)
    if department:
        raise AccountError("只有填报员绑定部门")
    return role, None


def add_user(
    name: str,
    password: str,
    role: str = "reviewer",
    conn: sqlite3.Connection | None = None,
    department: str | None = None,
) -> dict:
    """Create an account; AccountError if the name (or a look-alike) is taken, the password is weak or a reporter
    has no known department."""
    name = valid_name(name)
    role, dept = role_and_department(role, department)
    check_password(password, name)

    def run(c: sqlite3.Connection) -> dict:
        skel = names.skeleton(name)
        for r in c.execute("SELECT name FROM users"):
            if names.key(r["name"]) == names.key(name):
                raise AccountError(f"用户“{r['name']}”已存在")
            if names.skeleton(r["name"]) == skel:
                raise AccountError(f"用户名“{name}”与已有账号“{r['name']}”看起来相同,请换一个")
        c.execute(
            "INSERT INTO users (name, password_hash, role, department) VALUES (?, ?, ?, ?)",
            (name, _hasher().hash(password), role, dept),
        )
        return _public(_find(c, name))  # type: ignore[arg-type]

    return _atomic(conn, run)


def set_role(name: str, role: str, department: str | None = None, conn: sqlite3.Connection | None = None) -> dict:
    """Change an account's role and department binding; its sessions end (the new rights apply at next sign-in)."""
    role, dept = role_and_department(role, department)

    def run(c: sqlite3.Connection) -> dict:
        row = _existing(c, name)
        c.execute("UPDATE users SET role = ?, department = ? WHERE name = ?", (role, dept, row["name"]))
        sessions.end_all(c, row["name"])
        return _public(_find(c, row["name"]))  # type: ignore[arg-type]

    return _atomic(conn, run)


def get_user(name: str, conn: sqlite3.Connection | None = None) -> dict[str, Any] | None:
    """One account without its hash, or None."""
    with _conn(conn) as c:
        row = _find(c, name)
    return _public(row) if row else None


def list_users(conn: sqlite3.Connection | None = None) -> list[dict[str, Any]]:
    """Every account without hashes, by name."""
    with _conn(conn) as c:
        return [_public(r) for r in c.execute("SELECT * FROM users ORDER BY name")]


def _existing(c: sqlite3.Connection, name: str) -> sqlite3.Row:
    row = _find(c, name)
    if row is None:
        raise AccountError(f"用户“{name}”不存在")
    return row


def set_password(name: str, password: str, conn: sqlite3.Connection | None = None) -> None:
    """Replace a password; every session of that account ends and its failure count is forgotten."""

    def run(c: sqlite3.Connection) -> None:
        row = _existing(c, name)
        check_password(password, row["name"])
        c.execute(
            "UPDATE users SET password_hash = ?, "
            "password_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE name = ?",
            (_hasher().hash(password), row["name"]),
        )
        sessions.end_all(c, row["name"])
        sessions.clear_failures(c, names.key(row["name"]))

    _atomic(conn, run)


def set_active(name: str, active: bool, conn: sqlite3.Connection | None = None) -> None:
    """Enable or disable an account; disabling ends its sessions, so enabling again revives none of them."""

    def run(c: sqlite3.Connection) -> None:
        row = _existing(c, name)
        c.execute("UPDATE users SET active = ? WHERE name = ?", (int(active), row["name"]))
        sessions.end_all(c, row["name"])

    _atomic(conn, run)


def throttle_wait(name: str, ip: str, now: float | None = None, conn: sqlite3.Connection | None = None) -> int:
    """Seconds until this account may try again from this address (0: allowed now)."""
    now = time.time() if now is None else now
    with _conn(conn) as c:
        return sessions.wait(c, names.key(name), ip, _find(c, name) is not None, now)


def authenticate(
    name: str, password: str, ip: str, now: float | None = None, conn: sqlite3.Connection | None = None
) -> dict[str, Any]:
    """The account when name and password match; LoginThrottled or LoginFailed otherwise.

    The attempt is counted as a failure in the same transaction that checks the throttle, before the (slow)
    hash check, so parallel guesses cannot all slip under the limit; a correct password takes its count back.
    """
    now = time.time() if now is None else now
    user_key = names.key(name)

    def reserve(c: sqlite3.Connection) -> tuple[sqlite3.Row | None, int]:
        row = _find(c, name)
        wait = sessions.wait(c, user_key, ip, row is not None, now)
        if wait:
            raise LoginThrottled(wait)
        return row, sessions.reserve_failure(c, user_key, ip, now)

    with _conn(conn) as c:
        row, _failure = _atomic(c, reserve)
        password = (password or "")[: names.MAX_PASSWORD + 1]  # longer than any valid one: hashing stays bounded
        try:
            ok: bool = _hasher().verify(row["password_hash"] if row else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or not row or not row["active"]:
            raise LoginFailed("用户名或密码错误")

        def succeed(c: sqlite3.Connection) -> dict[str, Any]:
            if _hasher().check_needs_rehash(row["password_hash"]):
                c.execute("UPDATE users SET password_hash = ? WHERE name = ?", (_hasher().hash(password), row["name"]))
            c.execute(
                "UPDATE users SET last_login_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE name = ?",
                (row["name"],),
            )
            sessions.clear_failures(c, user_key, ip)
            return _public(_find(c, row["name"]))  # type: ignore[arg-type]

        return _atomic(c, succeed)


def start_session(name: str, ip: str, conn: sqlite3.Connection | None = None) -> str:
    """A server-side session for a signed-in account; the token for its cookie."""
    return _atomic(conn, lambda c: sessions.start(c, name, ip))


def session_user(token: str, conn: sqlite3.Connection | None = None) -> dict[str, Any] | None:
    """The account of a live session ({"name", "role", "expires_at"}), or None when it ended or expired."""
    if not token:
        return None
    with _conn(conn) as c:
        return sessions.lookup(c, token)


def end_session(token: str, conn: sqlite3.Connection | None = None) -> None:
    """Sign one session out."""
    if token:
        _atomic(conn, lambda c: sessions.end(c, token))
