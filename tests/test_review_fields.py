"""What a review's JSON body may hold: text or numbers, each field; anything else is refused in words."""

from __future__ import annotations

import pytest
from web_support import csrf, item_id


@pytest.mark.parametrize(
    ("url", "body", "named"),
    [
        (
            "/api/review/queue/act",
            {"item": item_id("health-m1"), "department": "市卫健委", "action": ["accept"]},
            "审核操作",
        ),
        ("/api/review/queue/bulk", {"department": ["市卫健委"]}, "部门"),
        (f"/api/items/{item_id('health-m1')}/review", {"action": "assignment.accept", "department": True}, "部门"),
    ],
)
def test_a_list_or_a_flag_is_refused_not_read_as_python_spells_it(reviewer, url, body, named):
    # the queue answered 无法识别的审核操作“['accept']” and 未找到部门“['市卫健委']”
    r = reviewer.post(url, json=body, headers={"X-CSRF-Token": csrf(reviewer)})
    data = r.get_json()
    assert r.status_code == 400 and not data["ok"] and data["status"] == 400
    assert named in data["error"] and "[" not in data["error"] and "True" not in data["error"]
    assert reviewer.get("/api/reviews").get_json()["total"] == 0


def test_a_number_is_still_read_as_text(reviewer):
    r = reviewer.post(
        f"/api/items/{item_id('health-m1')}/review",
        json={"action": "repair.accept", "repair": 999999},
        headers={"X-CSRF-Token": csrf(reviewer)},
    )
    assert r.status_code == 422 and "999999" in r.get_json()["error"]  # an unknown repair, by its number
