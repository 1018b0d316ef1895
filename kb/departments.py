"""The registry of bodies as kb and the web see it: resolve any alias, suggest close names, describe a body.

nlp.registry reads the data; everything above nlp asks here, so a name means the same body everywhere.
"""

from __future__ import annotations

from kb.errors import NotFound
from nlp import registry
from nlp.registry import Department

__all__ = ["Department", "UnknownDepartment", "all_departments", "category_label", "get", "require", "resolve"]


class UnknownDepartment(NotFound):
    """A user-given department name the registry does not know; carries the closest registry names."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(registry.unknown_message(name), suggest(name))


def get(canonical: str) -> Department | None:
    """The body with this canonical name, or None."""
    return registry.get(canonical)


def resolve(name: str) -> Department | None:
    """The body any alias, prefixed or collective form names (卫健委, 益阳市卫生健康委员会 …), also written in
    traditional characters (衛健委, as search reads it), or None."""
    dep = registry.resolve(name)
    if dep is None and (simple := _simplified(name)) != name:  # simplified() leaves ASCII and simplified text alone
        dep = registry.resolve(simple)
    return dep


def _simplified(name: str) -> str:
    """The name in simplified characters, by search's own conversion (one meaning of 衛健委 for search and pages)."""
    from kb.search.analysis import simplified

    return simplified(name)


def require(name: str) -> Department:
    """The body `name` names; raises UnknownDepartment with the closest names."""
    dep = resolve(name)
    if dep is None:
        raise UnknownDepartment(name)
    return dep


def suggest(name: str, n: int = 5) -> list[str]:
    """Canonical names close to `name` (read in simplified characters)."""
    return registry.suggest(_simplified(name), n)


def unknown_message(name: str) -> str:
    """The user-facing sentence for a name no body answers to."""
    return registry.unknown_message(name)


def all_departments() -> tuple[Department, ...]:
    """Every body in the registry."""
    return registry.departments()


def category_label(dep: Department | None) -> str:
    """The Chinese name of a body's category (党委部门, 政府部门 …), or ''."""
    return registry.CATEGORY_LABELS.get(dep.category, "") if dep else ""
