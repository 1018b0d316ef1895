"""`kb serve`: the production web server — gunicorn threaded workers with request deadlines (waitress elsewhere).

The app is found by its import string (default "webapp:create_app()"), so kb never imports webapp.
"""

from __future__ import annotations

import gc
import importlib
import os
import socket
import sys
import threading
import time
from typing import Any
from urllib.parse import quote

from kb import paths
from kb.serving import KEEPALIVE, REQUEST_TIMEOUT, THREADS
from kb.serving.warm import keep_warm, warm_pages

APP = "webapp:create_app()"


def register(sub) -> None:
    p = sub.add_parser("serve", help="启动网页服务 (serve the web app)")
    p.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    p.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "0")) or None)
    p.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "0")) or THREADS)
    p.add_argument("--app", default=os.environ.get("KB_APP", APP), help=f"WSGI app import string (default {APP})")
    p.set_defaults(func=cmd_serve)


def load_app(spec: str) -> Any:
    """The WSGI app named by "module:attribute" or "module:factory()"."""
    module, _, attr = spec.partition(":")
    call = attr.endswith("()")
    obj = getattr(importlib.import_module(module), attr[:-2] if call else attr or "app")
    return obj() if call else obj


def cmd_serve(args) -> int:
    if paths.current_build() is None:
        from kb.build import build

        print("尚未构建知识库,先构建…", file=sys.stderr)
        build()
    workers = args.workers or max(2, (os.cpu_count() or 1) * 2)
    print(f"Plan KB 服务: http://{args.host}:{args.port}/", file=sys.stderr, flush=True)
    if sys.platform == "win32":  # gunicorn is not installed on Windows (setup.cfg): waitress serves there
        from waitress import serve

        # waitress reads whole requests in its I/O loop before a thread sees them, so slow clients hold no thread
        wsgi = load_app(args.app)
        warm_app(wsgi)
        keep_warm(wsgi)
        serve(
            wsgi,
            host=args.host,
            port=args.port,
            threads=workers * args.threads // 2,
            channel_timeout=REQUEST_TIMEOUT,
            connection_limit=1000,
        )
        return 0
    return _gunicorn(args.app, args.host, args.port, workers, args.threads)


WARM_PATHS = ("/api/search?q=%E5%84%BF%E7%AB%A5", "/search?q=%E5%84%BF%E7%AB%A5")  # 儿童: the API and its page
# Once per process (before the fork), a search of the other kinds, each loading its own data and code paths: a "who"
# question with its answer card (谁负责儿童近视) and a department with a role (市卫健委牵头).
KIND_PATHS = tuple(
    f"{route}?q={quote(q)}" for q in ("谁负责儿童近视", "市卫健委牵头") for route in ("/api/search", "/search")
)


def warm_search(app: Any, say: bool = True, queries: bool = True) -> None:
    """Load the search index and analyser and answer one query of every kind (kb.search.warm_up; queries=False in a
    forked worker, whose caches the master filled), then a search through the app itself (routes, templates, this
    thread's connections), so the first request after a restart is as fast as the rest."""
    from werkzeug.test import Client

    from kb.search import warm_up

    start = time.perf_counter()
    if not warm_up(queries):
        return
    if app is not None:
        client = Client(app)
        for path in WARM_PATHS:
            client.get(path)
    took = time.perf_counter() - start
    if say:
        print(f"search warmed up in {took:.1f} s (pid {os.getpid()})", file=sys.stderr, flush=True)


def warm_app(app: Any, say: bool = True) -> None:
    """The search (every kind of query), then every page's per-state values (kb.serving.warm), in this thread."""
    from werkzeug.test import Client

    warm_search(app, say)
    if app is not None:
        client = Client(app)
        for path in KIND_PATHS:
            client.get(path).close()
        warm_pages(app, say)


def _warm_worker(worker: Any) -> None:
    """Without preloading (KB_PRELOAD=0): warm each worker when it boots, in the background, so it accepts
    requests at once (a request arriving meanwhile waits only for what is still loading); then keep it warm."""

    def run() -> None:
        warm_app(worker.wsgi)
        keep_warm(worker.wsgi)

    threading.Thread(target=run, name="warm-up", daemon=True).start()


def _preload(arbiter: Any) -> None:
    """gunicorn's when_ready: load the app and warm the search once in the master, after the port is bound and
    before any worker is forked. Workers then share the jieba dictionaries, analysers, OpenCC, score arrays and
    the reviewed snapshot copy-on-write (each adds only what it writes), a worker restarted later is forked
    warm, and a client connecting meanwhile waits in the listen backlog instead of being refused."""
    app = arbiter.app.wsgi()  # kept by gunicorn: the workers forked below serve this very app object
    # In a thread of its own: the SQLite connections warming opens are per thread and close when it ends, so no
    # worker inherits a connection opened before the fork.
    warm = threading.Thread(target=warm_app, args=(app,), name="warm-up")
    warm.start()
    warm.join()
    gc.collect()
    gc.freeze()


