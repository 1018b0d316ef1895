"""bench/repair_check.py scores like the eval scorer and says what became of each miss."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import repair_check

PLAN = Path(__file__).parent / "fixtures" / "plans" / "review-mini.txt"


@pytest.mark.parametrize(
    "rows,expected",
    [
        # the applied 我 → 我市 is confirmed; the lost stop after the title is only suggested: a classified miss
        (
            [("提升我儿童医疗", "提升我市儿童医疗"), ("发展成果加强控辍", "发展成果。加强控辍")],
            (1.0, 0.5, {"stop: suggested (title_stop_other)": 1}),
        ),
        # a defect no method proposes anything for
        (
            [("提升我儿童医疗", "提升我市儿童医疗"), ("医院建设", "医院的建设")],
            (1.0, 0.5, {"character/mark: no candidate": 1}),
        ),
        # negative: a gold that lists nothing makes the applied edit unconfirmed
        ([], (0.0, 0.0, {})),
    ],
)
def test_check_scores_and_classifies_misses(tmp_path, rows, expected):
    gold = {"repairs": [{"raw": a, "fixed": b} for a, b in rows]}
    (tmp_path / "repairs.gold.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    r = repair_check.check(PLAN, tmp_path)
    assert (r["precision"], r["recall"], r["missed_by_class"]) == expected


@pytest.mark.parametrize(
    "body_stops,expected",
    [
        # a body_stops row is scored only when asked for: the suggested stop is then a miss
        (False, (1.0, 1.0, {})),
        (True, (1.0, 0.5, {"stop: suggested (title_stop_other)": 1})),
    ],
)
def test_body_stops_are_scored_only_when_asked(tmp_path, body_stops, expected):
    gold = {
        "repairs": [{"raw": "提升我儿童医疗", "fixed": "提升我市儿童医疗"}],
        "body_stops": [{"raw": "发展成果加强控辍", "fixed": "发展成果。加强控辍"}],
    }
    (tmp_path / "repairs.gold.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    r = repair_check.check(PLAN, tmp_path, body_stops=body_stops)
    assert (r["precision"], r["recall"], r["missed_by_class"]) == expected


def test_title_rates_count_each_class_inside_the_regions(tmp_path):
    # No gold edit: every proposed title stop of the fixture is counted, none listed.
    (tmp_path / "repairs.gold.json").write_text(json.dumps({"repairs": []}), encoding="utf-8")
    rates = repair_check.title_rates(PLAN, tmp_path)
    assert rates and all(k == 0 and n > 0 for k, n in rates.values())


@pytest.mark.parametrize(
    "rows,listed",
    [
        # the mini plan's one title stop (发展成果|加强控辍), listed by the gold: counted listed, with or without a cue
        ([("发展成果加强控辍", "发展成果。加强控辍")], 1),
        # negative: a gold that lists nothing counts every title stop as proposed and unlisted
        ([], 0),
    ],
)
def test_title_features_split_each_cue_by_presence(tmp_path, rows, listed):
    gold = {"repairs": [{"raw": a, "fixed": b} for a, b in rows]}
    (tmp_path / "repairs.gold.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    cues = repair_check.title_features(PLAN, tmp_path)
    assert cues and all(k1 + k0 == listed and n1 + n0 == 1 for k1, n1, k0, n0 in cues.values())


@pytest.mark.parametrize(
    "genre_text,expected",
    [
        # the gold row restores 提高; the genre's intact text writes it whole twice
        ("不断提高儿童健康水平。提高覆盖率。", 2),
        # negative: intact text without the word gives it no support
        ("完善儿童健康服务体系。", 0),
    ],
)
def test_genre_coverage_counts_restored_words_in_intact_text(tmp_path, genre_text, expected):
    (tmp_path / "tests" / "fixtures" / "real").mkdir(parents=True)
    (tmp_path / "tests" / "fixtures" / "real" / "a.txt").write_text(genre_text, encoding="utf-8")
    gold = {"repairs": [{"raw": "不断提儿童", "fixed": "不断提高儿童", "kind": "dropped_char"}]}
    (tmp_path / "repairs.gold.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    rows = {w: (src, g) for src, w, _f, g, _p in repair_check.genre_coverage(PLAN, tmp_path, tmp_path)}
    assert rows["提高"] == ("gold", expected)
    assert rows["我市"][0] == "lone_wo"  # a repairs.tsv rule's word, {level} read as 市
