"""One meaning of a department's duties: every place that lists them lists the same items, for every department."""

from __future__ import annotations

import pytest

from kb import graph as kg
from kb.duties import duties, duty_ids, item_duties
from kb.exports.rows import Selection
from kb.exports.table import Filters
from kb.graph.gaps import gap_report
from kb.search import search
from kb.store import KB


@pytest.fixture
def state(web_data):
    with KB() as kb:
        items = kb.items()
    names = sorted({name for it in items for name in item_duties(it)})
    return items, names, kg.build_graph()


def test_every_department_has_one_duty_list_everywhere(state, client):
    items, names, g = state
    assert len(names) > 30  # the default plan names dozens of bodies: the check is not vacuous
    load = {r["department"]: r for r in kg.department_load(g)}
    for name in names:
        cli = duty_ids(duties(items, name))
        assert cli, name
        page = client.get(f"/api/departments/{name}").get_json()
        on_page = {e["id"] for group in page["groups"] for e in group["items"]}
        in_graph = {d["item"] for d in kg.department_duties(g, name)}
        found = search("", dept=name, limit=100)
        in_search = {r["id"] for r in found["results"]}
        while len(in_search) < found["total"]:  # page through: 100 is the API's page size limit
            more = search("", dept=name, limit=100, offset=len(in_search))["results"]
            assert more, name
            in_search |= {r["id"] for r in more}
        with KB() as kb:
            exported = {it["id"] for _role, it in Selection(kb, Filters(dept=name)).dept_items(name)}
        assert on_page == cli == in_graph == in_search == exported, name
        assert found["total"] == found["facets"]["department"][name] == len(cli), name
        assert page["counts"]["total"] == load[name]["duties"] == len(cli), name


def test_gap_report_counts_leads_as_duties_do(state):
    items, names, g = state
    report = gap_report(g)
    leads = {n: duties(items, n)["lead"] for n in names}
    for row in report["overloaded_departments"]:
        assert row["lead"] == leads[row["department"]]
