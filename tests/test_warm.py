"""Pages warmed before a worker serves and kept warm after each change of state (kb.serving.warm): a request then
finds every per-state value it reads (kb.reviews.statecache) already computed, and no page fails for it."""

from __future__ import annotations

import queue
from pathlib import Path

import pytest

from kb.reviews import statecache


@pytest.fixture
def computed(monkeypatch):
    """The names of the per-state values computed (not found held) from now on, in any thread."""
    seen: list = []
    real = statecache.cached

    def cached(snap, name, compute, *args, **kwargs):
        def recording():
            seen.append(name)
            return compute()

        return real(snap, name, recording, *args, **kwargs)

    monkeypatch.setattr(statecache, "cached", cached)
    statecache.clear()
    return seen


def _names(seen: list) -> set[str]:
    return {n[0] if isinstance(n, tuple) else n for n in seen}


def test_the_warm_paths_name_every_page_with_per_state_values_and_each_answers(app):
    from kb.serving.warm import warm_paths

    paths = warm_paths(app)
    assert {"/", "/plans", "/departments", "/goals", "/targets", "/graph", "/monitoring", "/review/queue"} <= set(paths)
    assert any(p.startswith("/items/") for p in paths) and any(p.startswith("/departments/") for p in paths)
    client = app.test_client()
    for path in paths:
        assert client.get(path, follow_redirects=True).status_code == 200, path


def test_after_the_warm_up_no_page_computes_a_per_state_value(app, computed):
    from kb.commands.serve import warm_app
    from kb.serving.warm import warm_paths

    warm_app(app, say=False)
    names = _names(computed)
    for expected in ("home", "department_counts", "duty_index", "graph_items", "monitoring", "review_queue", "goals"):
        assert expected in names, expected
    computed.clear()
    client = app.test_client()
    for path in warm_paths(app):
        assert client.get(path, follow_redirects=True).status_code == 200
    assert computed == []  # every value those pages read was held


def test_a_review_is_warmed_in_the_background_before_the_pages_are_asked(app, computed, web_data: Path, keep_warm_here):
    from kb import paths, reviews
    from kb.commands.serve import warm_app
    from kb.serving.warm import state_key, warm_paths
    from kb.store import KB

    warm_app(app, say=False)
    rounds: queue.Queue = queue.Queue()
    keep_warm_here(app, interval=0.05, warmed=rounds.put)
    token = paths.use_data_dir(web_data)
    try:
        with KB() as kb:
            item = next(i for i in kb.items(kind="measure"))
        computed.clear()
        reviews.add_assignment(item["id"], "市民政局", "amy", role="co")  # a new department state
    finally:
        paths.reset_data_dir(token)
    after = state_key(app)
    while rounds.get(timeout=300) != after:  # the round that warmed the reviewed state (bounded wait, not a timing)
        pass
    assert "home" in _names(computed)  # recomputed in the background (the duty index is updated, not computed)
    computed.clear()
    client = app.test_client()
    for path in warm_paths(app):
        assert client.get(path, follow_redirects=True).status_code == 200
    assert computed == []


def test_an_app_that_names_no_warm_paths_is_left_alone():
    from types import SimpleNamespace

    from kb.serving.warm import warm_pages, warm_paths

    bare = SimpleNamespace(config={})
    assert warm_paths(bare) == [] and warm_paths(object()) == []
    assert warm_pages(bare, say=False) >= 0


def test_a_failing_page_is_said_and_the_rest_are_still_warmed(app, capsys):
    from kb.serving.warm import warm_pages

    @app.get("/boom")
    def boom():
        raise RuntimeError("page broken")

    app.config["KB_WARM_PATHS"] = lambda: ["/boom", "/"]
    warm_pages(app, say=False)
    assert "warm-up of /boom failed" in capsys.readouterr().err
    assert "home" in {n[0] for n in statecache._values if isinstance(n, tuple)}  # "/" after it was still warmed
