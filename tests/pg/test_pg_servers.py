"""Two app servers on one PostgreSQL while 8 reviewers write and a rebuild runs; a streaming replica serves search."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from kb_helpers import data_dir_over
from pg.appservers import REPO, Reviewer, app_server
from pg.fixtures import drop_database, new_database

from kb import paths
from kb.store import KB
from kb.store.db import connect

PASSWORD = "correct-horse-42"
REVIEWERS, PER_REVIEWER = 8, 6
PLAN = "yiyang-children-2021-2025"
PG_SEARCH = {"KB_SEARCH_ENGINE": "pg"}  # the app servers search the index published into PostgreSQL
ALERT = re.compile(r'role="alert">([^<]+)')


@pytest.fixture
def shared(built_kb, tmp_path, monkeypatch, pg_server):
    """One data dir over the session's build and one fresh PostgreSQL database holding that build (published as
    `kb build` publishes it), with 8 reviewer accounts."""
    from kb.store import pgkb

    data = data_dir_over(built_kb, tmp_path, monkeypatch, "shared")
    url = new_database(pg_server)
    monkeypatch.setenv("KB_DATABASE_URL", url)
    pgkb.publish((data / "current").resolve() / "kb.sqlite", url)
    from kb.store.users import add_user

    for n in range(REVIEWERS):
        add_user(f"reviewer{n}", PASSWORD)
    yield data, url
    drop_database(pg_server, url)


def _items(base: str) -> list[str]:
    """Measure ids to review, read from the running server's search (the same on both servers)."""
    r = Reviewer("reader", "")
    _s, body = r.request(base + "/api/search?" + urllib.parse.urlencode({"q": "儿童", "limit": 40, "kind": "measure"}))
    return [row["id"] for row in json.loads(body)["results"]]


def _work(rev: Reviewer, bases: list[str], items: list[str], out: dict) -> None:
    """Sign in on one server, then write notes alternating between both: the session lives in the database."""
    statuses, ids = [], []
    try:
        statuses.append(rev.sign_in(bases[0]))
        if rev.refusal:
            raise AssertionError("sign-in refused: " + "; ".join(ALERT.findall(rev.refusal)))
        for i in range(PER_REVIEWER):
            base = bases[i % 2]
            status, body = rev.review(base, items[i % len(items)], {"action": "note.add", "body": f"{rev.name}-{i}"})
            statuses.append(status)
            ids.append(body.get("audit_id"))
        out[rev.name] = (statuses, ids)
    except Exception as exc:
        out[rev.name] = exc


