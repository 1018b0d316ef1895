"""`kb serve` as deployed: slow clients cannot stall it, and kb finds the app by its import string.

The server runs on loopback only, in a subprocess, with a bounded number of connections and seconds.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from kb_helpers import link_build
from live_server import running

REPO = Path(__file__).resolve().parent.parent
DEADLINE = 3  # seconds a request may take to arrive (KB_REQUEST_TIMEOUT for this server)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str = "/api/session", timeout: float = 10.0) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as resp:
        return resp.status


@pytest.fixture
def server(web_data: Path):
    """One threaded worker whose requests must arrive within DEADLINE seconds; yields its port."""
    with running(web_data, workers=1, env={"KB_REQUEST_TIMEOUT": str(DEADLINE)}) as base:
        yield int(base.rsplit(":", 1)[1])


def _slow_client(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the headers never end
    return s


@pytest.mark.slow
def test_slow_clients_do_not_stall_the_server(server):
    """The report's attack: connections that send headers slowly. Each is cut at its deadline; others are served."""
    slow = [_slow_client(server) for _ in range(24)]  # more than the worker's 16 threads
    try:
        t_end = time.monotonic() + DEADLINE + 2
        served = 0
        while time.monotonic() < t_end:
            for s in slow:
                try:
                    s.sendall(b"X-Slow: 1\r\n")  # a trickle: one header line at a time
                except OSError:
                    pass
            assert _get(server, timeout=DEADLINE + 5) == 200
            served += 1
            time.sleep(0.3)
        assert served >= 5
        for s in slow:  # by now every slow connection has passed its deadline: closed (or refused), not waiting
            s.settimeout(DEADLINE + 5)
            try:
                data = s.recv(1024)
            except ConnectionResetError:
                data = b""
            assert data == b"" or data.startswith(b"HTTP/1.1 4"), data[:80]
    finally:
        for s in slow:
            s.close()


