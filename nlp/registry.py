"""Department registry: canonical bodies, their aliases, generic and former names, loaded from nlp/data."""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from nlp.lang import read_lines

REGISTRY_FILE = "departments.tsv"
GROUPS_FILE = "department_groups.tsv"
LEVELS_FILE = "department_levels.tsv"  # a province's and the State Council's names for the same bodies (厅, 部)
CATEGORY_LABELS = {
    "party": "市委部门",
    "government": "政府部门",
    "judicial": "司法机关",
    "mass": "群团组织",
    "coordination": "协调机构",
    "territorial": "属地政府",
    "media": "媒体",
    "other": "其他",
}
# A plan of another level names the same bodies with its own level word (县公安局, 区妇联, 团县委, 省妇联, 省委宣传部);
# where a province's or the State Council's body has another name (省教育厅, 教育部, 最高人民法院) LEVELS_FILE lists it.
LOCAL_LEVELS = ("县", "区", "省")
# Place prefixes (湖南省益阳市…, 中共益阳市委…) are not written here: they come from the registry's own full names
# and from each plan's metadata (city, issuer, title), registered with register_places().
_extra_places: set[str] = set()


@dataclass(frozen=True)
class Department:
    """A municipal body with every name it goes by."""

    canonical: str
    full: str
    category: str
    aliases: tuple[str, ...] = ()
    generic: tuple[str, ...] = ()
    former: tuple[str, ...] = ()
    stems: tuple[str, ...] = field(default=(), compare=False)
    official: tuple[str, ...] = ()  # the full name as any city writes it (市发展和改革委员会; see _official)
    counterparts: tuple[str, ...] = ()  # what a province or the State Council calls it, where different (LEVELS_FILE)

    @property
    def names(self) -> tuple[str, ...]:
        """All names that denote this body on their own (not the enumeration-only stems)."""
        return tuple(
            dict.fromkeys((self.canonical, self.full, *self.aliases, *self.generic, *self.former, *self.official))
        )

    @property
    def local_names(self) -> tuple[str, ...]:
        """The same bodies at another level (县公安局, 区妇联, 团县委, 省妇联), for plans of those levels."""
        out = list(self.counterparts)
        for n in self.names:
            for level in LOCAL_LEVELS:
                if n.startswith("市") and not n.startswith("市场"):
                    out.append(level + n[1:])
                elif n.startswith("团市委"):
                    out.append(f"团{level}委")
        # a plan of 2001–2020 names the bodies of its day at its own level (县卫生局, 省工商局), a province's 局 as
        # 厅 (省卫生厅, 省环保厅, 省劳动保障厅): the former names, written bare in the registry, at every level
        for n in self.former:
            bare = n.removeprefix("市")
            out += [level + bare for level in LOCAL_LEVELS]
            if bare.endswith("局"):
                out.append("省" + bare[:-1] + "厅")
        return tuple(dict.fromkeys(x for x in out if x not in self.names))


def _split(cell: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in cell.split("|") if x.strip())


def _norm(name: str) -> str:
    """Drop whitespace and unify bracket width so 区县（市） equals 区县(市)."""
    return re.sub(r"\s+", "", name).replace("\uff08", "(").replace("\uff09", ")")


@lru_cache(maxsize=1)
def departments() -> tuple[Department, ...]:
    """Every registry department, in file order (cached)."""
    out = []
    for line in read_lines(REGISTRY_FILE):
        cells = (line.split("\t") + [""] * 7)[:7]
        canon, full, cat, aliases, generic, former, stems = (c.strip() for c in cells)
        out.append(
            Department(
                canon, full or canon, cat or "other", _split(aliases), _split(generic), _split(former), _split(stems)
            )
        )
    home = _home_places(out)
    counterparts = _counterparts()
    unknown = set(counterparts) - {d.canonical for d in out}
    if unknown:
        raise ValueError(f"{LEVELS_FILE}: not in the registry: {sorted(unknown)}")
    return tuple(
        dataclasses.replace(d, official=_official(d.full, home), counterparts=counterparts.get(d.canonical, ()))
        for d in out
    )


def _counterparts() -> dict[str, tuple[str, ...]]:
    """canonical → the provincial and national names of its counterpart (LEVELS_FILE; "-" marks a level with none)."""
    out: dict[str, tuple[str, ...]] = {}
    for n, line in enumerate(read_lines(LEVELS_FILE), 1):
        cells = line.split("\t")
        if len(cells) != 3:
            raise ValueError(f"{LEVELS_FILE}: row {n} needs canonical<TAB>province forms<TAB>national forms: {line!r}")
        out[cells[0].strip()] = tuple(f for cell in cells[1:] for f in _split(cell) if f != "-")
    return out


def _home_places(deps: list[Department]) -> set[str]:
    """The registry city's place stems, as its bodies' full names write them (益阳, 湖南省益阳)."""
    return {p for d in deps if (p := _place_of(d.full, d.canonical))}


