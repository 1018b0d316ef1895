"""Write a line-structured plan text in the other forms plans arrive in: .docx, saved web page, PDF, run-on text.

Used by tests/test_forms.py and bench/pdf_readers.py. The docx puts item numbers into Word's automatic
numbering (the number is not in the paragraph text), so reading it back exercises the numbering renderer.
"""

from __future__ import annotations

import html
import io
import re
import unicodedata
from pathlib import Path

ITEM = re.compile(r"^(\d{1,2})[.、](?![\d.])")
DOC_CACHE = Path(__file__).resolve().parent.parent / ".cache" / "test-doc"  # removed by `make clean`
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def lines_of(text: str) -> list[str]:
    return [ln.strip() for ln in text.split("\n") if ln.strip()]


def run_on(text: str, sep: str = " ") -> str:
    """The whole plan on one line, as document viewers copy it."""
    return sep.join(lines_of(text))


# ASCII marks and their full-width forms (how most real plans are typed: \uff0c \uff1b \uff1a \uff08 \uff09 ...)
_FULL = {c: chr(ord(c) + 0xFEE0) for c in ",;:()!?%"}


def full_width(text: str) -> str:
    """The plan typed with full-width marks, as most published plans are (digits grouped by a comma, 1,000, keep
    theirs)."""
    out = list(text)
    for i, ch in enumerate(text):
        if ch in _FULL and not (ch == "," and text[i - 1 : i].isdigit() and text[i + 1 : i + 2].isdigit()):
            out[i] = _FULL[ch]
    return "".join(out)


def indented(text: str) -> str:
    """Every paragraph after the two ideographic spaces Word and government sites put before it."""
    return "\n".join("\u3000\u3000" + ln if ln.strip() else ln for ln in text.split("\n"))


# Kangxi radicals some PDF converters write for ordinary characters (\u2f09 for 儿, \u2f63 for 生, \u2f00 for 一 ...)
_RADICALS = {
    unicodedata.normalize("NFKC", chr(cp)): chr(cp)
    for cp in range(0x2F00, 0x2FD6)
    if len(unicodedata.normalize("NFKC", chr(cp))) == 1
}


def radicals(text: str) -> str:
    """The plan as such a PDF's text layer gives it: every character that has a Kangxi radical written as one."""
    return "".join(_RADICALS.get(ch, ch) for ch in text)


