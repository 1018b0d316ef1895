"""监测评估 value entry as users and scripts type it: clearing is explicit, commas and exponents are not guessed,
absurd numbers are refused; the overview offers the annual report only when it can be made."""

from __future__ import annotations

import re

import pytest
from monitoring_helpers import MGMT, MONITORING_CONFIG, signed_in

from kb.monitoring.values import ObservationError, parse_value


@pytest.fixture
def app_config():
    return MONITORING_CONFIG


def _values(client) -> dict[int, float]:
    obs = client.get(f"/api/indicators/{MGMT}/observations").get_json()["observations"]
    return {o["year"]: o["value"] for o in obs}


@pytest.fixture
def entered(client):
    """Signed in, with 2022 = 91 stored; returns a poster of JSON bodies."""
    token = signed_in(client)

    def post(body):
        return client.post(f"/api/indicators/{MGMT}/observations", json=body, headers={"X-CSRF-Token": token})

    assert post({"year": 2022, "value": 91}).status_code == 200
    return post


@pytest.mark.parametrize("body", [{"year": 2022}, {"year": 2022, "value": None}, {"year": 2022, "value": "  "}])
def test_a_body_without_a_value_is_refused_and_deletes_nothing(client, entered, body):
    resp = entered(body)
    assert resp.status_code == 422 and "clear" in resp.get_json()["error"], resp.get_json()
    assert _values(client) == {2022: 91}


def test_clearing_needs_clear_and_not_a_value_besides(client, entered):
    both = entered({"year": 2022, "value": 95, "clear": True})
    assert both.status_code == 422 and "二选一" in both.get_json()["error"]
    assert _values(client) == {2022: 91}
    resp = entered({"year": 2022, "clear": True})
    assert resp.status_code == 200 and resp.get_json()["changes"]["clear"] == 1
    assert _values(client) == {}


@pytest.mark.parametrize(
    "value, needle",
    [
        ("12,5", "小数点"),  # not 125 (and then "超出合理范围"), not a guess of 12.5
        ("1e308", "科学计数法"),  # not "单位不符 … 输入的是“e308”"
        (1e308, "过大"),
        ("9" * 400, "过大"),
    ],
)
def test_ambiguous_or_absurd_numbers_get_a_message_that_names_the_problem(client, entered, value, needle):
    resp = entered({"year": 2022, "value": value})
    error = resp.get_json()["error"]
    assert resp.status_code == 422 and needle in error and "单位" not in error, error
    assert _values(client) == {2022: 91}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("95%", (95.0, "%")),
        ("１２.５％", (12.5, "%")),  # full-width digits as an IME types them
        ("1,234", (1234.0, None)),  # a thousands separator
        ("12,345.6 人", (12345.6, "人")),
        (" 0.5 ", (0.5, None)),
        (7, (7.0, None)),
    ],
)
def test_plain_numbers_and_thousands_separators_are_read(text, expected):
    assert parse_value(text) == expected


@pytest.mark.parametrize("text", ["12,5", "1,23", "1,2345", "1.5e3", "2E-4%", "inf", "nan", float("inf"), 2e12])
def test_other_commas_exponents_and_non_finite_numbers_are_refused(text):
    with pytest.raises(ObservationError):
        parse_value(text)


def test_indicator_page_names_its_item_not_the_raw_id(client):
    html = client.get("/monitoring/indicator/health-g8.i3").get_data(as_text=True)
    facts = re.search(r"<dt>所属条目</dt><dd>(.*?)</dd>", html).group(1)
    assert "儿童新发近视率明显下降" in facts and 'href="/items/yiyang-children-2021-2025:health-g8"' in facts
    assert "yiyang-children-2021-2025:health-g8.i3" not in re.sub(r'href="[^"]*"', "", facts)


def test_annual_report_links_appear_once_there_is_data(client):
    html = client.get("/monitoring").get_data(as_text=True)
    assert "/monitoring/annual." not in html and 'data-testid="annual-unavailable"' in html
    assert client.get("/monitoring/annual.md").status_code == 404  # what the links would have led to
    token = signed_in(client)
    h = {"X-CSRF-Token": token}
    resp = client.post(f"/api/indicators/{MGMT}/observations", json={"year": 2022, "value": 91}, headers=h)
    assert resp.status_code == 200
    html = client.get("/monitoring").get_data(as_text=True)
    links = re.findall(r'href="(/monitoring/annual\.[a-z]+)"', html)
    assert links and all(client.get(u).status_code == 200 for u in links)
    assert 'action="/monitoring/annual.docx"' in html and client.get("/monitoring/annual.docx").status_code == 200
