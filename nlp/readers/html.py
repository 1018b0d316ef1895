"""Saved web pages (.html/.htm): the article's text, one line per block, with the site's furniture dropped.

Navigation, headers, footers, sidebars, scripts and forms go first; then link lists (blocks whose text is mostly
links); then the main content is the smallest element that still holds nearly all of the page's remaining text.
Short furniture lines inside the article (发布时间, 字体, 分享到 …) are left to segmentation's page-meta rules.
"""

from __future__ import annotations

import re

from nlp.reader import PlanFormatError, decode

_DROP_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "select",
              "button", "template", "svg", "object")  # fmt: skip
_FURNITURE = re.compile(r"(^|[\s_-])(nav|menu|footer|header|top-?bar|breadcrumb|crumb|share|sidebar|side|copyright|"
                        r"toolbar|login|search|related|links?|banner)($|[\s_-])", re.I)  # fmt: skip
_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table",
           "ul", "ol", "dd", "dt", "blockquote", "pre", "main", "td"}  # fmt: skip
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.I)
MAIN_SHARE = 0.85  # the main element keeps at least this share of the page's text


def _decode(data: bytes, path: str | None) -> str:
    m = _CHARSET.search(data[:4096])
    if m:
        name = m.group(1).decode("ascii", "replace").lower()
        name = "gb18030" if name in ("gb2312", "gbk", "gb18030", "x-gbk") else name
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode(data, path).text


def _text_len(el) -> int:
    return len("".join("".join(el.itertext()).split()))


def _link_len(el) -> int:
    return sum(_text_len(a) for a in el.iter("a"))


def _lines(el) -> list[str]:
    """Text of el with a line break at every block element and <br>."""
    parts: list[str] = []

    def walk(node) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _BLOCKS:
            parts.append("\n")
        if node.text and tag != "br":
            parts.append(node.text)
        for child in node:
            walk(child)
        if tag in _BLOCKS:
            parts.append("\n")
        if node.tail:
            parts.append(node.tail)

    walk(el)
    return [" ".join(ln.split()) if "\t" in ln else ln.strip() for ln in "".join(parts).split("\n") if ln.strip()]


def read_html(data: bytes, path: str | None) -> tuple[str, list[str]]:
    """The main text of a saved web page."""
    import lxml.html
    from lxml import etree

    source = _decode(data, path)
    try:
        root = lxml.html.document_fromstring(source)
    except (etree.ParserError, ValueError) as exc:
        raise PlanFormatError(f"网页无法解析 ({exc})", None, path) from None
    dropped = 0
    for el in list(root.iter(*_DROP_TAGS)):
        el.drop_tree()
        dropped += 1
    for el in list(root.iter()):
        if el.getparent() is None or not isinstance(el.tag, str):
            continue
        marks = f"{el.get('class', '')} {el.get('id', '')}"
        size = _text_len(el)
        # Furniture by name, or a link list: never a block that holds real prose.
        if (_FURNITURE.search(marks) and size < 400) or (size and _link_len(el) > 0.6 * size and size < 600):
            el.drop_tree()
            dropped += 1
    body = root.find("body")
    body = body if body is not None else root
    total = _text_len(body)
    main = body
    while True:  # descend while one child keeps nearly all the text
        best = max((c for c in main if isinstance(c.tag, str)), key=_text_len, default=None)
        if best is None or _text_len(best) < MAIN_SHARE * total:
            break
        main = best
    lines = _lines(main)
    title = root.findtext(".//title")
    notes = [f"网页正文已提取;去掉导航、页眉页脚、侧栏等 {dropped} 处"]
    if title and title.strip() and not any(title.strip() in ln for ln in lines[:3]):
        notes.append(f"网页标题: {title.strip()}")
    return "\n".join(lines), notes
