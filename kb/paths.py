"""Where things live: the repo's corpus, the data directory (KB_DATA_DIR) and the live build."""

from __future__ import annotations

import os
from contextvars import ContextVar, Token
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
DEFAULT_PLAN = CORPUS / "yiyang-children-2021-2025.txt"


# A web app passes its configured data dir here per request (webapp reads it from app.config), so two apps in
# one process never share state through the environment.
_configured: ContextVar[Path | None] = ContextVar("kb_data_dir", default=None)


def use_data_dir(path: str | Path | None) -> Token[Path | None]:
    """Use `path` as the data directory in the current context until reset_data_dir(token)."""
    return _configured.set(Path(path) if path else None)


def reset_data_dir(token: Token[Path | None]) -> None:
    """Undo the use_data_dir call that returned `token`."""
    _configured.reset(token)


def data_dir() -> Path:
    """The data directory: the one configured for this context, else $KB_DATA_DIR, else ./data in the repo."""
    d = _configured.get() or Path(os.environ.get("KB_DATA_DIR") or REPO / "data")
    d.mkdir(parents=True, exist_ok=True)
    return d


def plans_dir() -> Path:
    """Plan files added with `kb add` (copied here so a rebuild finds them)."""
    d = data_dir() / "plans"
    d.mkdir(exist_ok=True)
    return d


def builds_dir() -> Path:
    """Each build writes a fresh folder here; `current` points at the live one."""
    d = data_dir() / "builds"
    d.mkdir(exist_ok=True)
    return d


def current_build() -> Path | None:
    """The live build folder, or None before the first build."""
    link = data_dir() / "current"
    if not link.exists():
        return None
    return link.resolve()


def kb_db_path() -> Path | None:
    """The live derived database (read-only between builds)."""
    build = current_build()
    return build / "kb.sqlite" if build else None


def index_path() -> Path | None:
    """The live search index folder."""
    build = current_build()
    return build / "index" if build else None


def reviews_db_path() -> Path:
    """The durable database of reviews, audit log, users and observations (never rebuilt)."""
    return data_dir() / "reviews.sqlite"
