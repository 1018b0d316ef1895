"""Every route that sends a file names it twice: an ASCII `filename=` fallback that says what the file is (for
clients that ignore RFC 5987: curl -J, old mail gateways) and the Chinese name as `filename*=UTF-8\'\'…`."""

from __future__ import annotations

import io
import re
from urllib.parse import quote, unquote

import pytest
from monitoring_helpers import MONITORING_CONFIG, MORT
from progress_support import HEALTH, client_as, duty_items, make_accounts
from web_support import csrf

from kb.exports.safety import ascii_filename, content_disposition

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DAY = r"\d{8}"
PLAN = "yiyangshi_ertong_fazhan_guihua_2021-2025_nian"


@pytest.fixture
def app_config():
    return MONITORING_CONFIG


@pytest.fixture
def seeded(app, web_data):
    """Accounts of every role, four years of one indicator (the annual report needs data), one attachment."""
    from kb.monitoring import observations as obsdb

    make_accounts()
    obsdb.write(
        [obsdb.Entry(MORT, y, v, "‰") for y, v in ((2020, 6.0), (2021, 5.8), (2022, 5.7), (2023, 5.6))],
        "测试",
        obsdb.indicator_index(),
    )
    c = client_as(app, "reporter")
    item = duty_items(HEALTH)[0]
    data = {"csrf_token": csrf(c), "period": "2024", "status": "in_progress", "progress": "已开展", "action": "submit"}
    data["file"] = (io.BytesIO(PDF), "会议纪要.pdf")
    resp = c.post(f"/progress/department/{HEALTH}/item/{item}", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302
    page = c.get(f"/api/progress/department/{HEALTH}/item/{item}?period=2024").get_json()
    return page["attachments"][0]["url"]


# (url, signed in as, the ASCII fallback (a pattern), the Chinese name's end); None: the route sends no file
DOWNLOADS = [
    ("/download/plan.xlsx", None, f"{PLAN}_renwu_fenjie_zeren_qingdan.xlsx", "任务分解责任清单.xlsx"),
    ("/download/plan.docx", None, f"{PLAN}_renwu_fenjie_zeren_qingdan.docx", "任务分解责任清单.docx"),
    (
        "/download/plan.csv?domain=health",
        None,
        f"{PLAN}_renwu_fenjie_zeren_qingdan-ertong_yu_jiankang.csv",
        "-儿童与健康.csv",
    ),
    ("/download/plan.md", None, f"{PLAN}_renwu_fenjie_zeren_qingdan.md", ".md"),
    ("/download/plan.json", None, f"{PLAN}_renwu_fenjie_zeren_qingdan.json", ".json"),
    (
        "/download/department/卫健委.xlsx",
        None,
        f"{PLAN}_renwu_fenjie_zeren_qingdan_shiweijianwei.xlsx",
        "(市卫健委).xlsx",
    ),
    (
        "/download/department/" + quote("各区县(市)人民政府") + ".docx",
        None,
        # (各区县 is one word of the analysis dictionary or two, as the registry's names have it)
        f"{PLAN}_renwu_fenjie_zeren_qingdan_ge_?quxian_shi_renminzhengfu\\.docx",
        "(各区县(市)人民政府).docx",
    ),
    (
        "/download/indicators.xlsx?domain=health",
        None,
        f"{PLAN}_zhibiao_zeren_qingdan-ertong_yu_jiankang.xlsx",
        "指标责任清单-儿童与健康.xlsx",
    ),
    ("/monitoring/template.xlsx", None, f"jianceshuju_muban-{DAY}.xlsx", ".xlsx"),
    ("/monitoring/report.xlsx", None, f"jiance_pinggu_baogao-{DAY}.xlsx", ".xlsx"),
    ("/monitoring/report.docx?department=卫健委", None, f"jiance_pinggu_baogao_shiweijianwei-{DAY}.docx", ".docx"),
    ("/monitoring/registry.xlsx", None, f"tongji_jiance_zhibiaotixi-{DAY}.xlsx", ".xlsx"),
    ("/monitoring/registry.docx", None, f"tongji_jiance_zhibiaotixi-{DAY}.docx", ".docx"),
    ("/monitoring/final.xlsx", None, f"zhongqi_pinggu_biao-{DAY}.xlsx", ".xlsx"),
    ("/monitoring/final.docx", None, f"zhongqi_pinggu_biao-{DAY}.docx", ".docx"),
    ("/monitoring/annual.md?year=2023", None, f"2023_nian_tongji_jiance_baogao_chugao-{DAY}.md", ".md"),
    ("/monitoring/annual.docx?year=2023", None, f"2023_nian_tongji_jiance_baogao_chugao-{DAY}.docx", ".docx"),
    (f"/progress/department/{HEALTH}/packet.xlsx", "admin", r"shiweijianwei-\w+-jindu_tianbao_bao.xlsx", ".xlsx"),
    ("/progress/bulletin.docx", "admin", r"jindu_tongbao-\w+.docx", ".docx"),
    ("/progress/bulletin.xlsx", "admin", r"jindu_tongbao-\w+.xlsx", ".xlsx"),
    ("ATTACHMENT", "reporter", "huiyijiyao.pdf", "会议纪要.pdf"),
    # negative rows: pages and JSON twins send no file
    ("/departments/市卫健委", None, None, None),
    ("/monitoring/department/市卫健委", None, None, None),
    ("/api/monitoring", None, None, None),
]


def _meaningful(fallback: str) -> bool:
    """ASCII a header can carry, no percent escapes, and a name: not empty, not a bare download/export."""
    stem = fallback.rsplit(".", 1)[0]
    return (
        bool(re.fullmatch(r"[A-Za-z0-9._-]+", fallback))
        and re.search(r"[A-Za-z]", stem) is not None
        and stem.lower() not in ("download", "export", "file", "attachment")
    )


@pytest.mark.parametrize("url, who, fallback, name_end", DOWNLOADS)
def test_every_download_has_an_ascii_and_a_chinese_name(app, seeded, url, who, fallback, name_end):
    resp = client_as(app, who).get(seeded if url == "ATTACHMENT" else url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    header = resp.headers.get("Content-Disposition")
    if fallback is None:
        assert header is None
        return
    m = re.fullmatch(r"attachment; filename=\"([^\"]*)\"; filename\*=UTF-8\'\'(\S+)", header or "")
    assert m, header
    assert _meaningful(m.group(1)) and re.fullmatch(fallback, m.group(1)), m.group(1)
    name = unquote(m.group(2))
    assert name.endswith(name_end) and re.search(r"[\u4e00-\u9fff]", name), name


def test_the_table_covers_every_download_route(app):
    """A route added later that sends a file must join the table above."""
    covered = {"downloads.plan", "downloads.department", "downloads.indicators"}
    covered |= {
        "monitoring.template_download",
        "monitoring.report_download",
        "monitoring.annual_download",
        "monitoring.registry_download",
        "monitoring.final_download",
        "progress.packet_download",
        "progress.bulletin_download",
        "progress.attachment_download",
    }
    sends = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.endpoint.endswith("_download") or r.endpoint.startswith("downloads.")
    }
    assert sends == covered


@pytest.mark.parametrize(
    "filename, default, expected",
    [
        ("任务分解责任清单(市卫健委).xlsx", "", "renwu_fenjie_zeren_qingdan_shiweijianwei.xlsx"),
        ("2024年统计监测报告(初稿)-20261204.md", "", "2024_nian_tongji_jiance_baogao_chugao-20261204.md"),
        ("監測評估報告.xlsx", "", "jiance_pinggu_baogao.xlsx"),  # traditional characters read the same
        ("进度通报-2024Q1.docx", "", "jindu_tongbao-2024Q1.docx"),
        ("体检报告.pdf", "attachment-7.pdf", "tijian_baogao.pdf"),
        # negative rows: an ASCII name stays as it is; nothing left of the name gives the default, never ""
        ("report-2024.pdf", "", "report-2024.pdf"),
        ("テスト.pdf", "attachment-7.pdf", "attachment-7.pdf"),
        ("", "attachment-7.pdf", "attachment-7.pdf"),
        ("...", "", "export"),
    ],
)
def test_ascii_filename(filename, default, expected):
    assert ascii_filename(filename, default) == expected


@pytest.mark.parametrize(
    "filename, fallback, expected",
    [
        ("监测评估报告-20261204.xlsx", "", "jiance_pinggu_baogao-20261204.xlsx"),
        ("体检报告.pdf", "", "tijian_baogao.pdf"),  # NFKD alone left "pdf"
        ("任务清单(市卫健委).xlsx", "dept.xlsx", "dept.xlsx"),  # a caller's ASCII name wins
        ("任务清单.xlsx", "清单.xlsx", "renwu_qingdan.xlsx"),  # a non-ASCII "fallback" is no fallback
    ],
)
def test_content_disposition_fallback(filename, fallback, expected):
    header = content_disposition(filename, fallback)
    assert header.startswith(f"attachment; filename=\"{expected}\"; filename*=UTF-8''")
    assert unquote(header.split("filename*=UTF-8''")[1]) == filename
