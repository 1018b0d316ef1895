"""A real server (`python -m kb serve`, gunicorn) over the session's build with an admin account, for the
progress browser and load tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ADMIN, PASSWORD = "fuergongweiban", "e2e-password-123"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(built_kb: Path, data: Path, workers: int = 2) -> Iterator[str]:
    """Serve a fresh data dir over built_kb's live build; yields the base URL, stops the server afterwards."""
    (data / "current").symlink_to((built_kb / "current").resolve(), target_is_directory=True)
    env = {**os.environ, "KB_DATA_DIR": str(data)}
    subprocess.run(
        [sys.executable, "-m", "kb", "user", "add", ADMIN, "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    port = _free_port()
    log = open(data / "server.log", "w")  # noqa: SIM115 (the server writes to it until the block ends)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(base + "/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
