"""JSON request bodies parsed defensively: too deep, lone surrogates, huge numbers and NaN are a 400, not a 500."""

from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider

MAX_DEPTH = 32  # nothing the API takes nests deeper than a few levels
MAX_INT = 2**63 - 1  # what SQLite can store; a larger number is never a valid id, year or value


class BadJSON(ValueError):
    """A request body that is JSON but not one the app will take (werkzeug turns ValueError into a 400)."""


def _constant(name: str) -> Any:
    raise BadJSON(f"JSON 中不允许 {name}")


def _check(value: Any) -> None:
    """Walk the parsed value without recursion: depth, strings that UTF-8 cannot hold, integer range."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadJSON(f"JSON 嵌套过深(最多 {MAX_DEPTH} 层)")
        if isinstance(v, str):
            _text(v)
        elif isinstance(v, bool) or v is None or isinstance(v, float):
            continue
        elif isinstance(v, int):
            if not -MAX_INT <= v <= MAX_INT:
                raise BadJSON("JSON 中的整数超出范围")
        elif isinstance(v, dict):
            for k, x in v.items():
                _text(k)
                stack.append((x, depth + 1))
        elif isinstance(v, list):
            stack.extend((x, depth + 1) for x in v)


def _text(s: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise BadJSON("JSON 文本含有无效字符(孤立的代理项)") from None


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON with request bodies checked before any view sees them."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_constant", _constant)
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            raise BadJSON(f"JSON 嵌套过深(最多 {MAX_DEPTH} 层)") from None
        except ValueError as exc:  # malformed, or an integer with more digits than Python converts
            raise BadJSON(f"JSON 格式错误: {exc}") from None
        _check(value)
        return value
