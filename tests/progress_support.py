"""Helpers of the progress tests: accounts of each role and a signed-in test client per role."""

from __future__ import annotations

from web_support import PASSWORD, sign_in

HEALTH, EDU = "市卫健委", "市教育局"
ACCOUNTS = {
    "admin": ("office", "admin", None),
    "reviewer": ("rv", "reviewer", None),
    "reporter": ("wj", "reporter", HEALTH),
    "edu": ("jy", "reporter", EDU),
}


def make_accounts() -> None:
    from kb.store.users import add_user

    for name, role, dept in ACCOUNTS.values():
        add_user(name, PASSWORD, role, department=dept)


def client_as(app, who: str | None):
    """A fresh client signed in as ACCOUNTS[who] (None: the public)."""
    c = app.test_client()
    if who is not None:
        assert sign_in(c, ACCOUNTS[who][0]).status_code == 302
    return c


def duty_items(dept: str) -> list[str]:
    from kb.progress.scope import scope

    return list(scope().duties(dept))


def only_mine(dept: str, other: str) -> str:
    """An item that is a duty of dept and not of other."""
    from kb.progress.scope import scope

    return next(i for i in scope().duties(dept) if i not in scope().duties(other))
