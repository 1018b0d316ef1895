"""The annual report draft on the real plan: values for 2020–2024 fed for every indicator, the Markdown and Word
drafts through the CLI, and the Word draft rendered (LibreOffice → PDF → PNG) with its sections, 达标率 and charts."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile

import pytest

from kb import monitoring as mon
from kb.cli import main
from kb.monitoring import annual
from kb.monitoring import observations as obsdb
from kb.monitoring import pace as pc
from kb.store import KB

DOMAINS = ["儿童与健康", "儿童与安全", "儿童与教育", "儿童与福利", "儿童与家庭", "儿童与环境", "儿童与法律保护"]


def _value(ind: dict, year: int, k: int) -> float:
    """A plausible series per indicator: some reach the target early, some lag, some fall back."""
    kind, v = mon.rule_kind(ind), ind.get("value") or 50.0
    up = kind in ("ge", "coverage", "range", "increase_by", "increase")
    start = (v * 0.9 if up else v * 1.15) if kind != "coverage" else 90.0
    speed = (0.4, 1.0, 1.3)[k % 3]
    x = start + (v - start) * speed * (year - 2020) / 5 if kind not in ("increase", "decrease") else start
    if kind in ("increase", "decrease"):
        x = start + (1 if (up == (k % 2 == 0)) else -1) * 0.5 * (year - 2020)
    x = round(x, 1)
    return min(x, 100.0) if mon.observation_unit(ind) == "%" else max(x, 0.0)


@pytest.fixture
def fed(mon_kb):
    """Values 2020–2024 for every indicator but every seventh (those stay without data)."""
    index = obsdb.indicator_index()
    entries = []
    for k, (ind_id, ind) in enumerate(index.items()):
        if k % 7 == 6:
            continue
        for year in range(2020, 2025):
            entries.append(obsdb.Entry(ind_id, year, _value(ind, year, k), mon.observation_unit(ind)))
    obsdb.write(entries, "测试", index)
    assert len({e.indicator for e in entries}) >= 20
    return index


def _report(year: int, charts: bool = False) -> annual.Report:
    index = obsdb.indicator_index()
    anchored, _ = obsdb.load(index)
    with KB() as kb:
        plan = kb.plans()[0]
        domains = annual.plan_domains(kb, plan["id"])
    return annual.build(plan, mon.overview(index, anchored), domains, year, charts=charts)


def test_domains_in_plan_order(mon_kb):
    with KB() as kb:
        plan = kb.plans()[0]
        assert [n for _c, n in annual.plan_domains(kb, plan["id"])] == DOMAINS


@pytest.mark.slow
def test_markdown_draft_sections_and_rate(fed, tmp_path):
    out = tmp_path / "r.md"
    assert main(["monitor", "report", "--year", "2024", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    for head in ("## 一、总体情况", "## 二、分领域情况", "## 三、存在的问题", "## 四、下一步建议"):
        assert head in text
    for i, name in enumerate(DOMAINS):
        assert f"### ({'一二三四五六七'[i]}){name}" in text
    report = _report(2024)
    c = report.counts
    assert c["total"] == len(fed) and c["monitorable"] + c["nodata"] == c["total"]
    assert (
        f"2024年可监测指标{c['monitorable']}项,已达标{c['met']}项,达标率{annual.rate_text(c['met'], c['monitorable'])}"
        in text
    )
    with_indicators = {i["domain"] for i in fed.values()}
    for i, name in enumerate(DOMAINS):  # a domain without a quantitative indicator says so instead of findings
        section = text.split(f"({'一二三四五六七'[i]}){name}")[1].split("\n### ")[0].split("\n## ")[0]
        assert ("本领域目标均为定性目标" in section) == (name not in with_indicators), name
    assert "个百分点" in text and "个千分点" in text
    charts = sorted((tmp_path / "r_charts").glob("fig*.png"))
    assert charts and all(f"](r_charts/{c.name})" in text for c in charts)  # the charts beside the Markdown
    # every indicator with a 2024 value has one numbered finding in its domain section
    findings = [b for b in report.blocks if b.kind == "finding" and b.text.startswith("2024年,全市")]
    assert len(findings) == sum(1 for k in range(len(fed)) if k % 7 != 6)


def test_later_years_are_not_used(fed):
    """A 2022 report knows nothing of 2023–2024: its findings and counts use values up to 2022 only."""
    report = _report(2022)
    text = annual.markdown(report)
    assert "2022年可监测指标" in text
    assert "2023年" not in text and "2024年" not in text


def test_problems_list_lagging_with_departments(fed):
    report = _report(2024)
    text = annual.markdown(report)
    problems = text.split("## 三、存在的问题")[1].split("## 四、下一步建议")[0]
    rows = annual.judged([r for r in mon.overview(fed, obsdb.load(fed)[0])], 2024)
    behind = [r for r in rows if r["pace"].code in ("lagging", "far")]
    assert behind, "the fed series include indicators behind their pace"
    for r in behind:
        assert r["indicator"]["name"] in problems
    assert "牵头单位市卫健委" in problems
    assert "(此部分由妇儿工委办" in text.split("## 四、下一步建议")[1]


def test_cli_refuses_unknown_plan_and_bad_format(fed, tmp_path, capsys):
    assert main(["monitor", "report", "--year", "2024", "--plan", "nope", "--format", "md"]) == 2
    assert "没有这个规划" in capsys.readouterr().err
    assert main(["monitor", "report", "--year", "2024", "--format", "xlsx", "-o", str(tmp_path / "x.xlsx")]) == 2
    assert main(["monitor", "report", "--year", "2024", "--format", "docx"]) == 2


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("word/document.xml").decode("utf-8")


@pytest.mark.slow
def test_docx_fonts_and_charts(fed, tmp_path):
    out = tmp_path / "r.docx"
    assert main(["monitor", "report", "--year", "2024", "-o", str(out)]) == 0
    data = out.read_bytes()
    xml = _docx_text(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        pictures = [n for n in z.namelist() if n.startswith("word/media/")]
    rows = annual.judged(mon.overview(fed, obsdb.load(fed)[0]), 2024)
    lagging = sum(1 for r in rows if r["pace"].code in ("lagging", "far"))
    assert len(pictures) == lagging + 1  # each lagging indicator's trend + the domains' status
    for font in ("方正小标宋简体", "黑体", "楷体", "仿宋"):
        assert f'w:eastAsia="{font}"' in xml
    assert "一、总体情况" in xml and "达标率" in xml


@pytest.mark.slow
def test_docx_renders_with_sections_rate_and_charts(fed, tmp_path):
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        pytest.fail(
            "LibreOffice (libreoffice-writer-nogui) and poppler-utils are needed: scripts/test.sh installs them"
        )
    out = tmp_path / "r.docx"
    assert main(["monitor", "report", "--year", "2024", "-o", str(out)]) == 0
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [soffice, "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
        check=True,
        capture_output=True,
        timeout=240,
        env=env,
    )
    pdf = tmp_path / "r.pdf"
    assert pdf.is_file()
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    flat = "".join(text.split())
    for head in ("一、总体情况", "二、分领域情况", "三、存在的问题", "四、下一步建议", *DOMAINS):
        assert head in flat, head
    assert "达标率" in flat and "可监测指标" in flat
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, text=True).stdout
    assert any(f in fonts for f in ("WenQuanYi", "Noto", "SourceHan")), fonts  # Chinese drawn in a CJK font
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, check=True, text=True).stdout
    assert len(images.strip().splitlines()) - 2 >= 2  # the domain chart and at least one trend chart
    subprocess.run([pdftoppm, "-r", "40", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2
    from PIL import Image

    with Image.open(pages[0]) as im:
        histogram = im.convert("L").histogram()
    dark = sum(histogram[:128])
    assert dark > 500  # the page carries text, not a blank render


def test_pace_codes_on_real_plan(fed):
    rows = annual.judged(mon.overview(fed, obsdb.load(fed)[0]), 2024)
    codes = {r["pace"].code for r in rows}
    assert {"met", "nodata"} <= codes and codes & {"lagging", "far"}
    assert all(r["pace"].code in pc.PACE_ORDER for r in rows)
