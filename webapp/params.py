"""Query-string parameters read the one way on every page and its JSON twin: a value outside its choices or a page
number that is no positive integer is a 400 in the one error shape, with the choices named in Chinese."""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.exceptions import BadRequest

from kb.search import SearchError
from webapp.api_search import page_number as search_page


class BadParam(BadRequest):
    """A query parameter the user must change; webapp.render answers it as a 400 with this message."""

    def __init__(self, message: str):
        super().__init__(description=message)


def choice(args: Mapping[str, str], name: str, choices: Mapping[str, str], default: str, what: str) -> str:
    """The code `?name=` picks among `choices` (code → Chinese label, the label accepted too; a Chinese code is its
    own label), `default` when absent or blank; `what` names the parameter in the message (排序, 角色 …)."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if raw in choices:
        return raw
    by_label = {lab: code for code, lab in choices.items()}
    if raw in by_label:
        return by_label[raw]
    listed = "、".join(code if code == lab else f"{code}({lab})" for code, lab in choices.items() if code)
    raise BadParam(f"未知的{what}“{raw}”。可选:{listed}")  # as kb.search words its own


def page_number(args: Mapping[str, str]) -> int:
    """The 1-based `?page=`, 1 when absent; read as /api/search reads it (webapp.api_search.page_number: the same
    bounds and message), a page that is no integer from 1 to 10000 a BadParam."""
    try:
        return search_page(args) or 1
    except SearchError as exc:
        raise BadParam(exc.message) from None
