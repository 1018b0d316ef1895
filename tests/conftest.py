"""Shared fixtures: an isolated data directory, one built default KB per session, the small fixture plans."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import fast_apps
import pytest
from pg.fixtures import _engine, pg_search_template, pg_search_url, pg_server, pg_url  # noqa: F401  PostgreSQL fixtures (tests/pg)

FIXTURES = Path(__file__).parent / "fixtures"
PLANS = FIXTURES / "plans"

# Password hashing at a test suite's cost in this process and every server or CLI it starts (kb.store.users);
# test_security checks that without it the library's recommended cost is used.
os.environ["KB_ARGON2_COST"] = "test"
fast_apps.install()  # every test's app reuses this process's compiled templates and URL builders


# Modules whose tests share a module-scoped server, browser page or build: under `--dist loadgroup` (scripts/test.sh)
# one xdist worker runs each such module, so its fixture starts once instead of once per worker.
SHARED_MODULE_FIXTURES = {
    "test_browser_plans.py",
    "test_browser_upload.py",
    "test_plans_ui.py",
    "test_progress_browser.py",
    "test_search.py",
    "test_security.py",
    "test_serve.py",
    "test_pg_search.py",
}


PG_TESTS = Path(__file__).parent / "pg"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group each SHARED_MODULE_FIXTURES module's tests on one xdist worker (a no-op without loadgroup); mark the
    tests of tests/pg slow: each starts or publishes into a real PostgreSQL server (end-to-end, not `make check`)."""
    for item in items:
        if item.path.name in SHARED_MODULE_FIXTURES:
            item.add_marker(pytest.mark.xdist_group(item.path.name))
        if item.path.is_relative_to(PG_TESTS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def kb_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data directory for this test (KB_DATA_DIR points at it until the test ends)."""
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("KB_DATA_DIR", str(data))
    return data


@pytest.fixture(scope="session")
def built_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data directory holding one build of the default plan, fresh for this session; treat it as read-only.

    The build comes from the on-disk cache (kb_cache.cached_build): made once for one set of build inputs and
    copied here, so every session (and every xdist worker) starts from the same files without rebuilding.
    Use `built_kb_env` to read it through KB().
    """
    from kb_cache import cached_build

    data = tmp_path_factory.mktemp("built-kb")
    shutil.copytree(cached_build(), data, symlinks=True, dirs_exist_ok=True)
    return data


@pytest.fixture(scope="session")
def mini_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data directory holding one build of the small review plan, fresh for this session; treat it as read-only.

    Like `built_kb`, copied from the on-disk build cache (kb_cache.cached_build)."""
    from kb_cache import cached_build
    from review_helpers import MINI, SLUG

    data = tmp_path_factory.mktemp("mini-kb") / "data"
    shutil.copytree(cached_build(SLUG, MINI.read_text(encoding="utf-8")), data, symlinks=True)
    return data


@pytest.fixture
def mini(mini_kb: Path, kb_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The review plan live in this test's own data dir (`kb_data`), over the session's build; returns its source."""
    from review_helpers import mini_over

    return mini_over(mini_kb, monkeypatch, kb_data)


@pytest.fixture
def built_kb_env(built_kb: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """KB_DATA_DIR set to the session's built KB for this test (read-only use: no add, no rebuild)."""
    monkeypatch.setenv("KB_DATA_DIR", str(built_kb))
    return built_kb


@pytest.fixture
def web_data(built_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data dir whose live build is the session's (read-only) build; reviews and users start empty."""
    from kb_helpers import data_dir_over

    return data_dir_over(built_kb, tmp_path, monkeypatch, "web-data")


@pytest.fixture
def mon_kb(web_data: Path) -> Path:
    """The monitoring tests' name for `web_data`."""
    return web_data


@pytest.fixture
def app_config() -> dict:
    """Config for the `app` fixture; a test module overrides this fixture to change it."""
    return {}


@pytest.fixture
def app_data(web_data: Path) -> Path:
    """The data dir the `app` fixture serves (`web_data`); a test module overrides this fixture to serve another."""
    return web_data


@pytest.fixture
def app(app_data: Path, app_config: dict):
    """The Flask app over `app_data`, in testing mode, with `app_config` on top."""
    from webapp import create_app

    return create_app({"TESTING": True, "KB_DATA_DIR": str(app_data), **app_config})


@pytest.fixture
def client(app):
    """A test client of `app`."""
    return app.test_client()


@pytest.fixture
def reviewer(client):
    """The test client signed in as a reviewer."""
    from web_support import make_user, sign_in

    make_user()
    resp = sign_in(client)
    assert resp.status_code == 302
    return client


@pytest.fixture
def keep_warm_here():
    """kb.serving.warm.keep_warm for this test: its threads are stopped and joined when the test ends. Left running,
    each poll read its finished test's data dir and so replaced the process's reviewed state, and a later test's
    cached values were computed again whenever a poll fell between its write and its pages (under load)."""
    from kb.serving.warm import keep_warm

    stop, threads = threading.Event(), []

    def start(app, **kwargs):
        threads.append(keep_warm(app, stop=stop, **kwargs))
        return threads[-1]

    yield start
    stop.set()
    for t in threads:
        t.join(timeout=600)  # a round under way finishes first
    assert not any(t.is_alive() for t in threads)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """tests/fixtures."""
    return FIXTURES


@pytest.fixture(scope="session")
def fixture_plan() -> Path:
    """A small, complete plan in the genre's common layout (UTF-8, 2 domains, goals and measures)."""
    return PLANS / "small.txt"


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """One Debian chromium for the whole session (Playwright's sync API allows one running instance)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def renders(monkeypatch):
    """The formats kb.exports.cache rendered, in order (a spy on its export call)."""
    from kb import exports

    calls: list[str] = []
    real = exports.export

    def counting(*args, **kwargs):
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr("kb.exports.cache.export", counting)
    return calls
