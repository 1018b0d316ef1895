"""Warm pages: every per-state value the app's pages show (kb.reviews.statecache) computed before a process serves,
and again in the background after each change of state, so a request rarely computes one.

The pages to ask for come from the app (config KB_WARM_PATHS: a callable giving URL paths), so kb never imports
webapp; they are requested through the app itself (routes, templates, the very caches a request reads). A change
of state is a new build or any audit entry (a review, a note, a value entered), wherever it was made: a thread
polls the snapshot's key, which costs a stat and one query, and warms the pages again when it moves. A background
round gives way to requests: before each page it waits (at most YIELD_SECONDS) until no request of the process is in
flight, since a round shares the interpreter with them and at 100x a request 3 s after a review ran at a fraction
of its speed beside it (issue 19). While it runs, the interpreter hands the GIL over every SWITCH_SECONDS, and after
it the heap is collected once and frozen (settle_heap), so requests beside a round neither queue for the GIL after
each read nor stop for the collector's passes over the round's values. Then the state's downloads are rendered
ahead (kb.serving.ahead), one file at a time, so the first download after a build or review is a file send.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

from kb import paths

POLL_SECONDS = float(os.environ.get("KB_WARM_POLL", "0.5"))
# Rounds are spaced: at least GAP seconds and DUTY times the last round's length apart. Every worker warms every
# page (about 0.1 CPU-s at 1x), so while reviewers write several times a second, unspaced rounds took ~40 % of two
# cores from the requests (issue 14: item pages while two reviewers write); a change after a quiet spell is still
# warmed at the next poll.
GAP_SECONDS = float(os.environ.get("KB_WARM_GAP", "5"))
DUTY = 10
# A round that follows another within QUIET seconds renders only the pages whose values requests read since the
# last round: while reviewers write, every worker rendered every stale page (~75 ms CPU a round) although no one
# asked for most of them (issue 14: item pages while two reviewers write); a page not in use is computed by the
# request that asks for it. The first round after a quiet spell still renders every stale page.
QUIET_SECONDS = float(os.environ.get("KB_WARM_QUIET", "60"))
WARMED = "KB_WARMED_STATE"  # app config: the state the pages were last warmed at (a forked worker inherits it)
READS = "KB_WARM_READS"  # app config: path → the per-state values its last warm-up read
COSTS = "KB_WARM_COSTS"  # app config: path → seconds its last warm-up took
TRACKED = "KB_WARM_TRACKED"  # app config: its wsgi_app counts the requests in flight
YIELD_SECONDS = float(os.environ.get("KB_WARM_YIELD", "2"))
# A request that releases the GIL (every SQLite read, stat and socket write does) waits a whole switch interval to get
# it back from a round's thread: CPython's 5 ms made a search of 18 ms CPU take 150-220 ms wall 3 s after a review at
# 100x (issue 19); 0.5 ms cut the search's median wall beside a round 2.6x in the same window (load 8).
SWITCH_SECONDS = float(os.environ.get("KB_WARM_SWITCH", "0.0005"))

_flight = threading.Condition()
_switch = threading.Lock()
_sharing: list[Any] = [0, 0.0, None]  # rounds running in this process; the switch interval and gc thresholds before
NO_FULL = 1 << 30  # gen-2 threshold while rounds run: no full collection (settle_heap makes one after the round)
_in_flight = 0  # requests of this process being handled (a warm round's own are not counted)
_last_request = [-1e9]  # monotonic time the last of them ended
_local = threading.local()  # .warming: this thread is a warm round's


def track_requests(app: Any) -> None:
    """Count the app's requests in flight (once per app; its wsgi_app wrapped) so warm rounds can give way."""
    config = getattr(app, "config", None)
    if config is None or config.get(TRACKED) or not hasattr(app, "wsgi_app"):
        return
    inner = app.wsgi_app

    def counted(environ: Any, start_response: Any) -> Any:
        global _in_flight
        if getattr(_local, "warming", False):
            return inner(environ, start_response)
        with _flight:
            _in_flight += 1
        try:
            return inner(environ, start_response)
        finally:
            with _flight:
                _in_flight -= 1
                _last_request[0] = time.monotonic()
                if not _in_flight:
                    _flight.notify_all()

    app.wsgi_app = counted
    config[TRACKED] = True