def to_html(text: str, furniture: bool = True) -> str:
    """A saved government web page: navigation, breadcrumb, share bar, sidebar and footer around the article."""
    body = "\n".join(f"<p>{html.escape(ln)}</p>" for ln in lines_of(text))
    if not furniture:
        return f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>"
    nav = "".join(
        f"<li><a href='/c{i}'>{n}</a></li>" for i, n in enumerate(["首页", "政务公开", "政务服务", "互动交流"])
    )
    side = "".join(f"<li><a href='/a{i}'>关于做好{i}月份民生实事工作的通知</a></li>" for i in range(1, 9))
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>规划全文</title>
<style>body{{font-family:sans-serif}} .side{{float:right;width:20%}}</style>
<script>var _hmt = _hmt || []; window.dataLayer = [];</script></head>
<body><div class="top-bar"><a href="/">无障碍浏览</a> <a href="/login">登录</a> <a href="/reg">注册</a></div>
<header class="header"><img src="logo.png" alt="市人民政府门户网站"><nav><ul>{nav}</ul></nav></header>
<div class="breadcrumb">当前位置:<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a> &gt; 规划计划</div>
<div class="side"><h3>相关文章</h3><ul>{side}</ul></div>
<div class="article"><div class="info">发布时间:2021-11-24 10:03 来源:市政府办 【字体:大 中 小】 打印</div>
<div class="content">{body}</div>
<div class="share">分享到:<a href="#">微信</a> <a href="#">微博</a></div></div>
<footer><p>主办单位:市人民政府办公室 版权所有 湘ICP备00000000号</p>
<p><a href="/map">网站地图</a> <a href="/c">联系我们</a></p>
</footer></body></html>"""


def to_pdf(text: str, browser, width: str = "105mm") -> bytes:
    """Print the plan as a narrow page with chromium: lines hard-wrap; header and footer carry title and page."""
    page = browser.new_page()
    try:
        page.set_content(to_html(text, furniture=False))
        return page.pdf(
            width=width,
            height="148mm",
            margin={"top": "16mm", "bottom": "16mm", "left": "10mm", "right": "10mm"},
            display_header_footer=True,
            header_template="<div style='font-size:8px;width:100%;text-align:center'>市人民政府文件</div>",
            footer_template="<div style='font-size:8px;width:100%;text-align:center'>"
            "- <span class='pageNumber'></span> -</div>",
        )
    finally:
        page.close()


def to_docx(text: str, auto_numbers: bool = True, list_definitions: bool = False) -> bytes:
    """A Word document: headings and paragraphs, items numbered by Word (a new list after every heading).

    auto_numbers=False keeps the numbers typed in the paragraphs, as many offices write them; list_definitions=True
    gives every list its own definition (as Word 97 documents carry them) instead of a start override."""
    import docx
    from docx.oxml import parse_xml

    doc = docx.Document()
    numbering = doc.part.numbering_part.element
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    numbering.append(
        parse_xml(
            f'<w:abstractNum {ns} w:abstractNumId="90"><w:lvl w:ilvl="0"><w:start w:val="1"/>'
            '<w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl></w:abstractNum>'
        )
    )
    next_id, current, expected = 100, None, 1
    for ln in lines_of(text):
        m = ITEM.match(ln) or re.match(rf"^({expected})[.、]", ln)  # "3.5岁以下…" is item 3
        if not m or not auto_numbers:
            doc.add_paragraph(ln)  # a list continues across unnumbered paragraphs, as in Word
            continue
        number = int(m.group(1))
        if current is None or number != expected:  # a new list, starting where the text starts it
            next_id += 1
            current = str(next_id)
            if list_definitions:
                numbering.insert(
                    0,
                    parse_xml(
                        f'<w:abstractNum {ns} w:abstractNumId="{current}"><w:lvl w:ilvl="0"><w:start w:val="{number}"/>'
                        '<w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl></w:abstractNum>'
                    ),
                )
                numbering.append(
                    parse_xml(f'<w:num {ns} w:numId="{current}"><w:abstractNumId w:val="{current}"/></w:num>')
                )
            else:
                numbering.append(
                    parse_xml(
                        f'<w:num {ns} w:numId="{current}"><w:abstractNumId w:val="90"/>'
                        f'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="{number}"/></w:lvlOverride></w:num>'
                    )
                )
        expected = number + 1
        para = doc.add_paragraph(ln[m.end() :])
        para._p.get_or_add_pPr().append(
            parse_xml(f'<w:numPr {ns}><w:ilvl w:val="0"/><w:numId w:val="{current}"/></w:numPr>')
        )
    table = doc.add_table(rows=2, cols=2)
    for r, row in enumerate([("指标", "目标值"), ("婴儿死亡率", "5‰以下")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def to_doc(docx_bytes: bytes, tmp_path) -> bytes:
    """A Word 97–2003 .doc saved by LibreOffice from a .docx (as an office's old Word would write it).

    Kept in .cache/test-doc under a hash of the docx's content (its zip members, not the zip's timestamps): each
    LibreOffice start costs seconds, and the same documents are converted in every run. The readers' own
    conversions (nlp.readers.legacy) are not cached."""
    import hashlib
    import os
    import subprocess
    import zipfile

    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as z:
        h = hashlib.sha256()
        for name in sorted(z.namelist()):
            h.update(name.encode() + b"\0" + z.read(name) + b"\0")
    cached = DOC_CACHE / f"{h.hexdigest()[:32]}.doc"
    if cached.exists():
        return cached.read_bytes()
    src = tmp_path / "in.docx"
    src.write_bytes(docx_bytes)
    profile = f"-env:UserInstallation=file://{tmp_path}/lo-profile"
    cmd = ["soffice", profile, "--headless", "--convert-to", "doc", "--outdir", str(tmp_path), str(src)]
    subprocess.run(cmd, capture_output=True, timeout=180, check=True)
    data = (tmp_path / "in.doc").read_bytes()
    DOC_CACHE.mkdir(parents=True, exist_ok=True)
    part = cached.with_name(f".{cached.name}.{os.getpid()}")
    part.write_bytes(data)
    os.replace(part, cached)  # complete or absent, also with two xdist workers converting at once
    return data