def _official(full: str, home: set[str]) -> tuple[str, ...]:
    """A full name with the registry city's place taken out, so another city's plan writing its own full names
    (长沙市发展和改革委员会牵头) names the same body: 益阳市发展和改革委员会 → 市发展和改革委员会, 发展和改革委员会;
    中共益阳市委宣传部 → 市委宣传部; 湖南省益阳市中级人民法院 → 市中级人民法院."""
    for place in sorted(home, key=len, reverse=True):
        if place in full:
            name = full.replace(place, "", 1).removeprefix("中共")
            if not name.startswith("市"):
                return (name,)  # 共青团市委员会, 国家税务总局市税务局: the level word is inside
            bare = name[1:]
            return (name,) if bare.startswith("委") or len(bare) < 3 else (name, bare)  # 委宣传部 is no name
    return ()


@lru_cache(maxsize=1)
def _index() -> dict[str, Department]:
    """Every known form → department; a form that names two bodies keeps the first (file order)."""
    table: dict[str, Department] = {}
    for dep in departments():
        for name in dep.names:
            n = _norm(name)
            table.setdefault(n, dep)
            if not n.startswith(("市", "各")):  # plan text and users write 市公安局 as well as 公安局
                table.setdefault("市" + n, dep)
        for name in dep.local_names:
            table.setdefault(_norm(name), dep)
    return table


@lru_cache(maxsize=1)
def _stems() -> dict[str, Department]:
    return {s: d for d in departments() for s in d.stems}


@lru_cache(maxsize=1)
def groups() -> dict[str, tuple[tuple[str, ...], str]]:
    """Collective phrases → (member canonical names, role hint)."""
    out = {}
    for line in read_lines(GROUPS_FILE):
        phrase, members, role = ([*line.split("\t"), "", "co"])[:3]
        out[_norm(phrase)] = (_split(members), role.strip() or "co")
    return out


def _place_of(full: str, canonical: str) -> str | None:
    """The place written before a body's level word: 湖南省益阳市中级人民法院 / 市中级人民法院 → 湖南省益阳."""
    for short in (canonical, canonical.removeprefix("市"), canonical.removeprefix("团")):
        for level in ("市委", "市"):
            tail = short.removeprefix(level) if short.startswith(level) else None
            if tail and full.endswith(level + tail) and len(full) > len(level + tail):
                place = full[: -len(level + tail)]
                return place.removeprefix("中共").removesuffix("委员会") or None
    return None


def places_from_meta(meta: dict, title: str = "") -> set[str]:
    """Place stems a plan names its bodies with (益阳 from city 益阳市, issuer 益阳市人民政府 or the title)."""
    out = set()
    for value in (meta.get("city"), meta.get("issuer"), meta.get("title"), title):
        m = re.match(r"^(?:中共)?([\u4e00-\u9fff]{1,8}?(?:省|自治区))?([\u4e00-\u9fff]{1,6}?)(?:市|县|区)", value or "")
        if m:
            out.add(m.group(2))
            if m.group(1):
                out.add(m.group(1) + m.group(2))
    return out


def register_places(meta: dict, title: str = "") -> None:
    """Accept the place prefixes of a plan's metadata in resolve() (the registry's own city is always known)."""
    new = places_from_meta(meta, title) - _extra_places
    if new:
        _extra_places.update(new)
        prefixes.cache_clear()


@lru_cache(maxsize=1)
def prefixes() -> tuple[str, ...]:
    """Prefixes stripped before lookup, longest first: 湖南省益阳市, 中共益阳市委, 益阳市, 益阳 … and bare 中共."""
    stems = _home_places(list(departments())) | _extra_places
    out = {"中共"}
    for s in stems:
        out |= {s, s + "市"} | (set() if "局" in s else {"中共" + s + "市委"})
    return tuple(sorted(out, key=len, reverse=True))


def get(canonical: str) -> Department | None:
    """The department with exactly this canonical name."""
    return next((d for d in departments() if d.canonical == canonical), None)


def resolve(name: str) -> Department | None:
    """Any alias, generic form, former name or prefixed name (益阳市…, 中共益阳市委…) → its department."""
    n = _norm(name or "")
    if not n:
        return None
    index = _index()
    cands = [n]
    for p in prefixes():
        if n.startswith(p) and len(n) > len(p):
            rest = n[len(p) :]
            cands += [rest, "市" + rest] + (["市委" + rest] if p.startswith("中共") else [])
    for c in cands:
        if c in index:
            return index[c]
    for c in cands:  # bare stem typed by a user: 卫生健康, 民政
        if c in _stems():
            return _stems()[c]
    return None


def suggest(name: str, n: int = 5) -> list[str]:
    """Canonical names of the registry departments closest to an unknown name."""
    q = _norm(name or "")
    scores: dict[str, float] = {}
    for form, dep in _index().items():
        r = difflib.SequenceMatcher(None, q, form).ratio()
        if q and (q in form or form in q):
            r += 0.5  # a shared substring (卫生 ⊂ 卫生健康部门) matters more than edit distance
        scores[dep.canonical] = max(scores.get(dep.canonical, 0.0), r)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    return [c for c, s in ranked if s >= 0.3][:n]


def unknown_message(name: str) -> str:
    """A clear message for a department name the registry does not know, with the closest names."""
    close = suggest(name)
    hint = f"最接近的部门:{'、'.join(close)}" if close else "请使用部门的简称或全称,如“市卫健委”"
    return f"未找到部门“{name}”。{hint}"
