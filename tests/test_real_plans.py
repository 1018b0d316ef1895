"""Real published plan excerpts (tests/fixtures/real): none refused, every item found, nothing dropped silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from forms import full_width, indented, radicals

from nlp.coverage import unaccounted_lines
from nlp.model import Plan
from nlp.pipeline import analyse_file

REAL = Path(__file__).parent / "fixtures" / "real"
MANIFEST = json.loads((REAL / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=sorted(MANIFEST), ids=lambda n: n.split("_")[0])
def real(request) -> tuple[dict, Plan]:
    name = request.param
    return MANIFEST[name], analyse_file(REAL / name, {"slug": f"real-{name[:2]}"})


def test_every_expected_item_is_found(real):
    spec, plan = real
    got: dict[tuple, list[int | None]] = {}
    for it in plan.items:
        got.setdefault((it.domain, it.kind, it.block), []).append(it.number)
    for exp in spec["expected"]["items"]:
        key = (exp["domain"], exp["kind"], exp["block"])
        assert sorted(got.get(key, [])) == exp["numbers"], key


def test_overall_goal_and_domain_warnings(real):
    spec, plan = real
    assert sum(i.kind == "overall_goal" for i in plan.items) == spec["expected"]["overall_goal"]
    nulls = [i for i in plan.items if i.kind in ("goal", "measure") and i.domain is None]
    if spec["domain_null_warning"]:
        assert nulls and any("领域留空" in w for w in plan.warnings)
    else:
        assert not nulls


def test_nothing_dropped_silently(real):
    _spec, plan = real
    assert unaccounted_lines(plan) == []


def _reading(plan: Plan) -> list[tuple]:
    """What a user is shown of a plan: items, titles, clauses, tags, targets and the edits applied."""
    return [
        (
            it.id,
            it.title,
            [c.text for c in it.clauses],
            sorted((d.name, d.role) for d in it.departments),
            [(i.name, i.comparator, i.value, i.year) for i in it.indicators],
        )
        for it in plan.items
    ] + sorted((r.start, r.after) for r in plan.repairs if r.applied)


@pytest.mark.parametrize(
    "typing",
    [full_width, indented, lambda t: indented(full_width(t)), radicals],
    ids=["full", "indent", "both", "radicals"],
)
def test_a_plan_typed_as_published_reads_the_same(real, tmp_path, typing):
    """Most published plans are typed with full-width marks (\uff0c\uff1b\uff1a\uff08\uff09) and indented paragraphs,
    and some PDFs' text layers write Kangxi radicals for ordinary characters (\u2f09 for 儿): read so, they give the
    same items, titles, clauses, tags, targets and edits; the parse report says what was read as what."""
    spec, plan = real
    name = next(n for n, s in MANIFEST.items() if s is spec)
    typed = tmp_path / name
    typed.write_text(typing((REAL / name).read_text(encoding="utf-8")), encoding="utf-8")
    again = analyse_file(typed, {"slug": plan.id})
    assert _reading(again) == _reading(plan)
    noted = any("按半角读取" in n for n in again.meta.get("reader_notes", []))
    assert noted is (typing not in (indented, radicals))
    assert any("按通用汉字读取" in n for n in again.meta.get("reader_notes", [])) is (typing is radicals)
    assert not any("按半角读取" in n for n in plan.meta.get("reader_notes", []))  # an ASCII plan: no note


def test_expected_items_total():
    """The manifest's own bookkeeping: eight plans, 77 goals and measures (README says so)."""
    assert len(MANIFEST) >= 8
    assert sum(len(i["numbers"]) for s in MANIFEST.values() for i in s["expected"]["items"]) == 77


def test_the_checker_sees_a_dropped_paragraph():
    """Negative row: the same plan with its warnings removed has an unaccounted paragraph (the checker works)."""
    plan = analyse_file(REAL / "01_national_children_2001.txt", {"slug": "real-01"})
    assert unaccounted_lines(plan) == []
    plan.warnings = []
    assert [t for _n, t in unaccounted_lines(plan)] == ["改善儿童卫生保健服务,提高儿童健康水平。"]
