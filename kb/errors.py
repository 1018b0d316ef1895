"""The exceptions every layer shares: the CLI prints them, the web answers them in its one error shape."""

from __future__ import annotations


class KBError(Exception):
    """A problem the user can fix; `message` is for the user, `suggestions` are close names or ids."""

    status = 400

    def __init__(self, message: str, suggestions: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.suggestions = list(suggestions or [])


class UserError(KBError):
    """A bad command-line request; printed without a traceback, exit code 2."""


class NotFound(KBError):
    """No item, indicator, plan or department answers to this name or id."""

    status = 404


class Ambiguous(KBError):
    """A short id or name that more than one plan answers to; the suggestions are the full ids."""

    status = 409


class NoKnowledgeBase(RuntimeError):
    """Raised when nothing has been built yet."""


class BuildBusy(RuntimeError):
    """Another build holds the lock."""
