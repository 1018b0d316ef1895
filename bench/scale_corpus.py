"""A multi-plan corpus of distinct plans for the scale benchmark: the default plan's structure, each copy with its
own place names and issuer, and a rotating share of its numbered sentences taken from the real-plan fixtures
(tests/fixtures/real/: national, provincial, city and county plans of both kinds), so the vocabulary varies
from plan to plan instead of repeating one text N times.

    .venv/bin/python bench/scale_corpus.py N OUT_DIR     # writes N-1 plans (the default plan is plan 1)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO / "corpus" / "yiyang-children-2021-2025.txt"
FIXTURES = REPO / "tests" / "fixtures" / "real"
NUMBERED = re.compile(r"^(\s*\d{1,2}[.、])(\S.*)$")
# Two syllables make a place name; 39 × 37 names are enough for the 1000× build.
FIRST = "清临安长永宁新平德华东西南北江河山湖云青丰泰兴隆和兰桂松柏金银玉石龙凤仁义嘉乐"
SECOND = "阳江州宁安平川源丰城山溪陵水乡德昌林口泉岭峰湾台原庄田坪浦洲冈沙塘桥岗渡头"
COUNTIES = ("资阳区", "赫山区", "沅江市", "南县", "桃江县", "安化县", "大通湖区")


def place(n: int) -> str:
    """The n-th synthetic place name (two syllables, unique for n < 1443)."""
    return FIRST[n % len(FIRST)] + SECOND[(n // len(FIRST)) % len(SECOND)]


def fixture_sentences() -> list[str]:
    """Numbered sentences of the real-plan fixtures (their own words), without their numbers."""
    out = []
    for f in sorted(FIXTURES.glob("*.txt")):
        for line in f.read_text(encoding="utf-8").splitlines():
            m = NUMBERED.match(line)
            if m and len(m.group(2)) >= 12 and m.group(2).rstrip().endswith(("。", ";", ";")):
                out.append(m.group(2).strip())
    return out


def variant(n: int, base: str, pool: list[str]) -> str:
    """Plan n: the base text renamed to place n, every k-th numbered sentence replaced by a fixture sentence."""
    city = place(n)
    text = base.replace("益阳", city)
    for i, county in enumerate(COUNTIES):
        text = text.replace(county, place(n * 7 + i + 1) + county[-1])
    lines = text.split("\n")
    step = 3 + n % 5  # 3..7: a different share of each plan's sentences comes from the fixtures
    numbered = [i for i, line in enumerate(lines) if NUMBERED.match(line)]
    for k, i in enumerate(numbered[n % step :: step]):
        head = NUMBERED.match(lines[i]).group(1)  # type: ignore[union-attr]
        lines[i] = head + pool[(n * 13 + k) % len(pool)]
    return "\n".join(lines)


def write_corpus(n_plans: int, out: Path, start: int = 1) -> list[Path]:
    """Write plans start..n_plans-1 (the default plan is plan 0) as .txt + .json into out; return the txt paths."""
    out.mkdir(parents=True, exist_ok=True)
    base, pool = DEFAULT.read_text(encoding="utf-8"), fixture_sentences()
    meta = json.loads(DEFAULT.with_suffix(".json").read_text(encoding="utf-8"))
    paths = []
    for n in range(start, n_plans):
        city = place(n)
        slug = f"plan{n:04d}-children-2021-2025"
        title = f"{city}市儿童发展规划(2021-2025年)"
        txt = out / f"{slug}.txt"
        txt.write_text(variant(n, base, pool), encoding="utf-8")
        plan_meta = {**meta, "slug": slug, "title": title, "issuer": f"{city}市人民政府", "city": f"{city}市"}
        txt.with_suffix(".json").write_text(json.dumps(plan_meta, ensure_ascii=False), encoding="utf-8")
        paths.append(txt)
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print(len(write_corpus(int(sys.argv[1]), Path(sys.argv[2]))), "plans written")
