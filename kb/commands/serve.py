"""`kb serve`: the production web server (gunicorn sync workers; waitress where gunicorn can't run)."""

from __future__ import annotations

import os
import sys

from kb import paths


def register(sub) -> None:
    p = sub.add_parser("serve", help="启动网页服务 (serve the web app)")
    p.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    p.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "0")) or None)
    p.set_defaults(func=cmd_serve)


def cmd_serve(args) -> int:
    if paths.current_build() is None:
        from kb.build import build

        print("尚未构建知识库,先构建…", file=sys.stderr)
        build()
    workers = args.workers or max(2, (os.cpu_count() or 1) * 2)
    print(f"Plan KB 服务: http://{args.host}:{args.port}/", file=sys.stderr, flush=True)
    try:
        return _gunicorn(args.host, args.port, workers)
    except ImportError:
        from waitress import serve

        from webapp import create_app

        app = create_app()
        _warm_worker(None)
        serve(app, host=args.host, port=args.port, threads=workers * 2)
        return 0


def _warm_worker(_worker) -> None:
    """Load the search index and analyser when a worker boots, so the first request after a restart is not slow."""
    from kb.search import warm_up

    warm_up()


def _gunicorn(host: str, port: int, workers: int) -> int:
    from gunicorn.app.base import BaseApplication

    from webapp import create_app

    class App(BaseApplication):
        def load_config(self):
            for key, value in {
                "bind": f"{host}:{port}",
                "workers": workers,
                "worker_class": "sync",
                "timeout": 60,
                "graceful_timeout": 10,
                "accesslog": None,
                "preload_app": False,
                "post_worker_init": _warm_worker,
            }.items():
                self.cfg.set(key, value)

        def load(self):
            return create_app()

    App().run()
    return 0
