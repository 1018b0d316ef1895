"""Where things live: the repo's corpus, the data directory (KB_DATA_DIR) and the live build."""

from __future__ import annotations

import functools
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


# The live build by (data dir, target of its `current` link): resolving `current` walks every component of the
# path (~0.4 ms on a loaded machine, twice a write); each build's atomic swap changes the target, so it is the key.
_resolved: dict[tuple[Path, str], Path] = {}
_from_env: dict[str, Path] = {}  # $KB_DATA_DIR's value -> its Path (made once, not per call)


def _ensure(d: Path, parents: bool = False) -> Path:
    """d, made first when missing: one stat when it exists (pathlib's mkdir with exist_ok costs a failed mkdir,
    a stat and its Python layers, several times a request; folders are not remembered, as tests and operators
    remove data dirs and reuse their paths)."""
    if not os.path.isdir(d):
        d.mkdir(parents=parents, exist_ok=True)
    return d


def data_dir() -> Path:
    """The data directory: the one configured for this context, else $KB_DATA_DIR, else ./data in the repo."""
    d = _configured.get()
    if d is None:
        env = os.environ.get("KB_DATA_DIR") or ""
        d = _from_env.get(env)
        if d is None:
            d = _from_env[env] = Path(env or REPO / "data")
    return _ensure(d, parents=True)


def plans_dir() -> Path:
    """Plan files added with `kb add` (copied here so a rebuild finds them)."""
    return _ensure(data_dir() / "plans")


def builds_dir() -> Path:
    """Each build writes a fresh folder here; `current` points at the live one."""
    return _ensure(data_dir() / "builds")


def current_build() -> Path | None:
    """The live build folder, or None before the first build."""
    d = data_dir()
    link = os.path.join(d, "current")  # str and os.path: this runs several times a request
    try:
        key = (d, os.readlink(link))
    except OSError:  # no link yet, or `current` is not a symlink: the plain way
        return Path(link).resolve() if os.path.exists(link) else None
    build = _resolved.get(key)
    if build is None or not os.path.isdir(build):  # first sight of this target, or its folder went away
        if not os.path.exists(link):
            return None
        build = _resolved[key] = Path(link).resolve()
    return build


@functools.lru_cache(maxsize=64)
def _in_build(build: Path, name: str) -> Path:
    """build / name, joined once per build (a Path join is most of what asking for it costs)."""
    return build / name


def kb_db_path() -> Path | None:
    """The live derived database (read-only between builds)."""
    build = current_build()
    return _in_build(build, "kb.sqlite") if build else None


def index_path() -> Path | None:
    """The live search index folder."""
    build = current_build()
    return _in_build(build, "index") if build else None


def reviews_db_path() -> Path:
    """The durable database of reviews, audit log, users and observations (never rebuilt)."""
    return data_dir() / "reviews.sqlite"
