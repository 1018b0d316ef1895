"""Search on PostgreSQL (kb.search.pg, KB_SEARCH_ENGINE=pg): the same payload as the default engine for every query
of the typed and dev query sets and for filters, sorting and bad parameters; builds swapped under a running engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.search import SearchError, search
from kb.store import pgkb

REPO = Path(__file__).resolve().parents[2]
QUERY_SETS = {
    "typed": REPO / "bench" / "typed_queries" / "queries.gold.json",
    "dev": Path("/work/shared/eval/gold-dev/queries.gold.json"),
}


def _queries() -> list[str]:
    out = []
    for path in QUERY_SETS.values():
        if path.exists():
            out += [q["q"] for q in json.loads(path.read_text(encoding="utf-8"))]
    return list(dict.fromkeys(out))


@pytest.fixture(scope="module")
def published(built_kb, pg_server):
    """The session's build published into one PostgreSQL database for this module."""
    from pg.fixtures import drop_database, new_database

    url = new_database(pg_server)
    pgkb.publish((built_kb / "current").resolve() / "kb.sqlite", url)
    yield url
    drop_database(pg_server, url)


def _both(monkeypatch, url: str, *args, **kwargs) -> tuple[object, object]:
    """The payload (or the SearchError's message and status) of one search on each engine."""

    def run():
        try:
            return search(*args, **kwargs)
        except SearchError as e:
            return ("error", e.message, e.status)

    monkeypatch.delenv("KB_SEARCH_ENGINE", raising=False)
    default = run()
    monkeypatch.setenv("KB_DATABASE_URL", url)
    monkeypatch.setenv("KB_SEARCH_ENGINE", "pg")
    on_pg = run()
    monkeypatch.delenv("KB_SEARCH_ENGINE")
    monkeypatch.delenv("KB_DATABASE_URL")
    return default, on_pg


@pytest.mark.parametrize("q", _queries() or ["儿童健康"])
def test_every_query_of_the_query_sets_answers_the_same(built_kb_env, published, monkeypatch, q):
    default, on_pg = _both(monkeypatch, published, q, limit=10)
    assert isinstance(default, dict) and default["results"]
    assert on_pg == default  # ids, order, scores, snippets, facets, corrections: one scoring model


@pytest.mark.parametrize(
    "kwargs",
    [
        {"q": "出生缺陷防治", "kind": "measure"},
        {"q": "儿童", "domain": "儿童与健康", "limit": 20},
        {"q": "儿童", "dept": "市教育局", "role": "lead"},
        {"q": "心理健康", "has_indicator": "1"},
        {"q": "儿童 营养 -学生"},
        {"q": '"家长学校"'},
        {"q": "儿童", "sort": "plan", "offset": 10, "limit": 5},
        {"q": "谁负责儿童近视"},
        {"q": "卫健委牵头"},
        {"q": "兒童近式"},  # traditional characters and a typo: corrected as the default engine corrects it
        {"q": "", "kind": "goal"},
        {"q": ""},
        {"q": "的"},
        # bad parameters: the same refusal
        {"q": "儿童", "domain": "火星"},
        {"q": "儿童", "role": "lead"},
        {"q": "儿童", "kind": "poem"},
        {"q": "儿童", "plan": "no-such-plan"},
        {"q": "儿童", "limit": 0},
        {"q": "儿童", "sort": "random"},
    ],
)
def test_filters_sorting_and_refusals_are_the_same(built_kb_env, published, monkeypatch, kwargs):
    default, on_pg = _both(monkeypatch, published, **kwargs)
    assert on_pg == default


@pytest.mark.parametrize(
    "setting,url,message",
    [
        ("pg", None, "KB_SEARCH_ENGINE=pg 需要 KB_DATABASE_URL"),
        ("solr", None, "KB_SEARCH_ENGINE 只能是 whoosh 或 pg"),
    ],
)
def test_a_bad_engine_setting_is_a_clear_error(built_kb_env, monkeypatch, setting, url, message):
    monkeypatch.setenv("KB_SEARCH_ENGINE", setting)
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)
    with pytest.raises(SearchError) as e:
        search("儿童")
    assert message in e.value.message and e.value.status == 503


def test_no_published_build_is_503(built_kb_env, pg_url, monkeypatch):
    monkeypatch.setenv("KB_SEARCH_ENGINE", "pg")
    with pytest.raises(SearchError) as e:
        search("儿童")
    assert e.value.status == 503


def test_searches_during_publishes_read_whole_builds(built_kb, built_kb_env, pg_url, monkeypatch):
    """A thread searching while three builds are published and swapped in (the oldest indexes dropped meanwhile)
    never fails and always gets the same answer; an engine whose index was dropped says so (StaleBuild, on which
    kb.search.search runs the query again); only the live and the kept previous index remain."""
    import threading

    import numpy as np
    import psycopg

    from kb.search import pg as pgsearch
    from kb.search.engine import StaleBuild

    db = (built_kb / "current").resolve() / "kb.sqlite"
    monkeypatch.setenv("KB_SEARCH_ENGINE", "pg")
    pgkb.publish(db, pg_url)
    first = search("儿童健康")
    old = pgsearch.pg_engine(pg_url)
    seen, errors, stop = [], [], threading.Event()

    def reader():
        from kb.reviews import audit

        while not stop.is_set():
            try:
                seen.append(search("儿童健康") == first)
            except Exception as e:  # any failure is what this test looks for
                errors.append(repr(e))
        _key, conn = audit.reader()  # this thread's reviews connection ends with the thread
        if conn is not None:
            conn.close()
        audit.forget_reader()

    t = threading.Thread(target=reader)
    t.start()
    try:
        for _ in range(3):
            pgkb.publish(db, pg_url)
    finally:
        stop.set()
        t.join()
    assert errors == [] and seen and all(seen)
    assert search("儿童健康") == first and pgsearch.pg_engine(pg_url) is not old
    old.ix._hay.clear()
    with pytest.raises(StaleBuild):  # the first build's index was dropped
        old.ix.hays(np.array([0]))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        names = [r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'kb\\_search\\_%'")]
    assert len(names) == 2  # the live build's and the kept previous one's


@pytest.mark.parametrize("argv", [["儿童", "近视"], ["--kind", "measure", "出生缺陷"], ["--json", "校园欺凌"]])
def test_kb_search_prints_the_same_on_both_engines(built_kb_env, published, monkeypatch, capsys, argv):
    from kb.cli import main

    monkeypatch.delenv("KB_SEARCH_ENGINE", raising=False)
    assert main(["search", *argv]) == 0
    default = capsys.readouterr().out
    monkeypatch.setenv("KB_DATABASE_URL", published)
    monkeypatch.setenv("KB_SEARCH_ENGINE", "pg")
    assert main(["search", *argv]) == 0
    assert capsys.readouterr().out == default and default.strip()


def test_api_and_page_search_on_postgresql(client, published, monkeypatch):
    """/api/search answers the same JSON on both engines, and /search (its HTML twin) lists the same items."""
    monkeypatch.delenv("KB_SEARCH_ENGINE", raising=False)
    default = client.get("/api/search?q=家长学校&limit=5").get_json()
    monkeypatch.setenv("KB_DATABASE_URL", published)
    monkeypatch.setenv("KB_SEARCH_ENGINE", "pg")
    resp = client.get("/api/search?q=家长学校&limit=5")
    assert resp.status_code == 200 and resp.get_json() == default and default["results"]
    page = client.get("/search?q=家长学校")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert all(r["title"] in html for r in default["results"])
