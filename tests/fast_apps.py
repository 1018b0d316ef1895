"""Cheap Flask apps for tests: what every test's fresh `create_app` compiles again is compiled once per process.

About a thousand tests each create their own app (their own data dir, config and session), and each app compiled
its ~50 Jinja templates and its ~100 URL rules' builders from scratch: about 0.2 CPU-s per test, most of the fast
subset's time. Both are pure functions of their source, so one process keeps the compiled code:

- Jinja: a bytecode cache shared by every app's environment (Jinja's documented `bytecode_cache` option, through
  Flask's `jinja_options`); each entry is checked against its template's source, so an edited template recompiles.
- Werkzeug: a rule's URL builder is generated code that depends only on the rule's parsed parts and defaults
  (the rule and its converters are passed in as an argument); the generated function is reused for an identical rule.

Each app still builds its own URL map, blueprints, config and template environment, and renders every page.
"""

from __future__ import annotations

from typing import Any

import jinja2
from flask import Flask
from werkzeug.routing import rules


class _ProcessBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates in a dict for this process (Jinja checks the source checksum on every load)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_builders: dict[tuple, Any] = {}
_compile_builder = rules.Rule._compile_builder


def _shared_builder(self: rules.Rule, append_unknown: bool = True):
    """Rule._compile_builder, generated once per distinct (parsed rule, default names, append_unknown)."""
    trace, converters = getattr(self, "_trace", None), getattr(self, "_converters", None)
    defaults = tuple(self.defaults or ())
    if trace is None or converters is None or any(name in converters for name in defaults):
        return _compile_builder(self, append_unknown)  # another Werkzeug's internals, or a default folded in
    key = (tuple(trace), defaults, append_unknown)
    fn = _builders.get(key)
    if fn is None:
        fn = _builders[key] = _compile_builder(self, append_unknown)
    return fn


def install() -> None:
    """Share compiled templates and URL builders between the apps this process creates."""
    Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _ProcessBytecodeCache()}
    rules.Rule._compile_builder = _shared_builder  # type: ignore[method-assign]
