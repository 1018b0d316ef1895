"""Flask web UI and JSON API of Plan KB (application factory)."""
from __future__ import annotations

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Create the app; config overrides defaults (tests pass TESTING and a data dir)."""
    app = Flask(__name__)
    app.config.update(JSON_AS_ASCII=False)
    if config:
        app.config.update(config)
    from webapp import home
    app.register_blueprint(home.bp)
    return app
