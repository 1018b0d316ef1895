"""The annual monitoring report draft (年度统计监测报告): 总体情况 (达标率), 分领域情况 (numbered findings),
存在的问题 (lagging, warned, missing) and 下一步建议 (placeholder), as blocks that render to Markdown or Word."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kb import monitoring as mon
from kb.monitoring import findings as fd
from kb.monitoring import pace as pc
from kb.store import KB


class ReportError(ValueError):
    """A report that cannot be made as asked (unknown plan, no data); the message is shown as is."""


@dataclass
class Block:
    """One piece of the document: title, h1, h2, para, finding (numbered), chart (PNG), placeholder."""

    kind: str
    text: str = ""
    number: int | None = None
    image: bytes | None = field(default=None, repr=False)


@dataclass
class Report:
    """The draft: its title, year, blocks and the counts the summary states."""

    title: str
    year: int
    blocks: list[Block]
    counts: dict[str, int]


def plan_domains(kb: KB, plan_id: str) -> list[tuple[str, str]]:
    """(code, heading) of each domain in plan order (儿童与健康, 儿童与安全 …), codes from the plan's items."""
    codes = {it["domain"]: it["domain_code"] for it in kb.items(plan=plan_id) if it["domain_code"]}
    out: list[tuple[str, str]] = []
    for h in kb.headings(plan_id):
        if h["kind"] == "domain" and h["text"] in codes and (codes[h["text"]], h["text"]) not in out:
            out.append((codes[h["text"]], h["text"]))
    return out


def upto(obs: mon.Obs, year: int) -> mon.Obs:
    """The observations a report for `year` may use (later years are not known yet)."""
    return {y: v for y, v in obs.items() if y <= year}


def judged(rows: list[dict[str, Any]], year: int) -> list[dict[str, Any]]:
    """Each overview row with its pace verdict, warnings and sentence for `year` (observations up to that year)."""
    out = []
    for r in rows:
        ind, period = r["indicator"], r["indicator"]["period"]
        obs = upto(r["obs"], year)
        a = mon.assess(ind, obs, period)
        out.append(
            {
                **r,
                "obs": obs,
                "pace": pc.pace(ind, obs, year, period),
                "warnings": a["warnings"],
                "path": pc.path(ind, obs, period),
                "projection": pc.projection(ind, obs, period),
                "bounds": a["bounds"],
            }
        )
    return out


def counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many indicators are met / on pace / lagging / far / without data, monitorable, warned."""
    out = {code: 0 for code in pc.PACE_ORDER}
    for r in rows:
        out[r["pace"].code] += 1
    out["total"] = len(rows)
    out["monitorable"] = out["total"] - out["nodata"]
    out["unmet"] = out["on_pace"] + out["lagging"] + out["far"]
    out["warning"] = sum(bool(r["warnings"]) for r in rows)
    return out


def rate_text(met: int, monitorable: int) -> str:
    """达标率 as published: one decimal (93.9%)."""
    return f"{met / monitorable * 100:.1f}%" if monitorable else "—"


def summary_sentences(c: dict[str, int], year: int) -> list[str]:
    """一、总体情况: 可监测指标 N 项, 已达标 M 项, 达标率 …; the unmet by pace; the missing; the warned."""
    s, ref = fd.sentences(), fd.sentences()["plan_ref"]
    if not c["monitorable"]:
        return [s["summary_none"].format(plan_ref=ref, total=c["total"], year=year)]
    out = [s["summary"].format(plan_ref=ref, year=year, rate=rate_text(c["met"], c["monitorable"]), **c)]
    if c["unmet"]:
        out.append(s["summary_unmet"].format(**c))
    if c["nodata"]:
        out.append(s["summary_nodata"].format(year=year, **c))
    if c["warning"]:
        out.append(s["summary_warning"].format(**c))
    return out


def build(
    plan: dict[str, Any], rows: list[dict[str, Any]], domains: list[tuple[str, str]], year: int, charts: bool = True
) -> Report:
    """The whole draft for one plan and year from its overview rows (kb.monitoring.overview)."""
    from kb.monitoring import charts as ch

    s = fd.sentences()
    ords, scope = s["ordinals"], fd.scope_word(plan)
    rows = judged([r for r in rows if r["indicator"]["plan"] == plan["id"]], year)
    c = counts(rows)
    title = s["title"].format(year=year, plan=f"《{plan['title']}》")
    blocks = [Block("title", title + s["draft_mark"])]
    names = "、".join(n for _c, n in domains)
    blocks.append(
        Block("para", s["intro"].format(plan_ref=s["plan_ref"], domains=names, domain_count=len(domains), year=year))
    )
    figure = 0
    blocks.append(Block("h1", s["sections"]["overall"]))
    blocks.append(Block("para", "".join(summary_sentences(c, year))))
    by_domain = {code: [r for r in rows if r["indicator"]["domain_code"] == code] for code, _n in domains}
    if charts and rows:
        figure += 1
        status = [(name, counts(by_domain[code])) for code, name in domains]
        blocks.append(Block("chart", s["chart_caption_domains"].format(n=figure, year=year), image=None))
        blocks[-1].image = ch.domains_chart(status, year)
    blocks.append(Block("h1", s["sections"]["domains"]))
    for i, (code, name) in enumerate(domains):
        blocks.append(Block("h2", s["domain_heading"].format(ordinal=ords[i], name=name)))
        mine = by_domain[code]
        dc = counts(mine)
        if not mine:
            blocks.append(Block("para", s["domain_qualitative"]))
            continue
        lead = "domain_lead" if dc["monitorable"] else "domain_lead_none"
        blocks.append(Block("para", s[lead].format(year=year, **dc)))
        n = 0
        for r in mine:
            text = fd.finding(r["indicator"], r["obs"], year, r["indicator"]["period"], r["unit"], scope)
            if text:
                n += 1
                blocks.append(Block("finding", text, number=n))
        missing = [r["indicator"]["name"] for r in mine if year not in r["obs"]]
        if missing and dc["monitorable"]:
            blocks.append(
                Block("para", s["nodata_list"].format(count=len(missing), year=year, names=name_list(missing)))
            )
    figure = _problems(blocks, rows, year, figure, charts)
    blocks.append(Block("h1", s["sections"]["next"]))
    blocks.append(Block("placeholder", s["next_placeholder"]))
    return Report(title, year, blocks, c)


def _problems(blocks: list[Block], rows: list[dict[str, Any]], year: int, figure: int, charts: bool) -> int:
    """三、存在的问题: the indicators behind their pace (with their trend charts), the warned, the missing."""
    from kb.monitoring import charts as ch

    s = fd.sentences()
    ords = s["ordinals"]
    blocks.append(Block("h1", s["sections"]["problems"]))
    blocks.append(Block("h2", s["problems_lagging"]))
    behind = [r for r in rows if r["pace"].code in ("lagging", "far")]
    if not behind:
        blocks.append(Block("para", s["problems_lagging_none"].format(year=year)))
    for n, r in enumerate(behind, start=1):
        ind = r["indicator"]
        verdict = fd.verdict_clause(ind, r["obs"], year, ind["period"], r["unit"])
        text = s["problems_lagging_item"].format(
            name=ind["name"],
            departments=fd.departments_text(ind),
            year=year,
            value=fd.show(r["obs"][year], r["unit"]),
            verdict=verdict,
        )
        blocks.append(Block("finding", text, number=n))
        if charts:
            figure += 1
            codes = {y: pc.pace(ind, r["obs"], y, ind["period"]).code for y in r["obs"]}
            image = ch.trend_chart(ind["name"], r["obs"], r["path"], r["bounds"], r["projection"], r["unit"], codes)
            blocks.append(Block("chart", s["chart_caption_trend"].format(n=figure, name=ind["name"]), image=image))
    k = 1
    warned = [r for r in rows if r["warnings"]]
    if warned:
        k += 1
        blocks.append(Block("h2", s["problems_warning"].format(ordinal=ords[k - 1])))
        for n, r in enumerate(warned, start=1):
            ind = r["indicator"]
            text = s["problems_warning_item"].format(
                name=ind["name"],
                departments=fd.departments_text(ind),
                warnings=";".join(f"{w.as_dict()['label']}:{w.text}" for w in r["warnings"]),
            )
            blocks.append(Block("finding", text, number=n))
    missing = [r for r in rows if year not in r["obs"]]
    if missing:
        k += 1
        blocks.append(Block("h2", s["problems_nodata"].format(ordinal=ords[k - 1])))
        sources = sorted({d["name"] for r in missing for d in r["indicator"]["departments"] if d["role"] == "lead"})
        names = name_list([r["indicator"]["name"] for r in missing])
        blocks.append(
            Block(
                "para", s["problems_nodata_item"].format(names=names, year=year, sources="、".join(sources) or "待明确")
            )
        )
    return figure


def markdown(report: Report, chart_links: list[str] | None = None) -> str:
    """The draft as Markdown; charts become image links when their file names are given, else their captions."""
    out: list[str] = []
    charts = iter(chart_links or [])
    for b in report.blocks:
        if b.kind == "title":
            out.append(f"# {b.text}")
        elif b.kind == "h1":
            out.append(f"## {b.text}")
        elif b.kind == "h2":
            out.append(f"### {b.text}")
        elif b.kind == "finding":
            out.append(f"{b.number}. {b.text}")
        elif b.kind == "chart":
            link = next(charts, None)
            out.append(f"![{b.text}]({link})" if link else f"*{b.text}*")
        else:
            out.append(b.text)
    return "\n\n".join(out) + "\n"


def choose_plan(plans: list[dict[str, Any]], wanted: str | None) -> dict[str, Any]:
    """The plan a report is for: the one asked for, else the only (or first) plan; a clear error otherwise."""
    if wanted:
        hit = next((p for p in plans if p["id"] == wanted), None)
        if hit is None:
            raise ReportError(f"没有这个规划: {wanted}(可选: {', '.join(p['id'] for p in plans)})")
        return hit
    if not plans:
        raise ReportError("知识库中没有规划")
    return plans[0]


def latest_year(rows: list[dict[str, Any]], plan_id: str) -> int | None:
    """The latest year any indicator of the plan has a value for (the default report year)."""
    years = [y for r in rows if r["indicator"]["plan"] == plan_id for y in r["obs"]]
    return max(years, default=None)


def plan_years(rows: list[dict[str, Any]], plan_id: str) -> list[int]:
    """The years the plan is monitored in (baseline to target year), ascending: the years a report can be about."""
    return sorted({y for r in rows if r["indicator"]["plan"] == plan_id for y in r["assessment"]["years"]})


def name_list(names: list[str]) -> str:
    """Indicator names joined with 、, each once: two goals' 农村自来水普及率 read as a slip when listed twice."""
    counts: dict[str, int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    return "、".join(f"{n}({k}项)" if k > 1 else n for n, k in counts.items())