@pytest.mark.slow
def test_a_slow_body_is_cut_at_the_deadline(server):
    s = socket.create_connection(("127.0.0.1", server), timeout=DEADLINE + 10)
    try:
        s.sendall(
            b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        start = time.monotonic()
        data = s.recv(1024)  # the server gives up on the body: it closes (or answers) instead of waiting forever
        assert time.monotonic() - start < DEADLINE + 8
        assert data == b"" or data.startswith(b"HTTP/1.1 4")
    finally:
        s.close()
    assert _get(server) == 200


def test_kb_finds_the_app_by_its_import_string():
    """kb never imports webapp: the server command names it as a string."""
    src = (REPO / "kb" / "commands" / "serve.py").read_text(encoding="utf-8")
    assert "import webapp" not in src and "from webapp" not in src
    from kb.commands.serve import APP, load_app

    assert APP == "webapp:create_app()"
    assert callable(load_app("webapp:create_app"))


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _search_total(port: int, q: str) -> int:
    import json
    from urllib.parse import quote

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q={quote(q)}", timeout=60) as resp:
        assert resp.status == 200
        return json.loads(resp.read())["total"]


@pytest.fixture(scope="module")
def preloaded(built_kb: Path, tmp_path_factory: pytest.TempPathFactory):
    """`kb serve` with two workers, as deployed (preloaded); (port, master process, its log file).

    One server for the module's two tests: one replaces a killed worker, the other reads the master's open files,
    and neither depends on running before the other."""
    root = tmp_path_factory.mktemp("preloaded")
    data = root / "data"
    data.mkdir()
    link_build(built_kb, data)  # a fresh data dir over the session's build, as web_data is
    port, log_path = _free_port(), root / "server.log"
    env = {**os.environ, "KB_DATA_DIR": str(data)}
    env.pop("KB_PRELOAD", None)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kb", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        for _ in range(600):
            try:
                if _get(port, timeout=2) == 200 and len(_children(proc.pid)) == 2:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("server did not start: " + log_path.read_text()[-4000:])
        yield port, proc, log_path
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _only(worker: int, workers: list[int]):
    """Pause every other worker (SIGSTOP): connections then wait for `worker` alone to accept them."""
    import contextlib
    import signal

    @contextlib.contextmanager
    def paused():
        others = [w for w in workers if w != worker]
        for w in others:
            os.kill(w, signal.SIGSTOP)
        try:
            yield
        finally:
            for w in others:
                os.kill(w, signal.SIGCONT)

    return paused()


# slow (both tests of the preloaded server): a gunicorn master and two workers each load the search; the fast subset
# keeps the in-process tests of the app's import string, the warm-up and the worker's own HTTP handling
@pytest.mark.slow
def test_a_preloaded_server_answers_search_from_every_worker(preloaded):
    """The search is loaded once in the master before the fork; every worker answers it, and a worker that dies
    is replaced by a fork of the warm master that answers too."""
    import signal

    port, proc, log_path = preloaded
    workers = _children(proc.pid)
    expected = _search_total(port, "儿童近视")
    assert expected > 0
    for w in workers:
        with _only(w, workers):
            assert _search_total(port, "儿童近视") == expected
            assert _search_total(port, "兒童近視") > 0  # OpenCC, loaded in the master, works in the fork
    warmed = [ln for ln in log_path.read_text().splitlines() if "search warmed up" in ln]
    assert len(warmed) == 1 and f"pid {proc.pid})" in warmed[0]  # in the master, once, not per worker
    os.kill(workers[0], signal.SIGKILL)
    for _ in range(300):
        now = _children(proc.pid)
        if len(now) == 2 and workers[0] not in now:
            break
        time.sleep(0.1)
    replacement = next(w for w in _children(proc.pid) if w not in workers)
    with _only(replacement, _children(proc.pid)):
        assert _search_total(port, "儿童近视") == expected
    assert len([ln for ln in log_path.read_text().splitlines() if "search warmed up" in ln]) == 1


@pytest.mark.slow
def test_the_master_holds_no_database_connection_when_it_forks(preloaded):
    """SQLite connections must not cross a fork: warming opens them in a thread of its own, closed with it."""
    _, proc, _ = preloaded
    held = [os.readlink(f"/proc/{proc.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{proc.pid}/fd")]
    assert not [p for p in held if p.endswith((".sqlite", ".sqlite-wal", ".db"))], held


@pytest.mark.slow
def test_the_server_opens_no_per_user_control_socket(web_data: Path, tmp_path: Path):
    """gunicorn ≥ 25.1 would open a management socket at one path per user; two servers on a machine would take it
    from each other, so kb serve turns it off: none appears where gunicorn puts it, nor in the log."""
    env = {"XDG_RUNTIME_DIR": str(tmp_path), "HOME": str(tmp_path)}
    with running(web_data, workers=1, env=env) as base:
        assert _get(int(base.rsplit(":", 1)[1])) == 200
    assert not any(p.name.endswith(".ctl") for p in tmp_path.rglob("*"))
    assert "control socket" not in (web_data / "server.log").read_text(encoding="utf-8").lower()


@pytest.mark.parametrize("threads", [1, 4])
def test_settling_warms_every_thread_of_the_request_pool(monkeypatch, threads: int):
    """After a preload each request thread answers a warm-up once (its own SQLite connections, the copy-on-write
    of what a search touches), so no thread's first request pays for it."""
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from types import SimpleNamespace

    from kb.commands import serve

    seen: set[int] = set()
    full: list[bool] = []  # one thread answers every kind of query again (copy-on-write), the others settle

    def warm(app, say=True, queries=True):
        seen.add(threading.get_ident())
        full.append(queries)

    through: list[str] = []
    monkeypatch.setattr(serve, "warm_search", warm)
    monkeypatch.setattr(serve, "through_worker", lambda worker, path: through.append(path))
    pool = ThreadPoolExecutor(max_workers=threads)
    try:
        serve.settle_worker(SimpleNamespace(tpool=pool, cfg=SimpleNamespace(threads=threads), wsgi=None))
        assert len(seen) == threads and seen == {t.ident for t in pool._threads}
        assert sorted(full) == [False] * (threads - 1) + [True]
        assert through == [serve.WARM_PATHS[0]]  # and one request through the worker's own HTTP handling
    finally:
        pool.shutdown()


def test_a_failing_warm_up_does_not_stop_the_worker(monkeypatch, capsys):
    """The warm-up is an optimisation: its failure is said on stderr and the worker goes on to serve."""
    from concurrent.futures import ThreadPoolExecutor
    from types import SimpleNamespace

    from kb.commands import serve

    def broken(app, say=True, queries=True):
        raise OSError("index unreadable")

    monkeypatch.setattr(serve, "warm_search", broken)
    monkeypatch.setattr(serve, "through_worker", lambda worker, path: b"")
    pool = ThreadPoolExecutor(max_workers=2)
    try:
        serve.settle_worker(SimpleNamespace(tpool=pool, cfg=SimpleNamespace(threads=2), wsgi=None))
    finally:
        pool.shutdown()
    assert "warm-up failed" in capsys.readouterr().err


@pytest.mark.parametrize(
    "path,status",
    [("/api/search?q=%E5%84%BF%E7%AB%A5", b"200 OK"), ("/boom", b"500 Internal Server Error")],
)
def test_a_request_through_the_workers_own_http_handling(path: str, status: bytes):
    """The settle's request goes through gunicorn's parser, environ and response writer of a real worker (over a
    socket pair, no port): the app sees the path and query, the response comes back whole, a failing app gives 500."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    from kb.commands.serve import through_worker
    from kb.serving.worker import DeadlineWorker

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/boom":
            raise RuntimeError("boom")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{environ['PATH_INFO']}?{environ['QUERY_STRING']}".encode()]

    cfg = Config()
    worker = DeadlineWorker(0, os.getpid(), [], None, 30, cfg, Logger(cfg))
    worker.wsgi = app
    try:
        got = through_worker(worker, path)
    finally:
        worker.tmp.close()  # the heartbeat file a worker makes
    assert got.startswith(b"HTTP/1.1 " + status)
    if status == b"200 OK":
        assert path.encode() in got and got.endswith(b"0\r\n\r\n")  # the whole chunked body


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/search?q=" + "%E8%BF%91%E8%A7%86" * 1000, b"414", "搜索词最多 {limit} 个字"),  # ~1,000 characters typed
        ("/search?q=近视", b"400", "须先编码"),  # raw UTF-8 (curl), which a browser percent-encodes
    ],
)
def test_a_request_gunicorn_refuses_is_refused_in_chinese(path: str, status: bytes, says: str):
    """~900 characters typed into a search box passed gunicorn's request-line limit: it answered "URI Too Long" in
    English before the app could; the worker says it in Chinese, with the search limit and a way back."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    from kb.commands.serve import through_worker
    from kb.search.query import MAX_QUERY_CHARS
    from kb.serving.worker import DeadlineWorker

    cfg = Config()
    worker = DeadlineWorker(0, os.getpid(), [], None, 30, cfg, Logger(cfg))
    worker.wsgi = None  # never reached
    try:
        got = through_worker(worker, path)
    finally:
        worker.tmp.close()
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 " + status + b" ") and b"charset=utf-8" in head
    assert f"Content-Length: {len(body)}".encode() in head
    text = body.decode()
    assert says.format(limit=MAX_QUERY_CHARS) in text and 'href="/search"' in text
    assert "Too Long" not in text and "Bad Request" not in text
