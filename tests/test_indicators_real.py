"""The real-plan indicator set (bench/indicators_real/expected.json) keeps the figures measured in session 11."""

import importlib.util
from pathlib import Path

SCORER = Path(__file__).resolve().parents[1] / "bench" / "indicators_real" / "score.py"


def test_real_plan_targets_are_found():
    spec = importlib.util.spec_from_file_location("indicators_real_score", SCORER)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    r = mod.score()
    # 183 targets read by hand; 181 found, 180 of them expected, 175 with every field right (see the docs)
    assert r["targets"] == 183
    assert r["detection"]["recall"] >= 0.98 and r["detection"]["precision"] >= 0.99
    assert r["exact"]["recall"] >= 0.95 and r["exact"]["precision"] >= 0.96
