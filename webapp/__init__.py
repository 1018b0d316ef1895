"""Flask web UI and JSON API of Plan KB (application factory)."""

from __future__ import annotations

import importlib
import os

from flask import Flask, request


def create_app(config: dict | None = None) -> Flask:
    """Create the app; config overrides defaults (tests pass TESTING and a data dir)."""
    from webapp import jsonsafe, render, security

    app = Flask(__name__)
    app.json = jsonsafe.SafeJSONProvider(app)  # request bodies: too deep / lone surrogates / huge ints → 400

    app.config.update(
        JSON_AS_ASCII=False, MAX_CONTENT_LENGTH=1 << 20, SEND_FILE_MAX_AGE_DEFAULT=3600, **security.COOKIE_DEFAULTS
    )
    if config:
        app.config.update(config)
    if app.config.get("KB_DATA_DIR"):
        os.environ["KB_DATA_DIR"] = str(app.config["KB_DATA_DIR"])
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    if app.config.get("TRUSTED_PROXY") or os.environ.get("KB_TRUSTED_PROXY"):
        from werkzeug.middleware.proxy_fix import ProxyFix  # https seen through a reverse proxy → Secure cookies

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    from webapp import upload

    upload.init_app(app)  # before security: the CSRF check reads the (larger) upload body
    security.init_app(app)
    render.init_app(app)
    from webapp import permissions

    permissions.init_app(app)  # one role policy for every route (after the user is loaded)

    from webapp import (
        api_search,
        auth,
        departments,
        downloads,
        graph,
        home,
        items,
        queue,
        reader,
        review,
        search_page,
        targets,
        upload,
    )

    for bp_module in (home, search_page, items, departments, targets, graph, reader, auth, review, upload, queue):
        app.register_blueprint(bp_module.bp)
    app.register_blueprint(api_search.bp)
    app.register_blueprint(downloads.bp)
    _register_optional(app, "monitoring")  # 监测评估 dashboards, value entry, template/import, reports
    from webapp import admin, progress

    app.register_blueprint(progress.bp)  # 进度报告: departments report on their duties
    app.register_blueprint(admin.bp)  # accounts, for the admin role
    app.context_processor(_page_globals)
    return app


def _register_optional(app: Flask, name: str) -> None:
    """Register webapp.<name>.bp when that module exists (areas other engineers add)."""
    try:
        module = importlib.import_module(f"webapp.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"webapp.{name}":
            raise
        return
    app.register_blueprint(module.bp)


def _page_globals() -> dict:
    """What every template needs: the signed-in reviewer, the JSON twin of this page, the active nav entry."""
    from flask import current_app, g

    from webapp.render import url_with_query

    endpoint = request.endpoint or ""
    api = ""
    if endpoint and f"{endpoint}_api" in current_app.view_functions:
        api = url_with_query(f"{endpoint}_api", request.view_args or {}, request.args)
    elif endpoint == "search.search_page":
        from webapp.search_page import api_link

        api = api_link(request.args)
    snap = g.get("kb_snapshot")
    degraded = g.get("db_problem") or (snap.degraded if snap is not None else "")
    return {"user": g.get("user"), "api_url": api, "nav": endpoint.split(".")[0], "degraded": degraded}