def give_way(limit: float = YIELD_SECONDS) -> None:
    """Wait until no request is in flight, at most `limit` seconds (then warm anyway: the value must get made)."""
    with _flight:
        _flight.wait_for(lambda: _in_flight == 0, timeout=limit)


def quiet_for(seconds: float, go_on: Callable[[], bool], poll: float = 0.25) -> bool:
    """Wait until no request of the process has been in flight for `seconds` (True), checking go_on() every `poll`
    seconds at most; False as soon as it says to stop (the state moved, the server stops)."""
    while go_on():
        with _flight:
            idle = time.monotonic() - _last_request[0] if _in_flight == 0 else 0.0
        if idle >= seconds:
            return True
        time.sleep(min(poll, seconds - idle))
    return False


@contextmanager
def sharing(interval: float = SWITCH_SECONDS) -> Iterator[None]:
    """Within the block (a background round), threads switch every `interval` seconds at most and the collector
    makes no full pass (the process's own settings again once the last round running has ended)."""
    with _switch:
        if not _sharing[0]:
            _sharing[1], _sharing[2] = sys.getswitchinterval(), gc.get_threshold()
            sys.setswitchinterval(min(interval, _sharing[1]))
            young, middle, _ = _sharing[2]
            gc.set_threshold(young, middle, NO_FULL)
        _sharing[0] += 1
    try:
        yield
    finally:
        with _switch:
            _sharing[0] -= 1
            if not _sharing[0]:
                sys.setswitchinterval(_sharing[1])
                gc.set_threshold(*_sharing[2])


def settle_heap() -> None:
    """Collect once, between requests, and freeze what survives (gc.freeze): a round's values live as long as their
    state, and left in the collector's generations every full collection went over them again; at 100x those came 4
    in 6 s after a review, 150-500 ms each, stopping every thread of the process. Freezing what a request in flight
    holds would keep its cycles forever, hence the wait (a request arriving during the collection waits for it)."""
    give_way()
    gc.collect()
    gc.freeze()


def warm_paths(app: Any) -> list[str]:
    """The URL paths the app asks to keep warm ([] for an app that names none)."""
    config = getattr(app, "config", None)
    if config is None:
        return []
    source: Callable[[], list[str]] | None = config.get("KB_WARM_PATHS")
    if source is None:
        return []
    token = paths.use_data_dir(config.get("KB_DATA_DIR"))
    try:
        return list(source())
    finally:
        paths.reset_data_dir(token)


def warm_pages(app: Any, say: bool = True, changed_only: bool = False, asked: set[Hashable] | None = None) -> float:
    """Ask the app for each of its warm paths once (in this thread); seconds taken. A page that fails is said and
    skipped: warming is an optimisation, and the request itself will say what is wrong. changed_only: skip a page
    whose per-state values (kb.reviews.statecache, as its last warm-up read them) all hold for the state now;
    asked (with changed_only): render only pages with a stale value among these names (what requests read), the
    cheapest first, so a value several pages read is computed by the cheapest of them and the others are skipped."""
    from werkzeug.test import Client

    from kb.reviews import statecache

    start = time.perf_counter()
    config = getattr(app, "config", None)
    if config is not None:  # before warming: a change made meanwhile is warmed again by keep_warm
        config[WARMED] = state_key(app)
    reads: dict[str, set] = config.setdefault(READS, {}) if config is not None else {}
    costs: dict[str, float] = config.setdefault(COSTS, {}) if config is not None else {}
    snap = _snapshot(app) if changed_only else None
    client = Client(app)
    pages = warm_paths(app)
    if snap is not None and asked is not None:
        pages.sort(key=lambda p: costs.get(p, 0.0))
    for path in pages:
        if snap is not None and path in reads:
            stale = [name for name, scope in reads[path] if not statecache.fresh(snap, [(name, scope)])]
            if not stale or (asked is not None and not any(name in asked for name in stale)):
                continue
        if changed_only:  # a background round: requests first
            give_way()
        try:
            began = time.perf_counter()
            _local.warming = True
            with statecache.recording(warming=True) as used:
                resp = client.get(path)
                resp.close()
            reads[path], costs[path] = used, time.perf_counter() - began
            problem = f"status {resp.status_code}" if resp.status_code >= 500 else ""
        except Exception as exc:  # any page error is the page's to report, not the warm-up's
            problem = repr(exc)
        finally:
            _local.warming = False
        if problem:
            print(f"warm-up of {path} failed in pid {os.getpid()}: {problem}", file=sys.stderr, flush=True)
    took = time.perf_counter() - start
    if say:
        print(f"pages warmed up in {took:.1f} s (pid {os.getpid()})", file=sys.stderr, flush=True)
    return took


