"""Command line: `python -m kb <command>`; each area registers its commands from kb/commands/."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import kb.commands
from kb.errors import BuildBusy, KBError, NoKnowledgeBase
from nlp.reader import PlanFormatError


def parser() -> argparse.ArgumentParser:
    """The top-level parser with every area's sub-commands."""
    ap = argparse.ArgumentParser(prog="python -m kb", description="Plan KB 规划措施知识库")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    for mod in sorted(pkgutil.iter_modules(kb.commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"kb.commands.{mod.name}").register(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Run one command; user errors become a message and exit code 2."""
    ap = parser()
    args = ap.parse_args(argv)
    if not getattr(args, "func", None):
        ap.print_help()
        return 1
    try:
        return args.func(args) or 0
    except KBError as exc:  # UserError, NotFound, Ambiguous, UnknownDepartment …: the message, then close names
        print(f"错误: {exc.message}", file=sys.stderr)
        if exc.suggestions:
            print("您是不是要找: " + "、".join(exc.suggestions), file=sys.stderr)
        return 2
    except (PlanFormatError, NoKnowledgeBase, BuildBusy) as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
