"""Downloads rendered ahead (kb.exports.cache.prerender, kb.serving.ahead.render_downloads): the selections asked for
lately, or the defaults, rendered once per state and served from the cache; a request for a file being rendered
waits for that render; the cache folder kept within its budget."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from kb import exports, reviews
from kb.exports import Filters, cache
from kb.store import KB

DAY = dt.date(2026, 3, 1)


@pytest.fixture
def own_build(built_kb, tmp_path, monkeypatch):
    """A data dir with its own copy of the built KB: its cache folder holds only this test's files."""
    data = tmp_path / "data"
    build = data / "builds" / "b"
    shutil.copytree((built_kb / "current").resolve(), build, ignore=shutil.ignore_patterns(cache.FOLDER))
    (data / "current").symlink_to(Path("builds") / "b", target_is_directory=True)
    monkeypatch.setenv("KB_DATA_DIR", str(data))
    return build


@pytest.mark.parametrize(
    ("asked", "limit", "ahead"),
    [
        ([], 4, ["xlsx"]),  # nothing asked for in this build: the defaults
        ([("csv", "health")], 4, ["csv"]),  # what was asked for, not the defaults
        ([("csv", "health"), ("md", None)], 4, ["md", "csv"]),  # most lately asked first
        ([("csv", "health"), ("md", None)], 1, ["md"]),  # no more than the limit
        ([("csv", "health"), ("csv", "health")], 4, ["csv"]),  # one selection asked twice: rendered once
    ],
)
def test_prerender_renders_what_was_asked_for(own_build, renders, asked, limit, ahead):
    with KB() as kb:
        for k, (fmt, domain) in enumerate(asked):
            got = cache.cached_export(kb, "plan", fmt, Filters(domain=domain), date=DAY)
            os.utime(got.path.with_suffix(".meta"), (k + 1.0, k + 1.0))  # asked in this order
        reviews.add_note(kb.items()[0]["id"], "复核", "amy")  # a new state: every file of the old one is stale
        renders.clear()
        done = cache.prerender(kb, date=DAY, limit=limit)
        assert renders == ahead and len(done) == len(ahead)
        assert cache.prerender(kb, date=DAY, limit=limit) == []  # all cached now
        for fmt, domain in asked[:limit]:
            if fmt in ahead:  # the next request is a file send
                cache.cached_export(kb, "plan", fmt, Filters(domain=domain), date=DAY)
        assert renders == ahead


@pytest.mark.parametrize(
    ("go_on", "ahead"),
    [
        (True, ["csv", "md"]),
        (False, []),  # the state moved (or the server stops): nothing more is rendered
    ],
)
def test_prerender_stops_when_told(own_build, renders, go_on, ahead):
    with KB() as kb:
        for k, fmt in enumerate(("md", "csv")):
            got = cache.cached_export(kb, "plan", fmt, Filters(), date=DAY)
            os.utime(got.path.with_suffix(".meta"), (k + 1.0, k + 1.0))
        reviews.add_note(kb.items()[0]["id"], "复核", "amy")
        renders.clear()
        cache.prerender(kb, date=DAY, before=lambda: go_on)
    assert renders == ahead


def test_a_request_waits_for_the_render_under_way(own_build, monkeypatch):
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []
    real = exports.export

    def slow(*args, **kwargs):
        calls.append(threading.current_thread().name)
        started.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr("kb.exports.cache.export", slow)
    got: dict[str, object] = {}

    def ahead() -> None:
        with KB() as kb:
            got["ahead"] = cache.prerender(kb, date=DAY)

    def request() -> None:
        with KB() as kb:
            got["request"] = cache.cached_export(kb, "plan", "xlsx", Filters(), date=DAY)

    first = threading.Thread(target=ahead, name="ahead")
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=request, name="request")
    second.start()
    with KB() as kb:  # meanwhile, rendering ahead elsewhere skips the file being rendered
        assert cache.prerender(kb, date=DAY) == []
    release.set()
    first.join(10)
    second.join(10)
    assert calls == ["ahead"]  # the request did not render a second time: it read the file rendered ahead
    assert got["request"].path is not None and got["ahead"] == [got["request"].path.stem]


def test_render_downloads_renders_the_state_of_the_app(own_build, renders, monkeypatch):
    from kb.serving import ahead, warm

    monkeypatch.setattr(ahead, "AHEAD_QUIET", 0.0)  # a request another test made a moment ago need not be waited out

    class _App:
        def __init__(self) -> None:
            self.config = {"KB_DATA_DIR": os.environ["KB_DATA_DIR"]}

    app = _App()
    state = warm.state_key(app)
    assert ahead.render_downloads(app, ("another state",)) == (0, 0.0)  # the state moved: nothing rendered
    assert renders == []
    files, took = ahead.render_downloads(app, state)
    assert files == 1 and took > 0
    assert renders == ["xlsx"]  # the default download
    assert ahead.render_downloads(app, state)[0] == 0  # cached already


@pytest.mark.parametrize(
    ("sizes", "ages", "budget", "kept"),
    [
        ([10, 10, 10], [300, 200, 100], 30, ["a", "b", "c"]),  # within the budget: nothing goes
        ([10, 10, 10], [300, 200, 100], 25, ["b", "c"]),  # the one used least lately goes first
        ([10, 10, 10], [300, 200, 100], 5, []),  # down to the budget
        ([10, 10, 10], [300, 200, 1], 5, ["c"]),  # one used a moment ago stays (it may be streaming)
        ([50, 1, 1], [100, 300, 200], 50, ["a"]),  # the old small ones go first, the large recent one stays
    ],
)
def test_prune_keeps_the_folder_within_its_budget(tmp_path, sizes, ages, budget, kept):
    now = time.time()
    for name, size, age in zip("abc", sizes, ages, strict=True):
        for path in (tmp_path / f"{name}.csv", tmp_path / f"{name}.meta"):
            path.write_bytes(b"x" * size if path.suffix == ".csv" else b"{}")
            os.utime(path, (now - age, now - age))
    (tmp_path / ".d.lock").write_text("")  # a render's lock file is no cached file
    cache.prune(tmp_path, budget)
    assert sorted(p.stem for p in tmp_path.glob("*.csv")) == kept
    assert sorted(p.stem for p in tmp_path.glob("*.meta")) == kept
    assert (tmp_path / ".d.lock").exists()
