"""Flask web UI and JSON API of Plan KB (application factory)."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, g, request
from werkzeug.routing import IntegerConverter, Map


class SqliteInt(IntegerConverter):
    """Flask's int converter bounded to SQLite's INTEGER (ids are row ids): a larger number matches no route."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(config: dict | None = None) -> Flask:
    """Create the app; config overrides defaults (tests pass TESTING and a data dir)."""
    from kb import paths
    from webapp import jsonsafe, render, security

    app = Flask(__name__)
    # before any blueprint adds its routes: an <int:id> beyond SQLite's INTEGER is no row (404), not an OverflowError
    app.url_map.converters["int"] = SqliteInt
    app.json = jsonsafe.SafeJSONProvider(app)  # request bodies: too deep / lone surrogates / huge ints → 400

    app.config.update(
        JSON_AS_ASCII=False, MAX_CONTENT_LENGTH=1 << 20, SEND_FILE_MAX_AGE_DEFAULT=3600, **security.COOKIE_DEFAULTS
    )
    if config:
        app.config.update(config)

    @app.before_request
    def _use_data_dir() -> None:
        g.kb_data_token = paths.use_data_dir(app.config.get("KB_DATA_DIR"))  # this app's data dir, per request

    @app.teardown_request
    def _reset_data_dir(_exc: BaseException | None) -> None:
        token = g.pop("kb_data_token", None)
        if token is not None:
            paths.reset_data_dir(token)

    app.json.ensure_ascii = False
    app.json.sort_keys = False
    if app.config.get("TRUSTED_PROXY") or os.environ.get("KB_TRUSTED_PROXY"):
        from werkzeug.middleware.proxy_fix import ProxyFix  # https seen through a reverse proxy → Secure cookies

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    from webapp import upload

    upload.init_app(app)  # before security: the CSRF check reads the (larger) upload body
    token = paths.use_data_dir(app.config.get("KB_DATA_DIR"))  # what init reads (the secret key …)
    try:
        security.init_app(app)
    finally:
        paths.reset_data_dir(token)
    render.init_app(app)
    from webapp import permissions

    permissions.init_app(app)  # one role policy for every route (after the user is loaded)

    from webapp import (
        admin,
        api_search,
        auth,
        departments,
        downloads,
        graph,
        home,
        items,
        monitoring,
        plans,
        progress,
        queue,
        reader,
        review,
        search_page,
        targets,
        upload,
    )

    pages = (
        home,
        plans,
        search_page,
        items,
        departments,
        targets,
        graph,
        reader,
        auth,
        review,
        monitoring,
        upload,
        queue,
    )
    for bp_module in (*pages, progress, admin, api_search, downloads):
        app.register_blueprint(bp_module.bp)
    app.context_processor(_page_globals)
    from webapp import warm

    app.config.setdefault("KB_WARM_PATHS", warm.warm_paths)  # what `kb serve` warms before and between requests
    return app


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
