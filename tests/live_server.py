"""The one way the browser and load tests start a real server (`python -m kb serve`, gunicorn) over a built KB.

`serve` gives a fresh data dir whose live build is the session's, adds the accounts it is asked for, starts the
server on a free port, waits until it answers, and stops it by its PID when the block ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kb_helpers import link_build

REPO = Path(__file__).resolve().parent.parent
# A loaded machine (two cores shared by many processes) can take a minute or more to import and preload the app.
READY_SECONDS = 240
STOP_SECONDS = 30
ADMIN, PASSWORD = "fuergongweiban", "e2e-password-123"  # the progress tests' 妇儿工委办 account


def free_port() -> int:
    """A TCP port on loopback nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add_account(data: Path, name: str, password: str, role: str = "reviewer") -> None:
    """`kb user add` in a child process, as an operator would create the account."""
    subprocess.run(
        [sys.executable, "-m", "kb", "user", "add", name, "--role", role, "--password-stdin"],
        input=password + "\n",
        env={**os.environ, "KB_DATA_DIR": str(data)},
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        timeout=READY_SECONDS,
    )


def wait_ready(url: str, pid: int, proc: subprocess.Popen, seconds: float = READY_SECONDS) -> None:
    """Return once `url` answers 200; fail at once if the server process `pid` exited, or after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server (pid {pid}) exited with {proc.returncode} before answering at {url}")
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"server (pid {pid}) did not answer at {url} within {seconds:.0f} s")
        time.sleep(0.25)


def stop(pid: int, proc: subprocess.Popen, seconds: float = STOP_SECONDS) -> None:
    """SIGTERM to the server's PID (gunicorn stops its workers), SIGKILL if it is still there after `seconds`."""
    if proc.poll() is not None:
        return
    os.kill(pid, signal.SIGTERM)
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.kill(pid, signal.SIGKILL)
        proc.wait()


@contextmanager
def serve(built_kb: Path, data: Path, accounts: Iterable[tuple[str, str, str]] = (), workers: int = 2) -> Iterator[str]:
    """Serve a fresh data dir `data` over built_kb's live build with these (name, password, role) accounts.

    Yields the base URL; the server log is data/server.log. Stops the server when the block ends.
    """
    link_build(built_kb, data)
    for name, password, role in accounts:
        add_account(data, name, password, role)
    with running(data, workers) as base:
        yield base


@contextmanager
def running(data: Path, workers: int = 2, env: dict[str, str] | None = None) -> Iterator[str]:
    """`python -m kb serve` over the data dir `data` (extra environment `env`) on a free port until the block ends.

    Yields the base URL once the server answers; its output goes to data/server.log (quoted when it fails to start).
    """
    port = free_port()
    log_path = data / "server.log"
    log = open(log_path, "w")  # noqa: SIM115 (the server writes to it until the block ends)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env={**os.environ, "KB_DATA_DIR": str(data), **(env or {})},
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    pid = proc.pid
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_ready(base + "/", pid, proc)
        except RuntimeError as exc:
            log.flush()
            raise RuntimeError(f"{exc}\n{log_path.read_text(encoding='utf-8', errors='replace')[-4000:]}") from None
        yield base
    finally:
        stop(pid, proc)
        log.close()


def sign_in(page, name: str, password: str, signed_in_as: str | None = None) -> None:
    """Sign a Playwright page in through the login form; waits until the header names the account."""
    page.goto("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_selector(f"text={signed_in_as or name}")


@contextmanager
def desktop_page(browser, base_url: str, height: int = 768) -> Iterator:
    """A fresh 1366-wide zh-CN browser context on the server, its page recording console and page errors (a CSP
    violation shows up there) in `page.errors`; closed at the end of the block."""
    ctx = browser.new_context(viewport={"width": 1366, "height": height}, locale="zh-CN", base_url=base_url)
    page = ctx.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    try:
        yield page
    finally:
        ctx.close()
