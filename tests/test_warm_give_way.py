"""A background warm round gives way to requests in flight (kb.serving.warm.track_requests / give_way): it waits
while a request is being handled, not for its own requests, and never past its limit."""

from __future__ import annotations

import threading

import pytest

from kb.serving import warm


class _App:
    """What track_requests wraps: a config and a wsgi_app that blocks until released."""

    def __init__(self) -> None:
        self.config: dict = {}
        self.entered, self.release = threading.Event(), threading.Event()

    def wsgi_app(self, environ, start_response):
        self.entered.set()
        self.release.wait(5)
        return [b"ok"]


@pytest.mark.parametrize(
    ("warming", "waits"),
    [
        (False, True),  # a request in flight: the round waits for it
        (True, False),  # the round's own request is not counted
    ],
)
def test_give_way(warming: bool, waits: bool) -> None:
    app = _App()
    warm.track_requests(app)
    warm.track_requests(app)  # once per app: wrapping twice would count every request twice
    done = threading.Event()

    def request() -> None:
        warm._local.warming = warming
        app.wsgi_app({}, None)
        warm._local.warming = False

    def round_() -> None:
        app.entered.wait(5)
        warm.give_way(limit=5)
        done.set()

    threads = [threading.Thread(target=request), threading.Thread(target=round_)]
    for t in threads:
        t.start()
    assert app.entered.wait(5)
    if waits:
        assert not done.wait(0.2)  # still waiting: the request has not been released
    else:
        assert done.wait(5)  # returned while the (uncounted) request still runs
    app.release.set()
    for t in threads:
        t.join(5)
    assert done.is_set() and warm._in_flight == 0


def test_give_way_limit() -> None:
    app = _App()
    warm.track_requests(app)
    request = threading.Thread(target=lambda: app.wsgi_app({}, None))
    request.start()
    assert app.entered.wait(5)
    warm.give_way(limit=0.01)  # returns although the request is still in flight
    assert warm._in_flight == 1
    app.release.set()
    request.join(5)
    assert warm._in_flight == 0


@pytest.mark.parametrize(
    ("ended_ago", "in_flight", "go_on", "expected"),
    [
        (1e9, 0, [True], True),  # idle long enough: at once
        (0.0, 0, [True, False], False),  # a request just ended: still waiting when told to stop
        (1e9, 1, [True, False], False),  # a request in flight: waiting
        (1e9, 0, [False], False),  # told to stop before anything
    ],
)
def test_quiet_for(monkeypatch, ended_ago: float, in_flight: int, go_on: list[bool], expected: bool) -> None:
    import time

    monkeypatch.setattr(warm, "_in_flight", in_flight)
    monkeypatch.setattr(warm, "_last_request", [time.monotonic() - ended_ago])
    answers = iter(go_on)
    assert warm.quiet_for(5.0, lambda: next(answers), poll=0.01) == expected
