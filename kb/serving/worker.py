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