def _snapshot(app: Any) -> Any:
    """The reviewed snapshot under the app's data dir (None when there is none to read)."""
    from kb.reviews import snapshot

    config = getattr(app, "config", None)
    token = paths.use_data_dir(config.get("KB_DATA_DIR") if config is not None else None)
    try:
        return snapshot.current()
    except Exception:  # no build yet, a damaged reviews DB: every page is warmed (and says so)
        return None
    finally:
        paths.reset_data_dir(token)


def state_key(app: Any = None) -> Hashable | None:
    """The live build and its reviewed state (None before a build or while the state cannot be read)."""
    from kb.reviews import snapshot

    config = getattr(app, "config", None)
    token = paths.use_data_dir(config.get("KB_DATA_DIR") if config is not None else None)
    try:
        snap = snapshot.current()
        return (snap.build.key, snap.key("all"))
    except Exception:  # no build yet, a damaged reviews DB: the pages say so; nothing to warm
        return None
    finally:
        paths.reset_data_dir(token)


def keep_warm(
    app: Any,
    interval: float = POLL_SECONDS,
    warmed: Callable[[Hashable], None] | None = None,
    gap: float = GAP_SECONDS,
    stop: threading.Event | None = None,
    settle: bool = True,
    downloads: bool = True,
) -> threading.Thread:
    """Start a daemon thread that warms the pages again whenever the state moves from the one they were last warmed
    at (in this process or, for a forked worker, in the master), rounds spaced by `gap` seconds at least;
    warmed(state) is called after each round (tests wait on it). settle: the heap is settled (settle_heap) when the
    thread starts, on what the boot's warm-up made, and after each round. downloads: then the state's downloads are
    rendered ahead (kb.serving.ahead; at most once per DUTY times the last such run's length, so a stream of reviews
    does not keep a core rendering files no one fetched). The thread ends once `stop` is set (a server's
    runs as long as its process; a test's must end with the test, as each poll reads its app's data dir)."""
    stop = stop or threading.Event()
    track_requests(app)
    config = getattr(app, "config", None)
    start = config.get(WARMED) if config is not None else None
    # The state to compare against is read here, not in the thread: read there, a change made just after this call
    # could be taken for the starting state and never warmed.
    first = start if start is not None else state_key(app)

    def run() -> None:
        from kb.reviews import statecache

        seen, rendered = first, None
        ready = last = -QUIET_SECONDS  # monotonic times: the next round may start / the last round started
        ahead = 0.0  # monotonic time from which downloads may be rendered ahead again
        if settle:
            settle_heap()
        while True:
            if downloads and seen is not None and seen != rendered and time.monotonic() >= ahead:
                from kb.serving.ahead import render_downloads

                _, took = render_downloads(app, seen, stop)  # spaced by the rendering, not the waits for quiet
                rendered, ahead = seen, time.monotonic() + DUTY * took
            if stop.wait(max(interval, ready - time.monotonic())):
                break
            now = state_key(app)
            if now is not None and now != seen:
                asked = statecache.take_asked()
                busy = time.monotonic() - last < QUIET_SECONDS  # rounds in a row: keep warm what is in use
                last = time.monotonic()
                with sharing():
                    took = warm_pages(app, say=False, changed_only=True, asked=asked if busy else None)
                if settle:
                    settle_heap()
                ready = time.monotonic() + max(gap, DUTY * took)
                seen = now
                if warmed is not None:
                    warmed(now)

    thread = threading.Thread(target=run, name="keep-warm", daemon=True)
    thread.start()
    return thread
