"""`kb serve`: the production web server — gunicorn threaded workers with request deadlines (waitress elsewhere).

The app is found by its import string (default "webapp:create_app()"), so kb never imports webapp.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from typing import Any

from kb import paths
from kb.serving import KEEPALIVE, REQUEST_TIMEOUT, THREADS

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
        _warm(None)
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


def _warm_worker(worker: Any) -> None:
    """Warm the search when a worker boots, in the background: the worker accepts requests at once (a request
    arriving meanwhile waits only for what is still loading), and the first search is not a cold one."""
    import threading

    threading.Thread(target=_warm, args=(worker,), name="search-warm-up", daemon=True).start()


def _warm(worker: Any) -> None:
    """Load the search index and analyser, then answer a search through the app itself (routes, templates,
    per-process caches), so the first request after a restart is as fast as the rest."""
    from werkzeug.test import Client

    from kb.search import warm_up

    start = time.perf_counter()
    if not warm_up():
        return
    app = getattr(worker, "wsgi", None)
    if app is not None:
        client = Client(app)
        for path in WARM_PATHS:
            client.get(path)
    took = time.perf_counter() - start
    print(f"search warmed up in {took:.1f} s (pid {os.getpid()})", file=sys.stderr, flush=True)


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
                "preload_app": False,
                "post_worker_init": _warm_worker,
            }.items():
                self.cfg.set(key, value)

        def load(self):
            return load_app(app)

    App().run()
    return 0