def settle_worker(worker: Any) -> None:
    """gunicorn's post_worker_init after a preload: answer the warm-up searches once more in the new worker (every
    kind of query on one thread, one search on each other thread of its request pool) before it accepts a request.
    Everything is loaded already (this takes tens of milliseconds); what it pays for is the copy-on-write of the
    shared pages a search writes to (reference counts) and each thread's own SQLite connections, which would
    otherwise fall on the first requests a worker serves.
    The pages' per-state values were computed in the master; a thread keeps them warm across changes of state
    (kb.serving.warm.keep_warm)."""
    pool = getattr(worker, "tpool", None)  # gthread: the executor exists before post_worker_init
    threads = max(1, int(getattr(worker.cfg, "threads", 1) or 1))
    if pool is None:
        settle = threading.Thread(target=warm_app, args=(worker.wsgi, False), name="settle")
        settle.start()
        settle.join()
        keep_warm(worker.wsgi)
        return
    together = threading.Barrier(threads, timeout=30)  # all waiting at once: the pool starts every thread

    def one(k: int) -> None:
        try:
            together.wait()
        except threading.BrokenBarrierError:
            pass  # fewer threads came up in time: those that did still warm
        # One thread answers every kind of query again: each touches shared objects the others do not, and the
        # first touch of a page after the fork copies it (measured: a forked worker's first new query cost 2.4-5.8x
        # its median without this, 0.9-1.5x with it); the other threads need only their own connections.
        warm_search(worker.wsgi, False, queries=k == 0)
        if k == 0:
            through_worker(worker, WARM_PATHS[0])

    start = time.perf_counter()
    for done in [pool.submit(one, k) for k in range(threads)]:
        error = done.exception()
        if error is not None:  # a warm-up that fails must not stop the worker; the request will say what is wrong
            print(f"warm-up failed in pid {os.getpid()}: {error!r}", file=sys.stderr, flush=True)
    print(f"worker settled in {time.perf_counter() - start:.2f} s (pid {os.getpid()})", file=sys.stderr, flush=True)
    if worker.wsgi is not None:
        keep_warm(worker.wsgi)  # from the state the master warmed: a change since is warmed in the background


def through_worker(worker: Any, path: str) -> bytes:
    """One request through the worker's own HTTP handling (gunicorn's parser, WSGI environ, response writer and
    access log), over a socket pair: the settle's searches go through the app alone, and this worker's first real
    request would otherwise be the first to run that code here (measured in CPU: first request 1.2-1.7x the median
    of the next ones without it). The response as received."""
    from gunicorn.workers.gthread import TConn

    ours, theirs = socket.socketpair()
    try:
        theirs.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        worker.handle(TConn(worker.cfg, ours, ("127.0.0.1", 0), ("127.0.0.1", 0)))
        ours.close()  # gunicorn closes a connection only when its keep-alive is handled by the poller
        theirs.settimeout(REQUEST_TIMEOUT)
        got = b""
        while chunk := theirs.recv(65536):
            got += chunk
        return got
    finally:
        ours.close()
        theirs.close()


def _pre_fork(arbiter: Any, worker: Any) -> None:
    """Move every object the master holds out of the collector's reach before a fork: a worker's collections
    then never write to (and so never copy) the pages of what it shares."""
    gc.freeze()


def _gunicorn(app: str, host: str, port: int, workers: int, threads: int) -> int:
    from gunicorn.app.base import BaseApplication

    class App(BaseApplication):
        def load_config(self):
            for key, value in {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "kb.serving.worker.DeadlineWorker",
                "worker_connections": 1000,
                "keepalive": KEEPALIVE,
                "timeout": 60,
                "graceful_timeout": 10,
                "limit_request_line": 8190,
                "limit_request_fields": 100,
                "limit_request_field_size": 8190,
                "accesslog": None,
                "preload_app": False,  # the app is loaded in when_ready instead: after the bind, before forks
                **(
                    {"when_ready": _preload, "pre_fork": _pre_fork, "post_worker_init": settle_worker}
                    if os.environ.get("KB_PRELOAD", "1") != "0"
                    else {"post_worker_init": _warm_worker}
                ),
            }.items():
                self.cfg.set(key, value)
            # gunicorn ≥ 25.1 opens a management socket at one fixed path per user ($XDG_RUNTIME_DIR or
            # ~/.gunicorn): two servers on one machine (a second plan, the tests) would take it from each other,
            # and nothing here manages workers through it.
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)

        def load(self):
            return load_app(app)

    App().run()
    return 0