@pytest.mark.slow  # two real app servers and a rebuild in subprocesses: minutes on a loaded machine (make test runs it)
def test_two_servers_eight_reviewers_during_a_rebuild_lose_nothing(shared, tmp_path):
    data, url = shared
    with (
        app_server(data, url, tmp_path / "a.log", env=PG_SEARCH) as a,
        app_server(data, url, tmp_path / "b.log", env=PG_SEARCH) as b,
    ):
        items = _items(a)
        assert len(items) >= PER_REVIEWER and _items(b) == items
        env = {**os.environ, "KB_DATA_DIR": str(data), "KB_DATABASE_URL": url, "PYTHONPATH": str(REPO)}
        rebuild = subprocess.Popen(
            [sys.executable, "-m", "kb", "build", "--quiet", "--force"],
            cwd=REPO,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        out: dict = {}
        revs = [Reviewer(f"reviewer{n}", PASSWORD) for n in range(REVIEWERS)]
        threads = [
            threading.Thread(target=_work, args=(r, [a, b] if n % 2 == 0 else [b, a], items, out))
            for n, r in enumerate(revs)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        _out, err = rebuild.communicate(timeout=900)
        assert rebuild.returncode == 0, err
        problems = {k: v for k, v in out.items() if isinstance(v, Exception)}
        assert not problems
        for name, (statuses, _ids) in out.items():
            assert statuses[0] == 302, name  # signed in
            assert set(statuses[1:]) == {200}, (name, statuses)  # no 5xx, no refusal
        ids = [i for _s, got in out.values() for i in got]
        assert len(ids) == len(set(ids)) == REVIEWERS * PER_REVIEWER and None not in ids
        # after the rebuild both servers serve the new build with every note on it
        for base in (a, b):
            status, body = Reviewer("reader", "").request(f"{base}/api/items/{urllib.parse.quote(items[0])}")
            assert status == 200
            bodies = {n["body"] for n in json.loads(body)["reviews"]["notes"]}
            assert {f"reviewer{n}-{i}" for n in range(REVIEWERS) for i in range(0, PER_REVIEWER, len(items))} <= bodies
    from kb.store.engine import pg_connection

    conn = pg_connection(url)
    try:
        notes = conn.execute("SELECT count(*) FROM reviews WHERE kind = 'note'").fetchone()[0]
        logged = conn.execute("SELECT count(*) FROM audit WHERE action = 'note.add'").fetchone()[0]
    finally:
        conn.close()
    assert notes == logged == REVIEWERS * PER_REVIEWER
    from kb.store import pgkb

    with KB(pgkb.connect(url)) as published, KB(connect(paths.kb_db_path(), readonly=True)) as local:
        assert published.items() == local.items()  # the rebuild was swapped into PostgreSQL's kb_live too
    assert not (data / "reviews.sqlite").exists()  # everything durable went to PostgreSQL


def _without_index(data: Path, where: Path) -> Path:
    """A data dir whose live build is data's without its search index folder: only PostgreSQL can search it."""
    out = where / "no-index"
    build = out / "builds" / "copy"
    shutil.copytree((data / "current").resolve(), build, ignore=shutil.ignore_patterns("index"))
    (out / "current").symlink_to(Path("builds") / "copy", target_is_directory=True)
    return out


@pytest.mark.slow  # a second PostgreSQL server and two real app servers (make test runs it)
def test_a_streaming_replica_serves_search_with_the_reviewed_state(shared, tmp_path, pg_server):
    """The reader app server has no search index of its own (KB_SEARCH_ENGINE=pg): its search is the replica's."""
    data, url = shared
    replica = pg_server.replica()  # its own /tmp dir: the server account cannot enter pytest's
    try:
        replica_url = replica.url(url.rsplit("/", 1)[1])
        bare = _without_index(data, tmp_path)
        with (
            app_server(data, url, tmp_path / "primary.log") as primary,
            app_server(bare, replica_url, tmp_path / "replica.log", env=PG_SEARCH) as reader,
        ):
            q = "/api/search?" + urllib.parse.urlencode({"q": "儿童 近视", "limit": 5})
            anon = Reviewer("reader", "")
            status, body = anon.request(reader + q)
            assert status == 200
            _s, on_primary = anon.request(primary + q)  # the primary's server searches its build folder's index
            assert json.loads(body)["results"] == json.loads(on_primary)["results"]
            first = json.loads(body)["results"][0]
            dept = first["departments"][-1]["name"]
            rev = Reviewer("reviewer0", PASSWORD)
            assert rev.sign_in(primary) == 302
            status, _b = rev.review(primary, first["id"], {"action": "assignment.reject", "department": dept})
            assert status == 200
            deadline, seen = time.monotonic() + 60, None
            while time.monotonic() < deadline:  # streaming replication: visible on the replica within moments
                status, body = anon.request(reader + q)
                assert status == 200
                row = next(r for r in json.loads(body)["results"] if r["id"] == first["id"])
                seen = [d["name"] for d in row["departments"]]
                if dept not in seen:
                    break
                time.sleep(0.3)
            assert dept not in seen, seen
            status, _b = anon.request(reader + "/api/session")
            assert status == 200
    finally:
        from pg import server as pgserver

        pgserver.remove(replica)
