"""Query-string parameters read the one way on every page and its JSON twin: a value outside its choices or a page
number that is no positive integer is a 400 in the one error shape, with the choices named in Chinese."""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.exceptions import BadRequest

MAX_PAGE = 10_000  # the same bound /api/search puts on ?page= (webapp.api_search.page_number)


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
    raise BadParam(f"未知的{what}“{raw}”(参数 {name})。可选:{listed}")


def page_number(args: Mapping[str, str]) -> int:
    """The 1-based `?page=`, 1 when absent; a page that is no integer from 1 to MAX_PAGE is a BadParam."""
    raw = (args.get("page") or "").strip()
    if not raw:
        return 1
    if not (raw.isascii() and raw.isdecimal()) or not 1 <= int(raw) <= MAX_PAGE:
        raise BadParam(f"参数 page 必须是 1 到 {MAX_PAGE} 之间的整数")
    return int(raw)
