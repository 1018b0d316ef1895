"""The pages' shared snapshot is reused between requests and replaced by a review or a rebuild."""

from __future__ import annotations

from kb import reviews

ITEM = "yiyang-children-2021-2025:health-m4"


def _snap(app):
    from webapp.lookup import snapshot

    with app.test_request_context("/"):
        return snapshot()


def test_reused_until_a_review_then_replaced(mon_kb):
    from monitoring_helpers import app_for

    app = app_for(mon_kb)
    first = _snap(app)
    assert _snap(app) is first
    reviews.add_assignment(ITEM, "市民政局", "测试员", reason="缓存测试", role="co")
    second = _snap(app)
    assert second is not first
    assert "市民政局" in {d["name"] for d in second.by_id[ITEM]["departments"]}
    assert _snap(app) is second
