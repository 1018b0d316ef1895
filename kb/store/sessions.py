"""Server-side sessions and sign-in throttling per (account, address), both in the durable database."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from typing import Any

SESSION_LIFETIME = 8 * 3600  # absolute: a session ends this long after sign-in however busy it is
WINDOW = 15 * 60  # failures older than this are forgotten
MAX_FAILURES_USER = 5  # failures of one account from one address before backoff starts
BACKOFF = 30  # seconds of the first wait; doubles with each further failure, capped at WINDOW
MAX_FAILURES_IP = 20  # failures from one address across names before names it already failed on must wait


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def start(conn: sqlite3.Connection, user: str, ip: str, now: float | None = None) -> str:
    """A new session for user; returns the token the cookie carries (only its hash is stored)."""
    now = time.time() if now is None else now
    token = secrets.token_urlsafe(32)
    conn.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))  # keeps the table small
    conn.execute(
        "INSERT INTO sessions (token_hash, user, ip, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        (_hash(token), user, ip or "", now, now + SESSION_LIFETIME),
    )
    return token


def lookup(conn: sqlite3.Connection, token: str, now: float | None = None) -> dict[str, Any] | None:
    """{"name", "role", "department", "expires_at"} of a live session of an active account, else None."""
    if not token or len(token) > 256:
        return None
    now = time.time() if now is None else now
    row = conn.execute(
        "SELECT s.expires_at, u.name, u.role, u.department, u.active FROM sessions s JOIN users u ON u.name = s.user "
        "WHERE s.token_hash = ?",
        (_hash(token),),
    ).fetchone()
    if row is None or not row["active"] or row["expires_at"] <= now:
        return None
    return {"name": row["name"], "role": row["role"], "department": row["department"], "expires_at": row["expires_at"]}


def end(conn: sqlite3.Connection, token: str) -> None:
    """End one session (sign-out)."""
    conn.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash(token or ""),))


def end_all(conn: sqlite3.Connection, user: str) -> int:
    """End every session of an account (password changed, account disabled); the count ended."""
    return conn.execute("DELETE FROM sessions WHERE user = ?", (user,)).rowcount


def _pair_wait(times: list[float], now: float) -> float:
    """Backoff for one account from one address: free tries, then BACKOFF doubling after the newest failure."""
    n = len(times)
    if n < MAX_FAILURES_USER:
        return 0.0
    delay = min(float(WINDOW), BACKOFF * 2.0 ** (n - MAX_FAILURES_USER))
    return max(0.0, max(times) + delay - now)


def wait(conn: sqlite3.Connection, user_key: str, ip: str, known: bool, now: float) -> int:
    """Seconds until user_key may try again from ip (0: now).

    Keyed by (account, address), so a guesser elsewhere never blocks the owner's correct password. An address
    that failed on many names (spraying) also waits on every name it already failed on and on unknown names,
    but not on an account it never failed on: behind a shared proxy, colleagues still sign in.
    """
    since = now - WINDOW
    pair = [
        r[0]
        for r in conn.execute(
            "SELECT at FROM login_failures WHERE user = ? AND ip = ? AND at > ?", (user_key, ip or "-", since)
        )
    ]
    out = _pair_wait(pair, now)
    if pair or not known:
        spray = [
            r[0]
            for r in conn.execute(
                "SELECT at FROM login_failures WHERE ip = ? AND at > ? ORDER BY at DESC LIMIT ?",
                (ip or "-", since, MAX_FAILURES_IP),
            )
        ]
        if len(spray) >= MAX_FAILURES_IP:
            out = max(out, spray[-1] + WINDOW - now)
    return int(out + 0.999)


def reserve_failure(conn: sqlite3.Connection, user_key: str, ip: str, now: float) -> int:
    """Count an attempt as failed before its password is checked (so parallel guesses all count); the row id."""
    conn.execute("DELETE FROM login_failures WHERE at < ?", (now - 24 * 3600,))
    cur = conn.execute("INSERT INTO login_failures (user, ip, at) VALUES (?, ?, ?)", (user_key, ip or "-", now))
    return int(cur.lastrowid or 0)


def clear_failures(conn: sqlite3.Connection, user_key: str, ip: str | None = None) -> None:
    """Forget an account's failures (from one address after a correct sign-in; all after a password change)."""
    if ip is None:
        conn.execute("DELETE FROM login_failures WHERE user = ?", (user_key,))
    else:
        conn.execute("DELETE FROM login_failures WHERE user = ? AND ip = ?", (user_key, ip or "-"))
