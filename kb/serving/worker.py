"""A gunicorn gthread worker whose connections have deadlines, so slow clients cannot hold its threads.

gunicorn's threaded worker waits for a connection's first byte in its poller, but then reads the headers and
body in a thread with a blocking socket: a client sending a byte every few seconds keeps that thread forever,
and a handful of such clients stop a worker. Here every request must arrive within REQUEST_TIMEOUT (headers and
body, in total, however slowly it trickles) and every response must be taken within SEND_TIMEOUT.
"""

from __future__ import annotations

import errno
import socket
import time
from typing import Any

from gunicorn.http.errors import InvalidRequestLine, LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker

from kb.serving import REQUEST_TIMEOUT, SEND_TIMEOUT


def _too_slow() -> ConnectionResetError:
    """What a late client gets: gunicorn closes a reset connection quietly and frees the thread."""
    return ConnectionResetError(errno.ECONNRESET, f"request not received within {REQUEST_TIMEOUT} s")


class DeadlineSocket:
    """A client socket whose reads share one deadline per request and whose sends each have a timeout."""

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self._deadline = time.monotonic() + REQUEST_TIMEOUT

    def arm(self) -> None:
        """Start a new request's deadline (each request on a keep-alive connection gets its own)."""
        self._deadline = time.monotonic() + REQUEST_TIMEOUT

    def recv(self, size: int, *flags: Any) -> bytes:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise _too_slow()
        self._sock.settimeout(left)
        try:
            return self._sock.recv(size, *flags)
        except TimeoutError:
            raise _too_slow() from None

    def sendall(self, data: Any, *flags: Any) -> None:
        self._sock.settimeout(SEND_TIMEOUT)  # covers the whole sendall (Python ≥ 3.5)
        self._sock.sendall(data, *flags)

    def send(self, data: Any, *flags: Any) -> int:
        self._sock.settimeout(SEND_TIMEOUT)
        return self._sock.send(data, *flags)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class DeadlineWorker(ThreadWorker):
    """ThreadWorker whose connections read and write through DeadlineSocket."""

    def handle(self, conn):
        if not isinstance(conn.sock, DeadlineSocket):  # before the parser is made: it reads through this
            conn.sock = DeadlineSocket(conn.sock)
        conn.sock.arm()
        return super().handle(conn)

    def handle_error(self, req, client, addr, exc):
        """A request too large or malformed to read gets its refusal in Chinese: a search box holding ~900
        characters made a request line past gunicorn's limit, answered before the app in English ("URI Too Long")."""
        answer = REFUSED.get(type(exc))
        if answer is None:
            return super().handle_error(req, client, addr, exc)
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            _drain(getattr(client, "_sock", client))
            client.sendall(_refusal(*answer))
        except OSError:
            self.log.debug("Failed to send error message.")
        return None


# What the app would say, in short ({limit}: kb.search's MAX_QUERY_CHARS, read when it is said).
REFUSED = {
    LimitRequestLine: ("414 URI Too Long", "网址过长，无法处理。搜索词最多 {limit} 个字，请缩短后重试。"),
    LimitRequestHeaders: ("431 Request Header Fields Too Large", "请求头过大，无法处理。请清除本站的 Cookie 后重试。"),
    # raw UTF-8 in the address (curl "…?q=近视"); a browser percent-encodes it
    InvalidRequestLine: ("400 Bad Request", "请求的网址格式有误：其中的中文等字符须先编码（如 %E8%BF%91）。"),
}


def _drain(sock: socket.socket, most: int = 1 << 20) -> None:
    """Read what the client has already sent of the refused request (up to `most` bytes): closing a socket with
    unread bytes resets the connection, and a reset client may lose the answer before it reads it."""
    sock.setblocking(False)
    try:
        while most > 0 and (chunk := sock.recv(min(most, 65536))):
            most -= len(chunk)
    except (BlockingIOError, InterruptedError):
        pass
    finally:
        sock.settimeout(SEND_TIMEOUT)  # the answer is sent as every response is


def _refusal(status: str, message: str) -> bytes:
    """A whole HTTP response: a short page in Chinese with a way back, the connection closed after it."""
    from kb.search.query import MAX_QUERY_CHARS

    message = message.format(limit=MAX_QUERY_CHARS)
    body = (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>无法处理的请求 · 规划措施知识库</title>'
        f"<h1>无法处理的请求 <small>({status.split()[0]})</small></h1><p>{message}</p>"
        '<p><a href="/">返回首页</a> · <a href="/search">搜索</a></p></html>'
    ).encode()
    head = (
        f"HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body
