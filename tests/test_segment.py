"""Segmentation of the genre's layout variants (fixture plans), front/back matter, TOC, and refusals."""

from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from nlp.pipeline import analyse, analyse_file
from nlp.reader import PlanFormatError
from nlp.segment import cn_number, cn_numeral, segment

FIXTURES = Path(__file__).parent / "fixtures"


@cache
def plan(name: str):
    return analyse_file(FIXTURES / "plans" / name)


@pytest.mark.parametrize("s,n", [("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23), ("7", 7)])
def test_cn_numbers(s, n):
    assert cn_number(s) == n and (s.isdigit() or cn_numeral(n) == s)


@pytest.mark.parametrize(
    "name,encoding,kinds,codes",
    [
        (
            "small.txt",
            "utf-8",
            {
                "preface": 1,
                "guiding_idea": 1,
                "principle": 2,
                "overall_goal": 1,
                "goal": 3,
                "measure": 4,
                "implementation": 2,
                "monitoring": 2,
            },
            ["health", "education"],
        ),
        (
            "nested_2011.txt",
            "utf-8",
            {
                "preface": 1,
                "guiding_idea": 1,
                "principle": 2,
                "overall_goal": 1,
                "goal": 7,
                "measure": 8,
                "implementation": 2,
                "monitoring": 2,
            },
            ["health", "education", "welfare", "environment", "law"],
        ),
        (
            "women_chapters.txt",
            "gb18030",
            {
                "guiding_idea": 1,
                "principle": 2,
                "overall_goal": 1,
                "goal": 10,
                "measure": 10,
                "implementation": 2,
                "monitoring": 1,
            },
            ["health", "education", "economy", "decision", "social_security", "family", "environment", "law"],
        ),
        (
            "task_domains.txt",
            "utf-8-sig",
            {
                "preface": 1,
                "guiding_idea": 1,
                "principle": 2,
                "overall_goal": 1,
                "measure": 5,
                "implementation": 2,
                "monitoring": 1,
            },
            ["health", "education", "welfare"],
        ),
    ],
)
def test_layout_variants(name, encoding, kinds, codes):
    p = plan(name)
    assert p.encoding == encoding
    assert Counter(i.kind for i in p.items) == kinds
    assert list(dict.fromkeys(i.domain_code for i in p.items if i.domain_code)) == codes
    assert p.warnings == []
    for kind in ("goal", "measure"):  # numbering restarts in every domain and has no gaps
        for code in codes:
            numbers = [i.number for i in p.items if i.kind == kind and i.domain_code == code]
            assert numbers == list(range(1, len(numbers) + 1))


@pytest.mark.parametrize(
    "name,item,domain,title,starts",
    [
        ("small.txt", "health-m2", "儿童与健康", "加强儿童保健服务和管理", "加强儿童保健服务和管理加强"),
        ("nested_2011.txt", "health-g1", "儿童与健康", "严重多发致残的出生缺陷发生率逐步下降", "严重多发"),
        ("nested_2011.txt", "education-g1", "儿童与教育", "普及学前教育", "普及学前教育,"),  # same line as its block
        ("nested_2011.txt", "education-m1", "儿童与教育", "促进学前教育发展", "促进学前教育发展。"),
        ("nested_2011.txt", "environment-m1", "儿童与社会环境", "增加公共文化服务设施", "增加"),
        ("women_chapters.txt", "decision-m1", "妇女参与决策和管理", "加大对妇女参与决策和管理的宣传力度", "加大"),
        ("women_chapters.txt", "health-m2", "妇女与健康", "加强妇幼健康服务体系建设", "加强妇幼健康服务体系建设健全"),
        (
            "task_domains.txt",
            "health-m2",
            "扩大儿童健康资源供给,提升儿童健康服务水平",
            "加强儿童保健服务",
            "加强儿童保健服务。",
        ),
        ("task_domains.txt", "welfare-m1", "健全儿童福利保障体系", "加强困境儿童保障", "加强困境儿童保障。"),
    ],
)
def test_items_in_variants(name, item, domain, title, starts):
    it = next(i for i in plan(name).items if i.id.endswith(":" + item))
    assert (it.domain, it.title) == (domain, title)
    assert it.text.startswith(starts)


@pytest.mark.parametrize("name", ["small.txt", "nested_2011.txt", "women_chapters.txt", "task_domains.txt"])
def test_toc_and_page_furniture_are_not_content(name):
    p = plan(name)
    texts = " ".join(i.text for i in p.items)
    for furniture in ("发布时间", "浏览量", "扫一扫", "信息来源", "打印", "……"):
        assert furniture not in texts
    sections = [h.text for h in p.headings if h.level == 1]
    assert len(sections) == len(set(sections))  # TOC entries did not become headings
    domains = [h.text for h in p.headings if h.kind == "domain"]
    assert len(domains) == len(set(domains))


def test_page_metadata_kept():
    meta = plan("small.txt").meta["page"]
    assert meta[0] == "某某市儿童发展规划(2021-2025年)"
    assert any("发布时间" in m for m in meta) and any("扫一扫" in m for m in meta) and "打印 关闭" in meta


@pytest.mark.parametrize(
    "line,is_furniture",
    [
        ("信息来源:某某门户网 责任编辑:某某", True),
        ("【字体:大 中 小】", True),
        (
            "1.拓宽儿童获取信息来源的渠道,加强网络素养教育,提升儿童辨别网络信息能力,引导儿童合理使用网络,"
            "防止沉迷网络,扫一扫二维码等新型支付方式要加强对未成年人的保护。",
            False,
        ),
    ],
)
def test_furniture_only_short_lines(line, is_furniture):
    raw = (
        "一、发展领域、主要目标和政策措施\n(一)儿童与安全\n政策措施\n1.加强未成年人网络安全保护。落实责任。\n"
        + line
        + "\n"
    )
    p = analyse(raw, {"slug": "t"})
    assert (line in p.meta["page"]) == is_furniture
    assert any(line[2:12] in i.text for i in p.items) != is_furniture


def test_toc_without_page_numbers_ends_where_text_repeats():
    raw = (
        "目录\n一、发展领域、主要目标和政策措施\n(一)儿童与健康\n二、组织实施\n"
        "一、发展领域、主要目标和政策措施\n(一)儿童与健康\n主要目标\n1.儿童健康水平提高。\n政策措施\n1.加强儿童保健。做好管理。\n"
        "二、组织实施\n(一)加强组织领导。各级政府负责。\n"
    )
    seg = segment(raw)
    assert [h.line for h in seg.headings if h.level == 1] == [5, 11]
    assert [i.kind for i in seg.items] == ["goal", "measure", "implementation"]


def test_domain_as_section_when_blocks_sit_under_it():
    raw = (
        "一、儿童与健康\n主要目标\n1.儿童健康水平提高。\n政策措施\n1.加强儿童保健。\n"
        "二、儿童与教育\n主要目标\n1.普及学前教育。\n"
    )
    items = segment(raw).items
    assert [(i.kind, i.domain, i.number) for i in items] == [
        ("goal", "儿童与健康", 1),
        ("measure", "儿童与健康", 1),
        ("goal", "儿童与教育", 1),
    ]


@pytest.mark.parametrize(
    "block_goal,block_measure",
    [("(一)主要目标", "(二)策略措施"), ("(一)主要目标:", "(二)政策措施。"), ("1.主要目标", "2.策略措施")],
)
def test_numbered_blocks_under_a_domain_section(block_goal, block_measure):
    raw = (
        f"一、儿童与健康\n{block_goal}\n1.儿童健康水平提高。\n2.儿童死亡率下降。\n{block_measure}\n"
        "1.加强儿童保健。完善服务体系。\n二、儿童与教育\n主要目标\n1.普及学前教育。\n"
    )
    items = segment(raw).items
    assert [(i.kind, i.domain, i.number) for i in items] == [
        ("goal", "儿童与健康", 1),
        ("goal", "儿童与健康", 2),
        ("measure", "儿童与健康", 1),
        ("goal", "儿童与教育", 1),
    ]


@pytest.mark.parametrize(
    "second, warnings",
    [
        # each domain section numbers its (一)主要目标 (二)策略措施 afresh: no warning for the second domain's (一)
        ("二、儿童与福利\n(一)主要目标\n1.儿童福利水平提升。\n(二)策略措施\n1.完善困境儿童保障。\n", []),
        ("二、儿童与教育\n（一）主要目标\n1.普及学前教育。\n", []),
        # negatives: a real gap inside the second domain still warns, numbered from its own (一)
        ("二、儿童与福利\n(二)主要目标\n1.儿童福利水平提升。\n", ["第 7 行: 小节编号 (二) 与预期 (一) 不符"]),
        (
            "二、儿童与福利\n(一)主要目标\n1.儿童福利水平提升。\n(三)策略措施\n1.完善困境儿童保障。\n",
            ["第 9 行: 小节编号 (三) 与预期 (二) 不符"],
        ),
    ],
)
def test_a_domain_section_numbers_its_blocks_afresh(second, warnings):
    raw = "一、儿童与健康\n(一)主要目标\n1.儿童健康水平提高。\n(二)策略措施\n1.加强儿童保健。\n" + second
    seg = segment(raw)
    assert seg.warnings == warnings
    assert [i.domain for i in seg.items][-1] == second.split("、")[1].split("\n")[0]


def test_default_plan_heading_repairs():
    raw = Path(__file__).parent.parent.joinpath("corpus/yiyang-children-2021-2025.txt").read_text(encoding="utf-8")
    seg = segment(raw)
    fixed = {(r.rule, r.after) for r in seg.repairs}
    assert ("front_heading", "目") in fixed and ("front_heading", "前") in fixed  # " 录", " 言"
    assert ("heading_number", "(一)") in fixed  # 指导思想 lost "(一)"
    assert ("heading_number", "(三") in fixed  # ")加大保障力度": the minimal edit keeps the ")"
    assert seg.warnings == []


def test_partial_structure_is_ingested_with_warnings():
    p = plan("partial.txt")
    assert Counter(i.kind for i in p.items)["measure"] == 4
    assert len(p.warnings) == 1
    w = p.warnings[0]
    assert "三、重点工程" in w and "2 段" in w and w.startswith("第 ")
    assert not any("重点工程" in i.text or "友好社区试点" in i.text for i in p.items)


@pytest.mark.parametrize(
    "name,needle,line",
    [
        ("empty.txt", "文件为空", 1),
        ("no_structure.txt", "未识别出规划结构", 5),
        ("truncated.txt", "第 58 行的「儿童与教育」之后没有任何条目", 60),
        ("truncated_toc.txt", "目录列到第四部分,正文只到第二部分", 56),
    ],
)
def test_bad_files_refused_with_line(name, needle, line):
    path = FIXTURES / "bad" / name
    with pytest.raises(PlanFormatError) as err:
        analyse_file(path)
    assert needle in str(err.value) and err.value.line == line
    assert str(path) in str(err.value) and f"第 {line} 行" in str(err.value)


def test_only_scattered_paragraphs_refused():
    with pytest.raises(PlanFormatError, match="没有主要目标或措施"):
        segment("前言\n这是一段说明文字。\n还有一段。\n")


def test_numbering_gap_warns():
    raw = "一、发展领域、主要目标和政策措施\n(一)儿童与健康\n主要目标\n1.健康水平提高。\n3.近视率下降。\n"
    seg = segment(raw)
    assert [i.number for i in seg.items] == [1, 3]
    assert seg.warnings == ["第 5 行: 编号 3 与预期 2 不符"]


_BODY = (
    "\n\n一、指导思想和基本原则\n\n(一)指导思想\n\n坚持儿童优先原则,保障儿童权利。\n\n二、发展领域、主要目标和策略措施"
    "\n\n(一)儿童与健康\n\n主要目标\n\n1.儿童健康水平提高。\n\n2.新生儿死亡率下降。\n"
)


@pytest.mark.parametrize(
    ("toc", "expected"),
    [
        # A TOC entry that lost its number or brackets gets them back in sequence, as a body heading does.
        (
            "一、指导思想和基本原则 1\n\n指导思想 1\n\n基本原则 2",
            "一、指导思想和基本原则 1\n\n(一)指导思想 1\n\n(二)基本原则 2",
        ),
        (
            "一、指导思想和基本原则 1\n\n(一)指导思想 1\n\n)基本原则 2\n\n三)总体目标 3",
            "一、指导思想和基本原则 1\n\n(一)指导思想 1\n\n(二)基本原则 2\n\n(三)总体目标 3",
        ),
        # negative: an intact TOC is left exactly as published
        (
            "一、指导思想和基本原则 1\n\n(一)指导思想 1\n\n(二)基本原则 2",
            "一、指导思想和基本原则 1\n\n(一)指导思想 1\n\n(二)基本原则 2",
        ),
        (
            "一、指导思想和基本原则 1\n\n(一)指导思想 1\n\n二、发展领域 3\n\n(一)儿童与健康 3",
            "一、指导思想和基本原则 1\n\n(一)指导思想 1\n\n二、发展领域 3\n\n(一)儿童与健康 3",
        ),
    ],
    ids=["bare-words", "lost-brackets", "intact", "intact-2"],
)
def test_toc_entries_get_their_numbers_back(toc, expected):
    from nlp.repair import apply_repairs

    raw = "目录\n\n" + toc + _BODY
    seg = segment(raw)
    toc_edits = [r for r in seg.repairs if r.start < len("目录\n\n" + toc)]
    assert apply_repairs(raw, toc_edits)[0] == "目录\n\n" + expected + _BODY
