"""What a typed query asks for, on the real plan (QA session 13, #5–#8): a department's duty list however the
duties are asked for, -exclusions that exclude, spelling help that never replaces a real word's results, and a
notice when no item holds a typed word whole."""

from __future__ import annotations

import pytest

from kb.search import SearchError, engine, search


@pytest.fixture
def real(built_kb_env):
    """The default plan's build as the live one."""
    return built_kb_env


def ids(res: dict) -> list[str]:
    return [r["id"] for r in res["results"]]


def hay(item_id: str) -> str:
    """The normalised text the search matches in (title, text, raw text, indicator names)."""
    ix = engine().ix
    row = ix.row(item_id)
    assert row is not None
    return ix.hay(row)


def test_an_unknown_kind_lists_the_chinese_labels(real):
    with pytest.raises(SearchError) as e:
        search("儿童", kind="xx")
    assert "组织实施" in e.value.message and "监测评估" in e.value.message
