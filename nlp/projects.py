"""Capital projects: a counted building target (新建幼儿园16所) brings in the bodies every construction passes."""

from __future__ import annotations

import re
from functools import lru_cache

from nlp import registry
from nlp.lang import read_lines
from nlp.scoring import Hit

PROJECTS_FILE = "projects.tsv"
GAP = 12  # characters a project's parts may lie apart (本年度新建公办幼儿园16所: the qualifiers between them)
_NUMBER = r"\d+(?:\.\d+)?\s*万?"


@lru_cache(maxsize=1)
def _data() -> tuple[re.Pattern, tuple[tuple[str, float], ...]]:
    """(the project pattern, the bodies a project brings in); a malformed row is refused with its line."""
    parts: dict[str, list[str]] = {"verb": [], "facility": [], "unit": []}
    bodies = []
    for n, line in enumerate(read_lines(PROJECTS_FILE), 1):
        cells = line.split("\t")
        if cells[0] == "body" and len(cells) == 3:
            dep = registry.resolve(cells[1])
            if dep is None:
                raise ValueError(f"{PROJECTS_FILE}: row {n}: unknown body {cells[1]!r}")
            bodies.append((dep.canonical, float(cells[2])))
        elif cells[0] in parts and len(cells) == 2:
            parts[cells[0]].append(cells[1])
        else:
            raise ValueError(f"{PROJECTS_FILE}: row {n} needs verb|facility|unit<TAB>word or body<TAB>name<TAB>weight")

    def alt(words: list[str]) -> str:
        return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))

    verb, facility, unit = alt(parts["verb"]), alt(parts["facility"]), alt(parts["unit"])
    gap = f"[^。;；,，、]{{0,{GAP}}}?"
    # 新建幼儿园16所 / 改造中小学校舍32万平方米 (facility, then the count) or 新建3所乡镇卫生院 (the count first)
    pattern = re.compile(
        f"(?:{verb}){gap}(?:(?:{facility}){gap}{_NUMBER}(?:{unit})|{_NUMBER}(?:{unit}){gap}(?:{facility}))"
    )
    return pattern, tuple(bodies)


def hits(text: str) -> list[Hit]:
    """Support for the bodies of a capital project (a second project phrase adds less: one rule); the phrase is the
    evidence."""
    pattern, bodies = _data()
    out = []
    for m in pattern.finditer(text):
        for body, weight in bodies:
            # role "project": the body is listed beside the facility's owner and never leads (scoring.NO_LEAD)
            out.append(Hit(body, m.start(), m.end(), m.group(), "project", weight, "project", "inferred"))
    return out
