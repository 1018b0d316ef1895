"""kb.paths remembers folders and the live build per request-heavy call, yet follows every build swap."""

from __future__ import annotations

import os

import pytest

from kb import paths


def _swap(data, target: str | None) -> None:
    """Point data/current at builds/target as a build does (a new link renamed over the old one)."""
    tmp = data / "current.new"
    if target is None:
        if os.path.lexists(data / "current"):
            os.unlink(data / "current")
        return
    os.symlink(os.path.join("builds", target), tmp)
    os.replace(tmp, data / "current")


@pytest.mark.parametrize(
    "steps,expected",
    [
        ([], None),  # before the first build
        (["a"], "a"),
        (["a", "b"], "b"),  # a swap is seen at once
        (["a", "b", "a"], "a"),  # and back (a cached target is not a stale one)
        (["a", "rm:a"], None),  # the live build's folder went away: no build, not a dangling path
        (["a", None], None),  # the link removed
    ],
)
def test_current_build_follows_each_swap(tmp_path, monkeypatch, steps, expected):
    data = tmp_path / "data"
    monkeypatch.setenv("KB_DATA_DIR", str(data))
    for name in ("a", "b"):
        (paths.builds_dir() / name).mkdir()
    for step in steps:
        paths.current_build()  # each state seen once, so the cache holds it
        if step and step.startswith("rm:"):
            os.rmdir(data / "builds" / step[3:])
        else:
            _swap(data, step)
    got = paths.current_build()
    assert got == (None if expected is None else (data / "builds" / expected).resolve())
    if got is not None:
        assert paths.kb_db_path() == got / "kb.sqlite" and paths.index_path() == got / "index"


@pytest.mark.parametrize("sub", ["", "plans", "builds"])
def test_folders_are_made_on_first_use(tmp_path, monkeypatch, sub):
    data = tmp_path / "fresh" / "data"
    monkeypatch.setenv("KB_DATA_DIR", str(data))
    made = {"": paths.data_dir, "plans": paths.plans_dir, "builds": paths.builds_dir}[sub]()
    assert made == (data / sub if sub else data)
    assert made.is_dir()


@pytest.mark.parametrize("sub", ["", "plans", "builds"])
def test_a_removed_folder_is_made_again_at_the_same_path(tmp_path, monkeypatch, sub):
    import shutil

    data = tmp_path / "data"
    monkeypatch.setenv("KB_DATA_DIR", str(data))
    ask = {"": paths.data_dir, "plans": paths.plans_dir, "builds": paths.builds_dir}[sub]
    ask()
    shutil.rmtree(data)  # as the test KB cache does with its .tmp-<pid> folder before the next build there
    assert ask().is_dir()
