"""CPU-seconds of the nlp analysis: a cold process's loads and first plan, then per stage of a warm plan.

    .venv/bin/python bench/analysis_bench.py [--plans 6] [--rounds 2] [--against REF] [--dir PLANS_DIR]

Plans are bench/scale_corpus.py's distinct plans (or the .txt files of --dir, e.g. tests/fixtures/real). Each run
is a fresh process: it analyses one plan cold (imports, dictionaries, spaCy, the first plan's caches), then the
others warm, as a build's pool worker does, and reports the warm CPU-s per plan by stage. With --against, the same
runs alternate with the code of a git ref (exported to a temporary folder, put first on PYTHONPATH) and the ratios
to it are printed. Nothing is asserted; CPU-seconds survive a loaded machine better than wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from scale_corpus import write_corpus  # noqa: E402

# One process: cold loads + first plan, then warm plans with each stage of nlp.pipeline.analyse timed.
CHILD = """
import json, sys, time
t = time.process_time()
import nlp.pipeline as P
from nlp.reader import read_plan_file
from pathlib import Path
out = {"import": time.process_time() - t}
acc = {}
def timed(name, fn):
    def run(*a, **k):
        t = time.process_time()
        try:
            return fn(*a, **k)
        finally:
            acc[name] = acc.get(name, 0.0) + time.process_time() - t
    return run
for name in ("normalise", "segment", "find_repairs", "build_items"):
    setattr(P, name, timed(name, getattr(P, name)))
P.TAGGERS[:] = [(name, timed(name, fn)) for name, fn in P.TAGGERS]
FORGET = sys.argv[1] == "forget"
files = [Path(f) for f in sys.argv[2:]]
texts = [(read_plan_file(f).text, P.load_meta(f)) for f in files]
t = time.process_time()
P.analyse(*texts[0])
out["cold first plan"] = time.process_time() - t
acc.clear()
t = time.process_time()
def forget():
    # empty the per-text memo caches of nlp (lru_cache with a size above 1; data loaders keep theirs)
    for mod in [m for name, m in sys.modules.items() if name.startswith("nlp.")]:
        for f in vars(mod).values():
            if hasattr(f, "cache_parameters") and f.cache_parameters()["maxsize"] not in (None, 1):
                f.cache_clear()
for raw, meta in texts[1:]:
    if FORGET:
        forget()
    P.analyse(raw, meta)
out["warm plan"] = (time.process_time() - t) / (len(texts) - 1)
out.update({k: v / (len(texts) - 1) for k, v in acc.items()})
print(json.dumps(out))
"""


def run(files: list[Path], pythonpath: str | None, forget: bool = False) -> dict[str, float]:
    """One fresh process over the files (first cold, the rest warm; with forget, no memo shared between plans)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    cmd = [sys.executable, "-c", CHILD, "forget" if forget else "keep", *map(str, files)]
    out = subprocess.run(cmd, cwd=tempfile.gettempdir(), env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(out.stderr[-3000:])
    return json.loads(out.stdout.splitlines()[-1])


def export(ref: str, dest: Path) -> str:
    """The tree of a git ref, written under dest; its path."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    tree = dest / "ref"
    tree.mkdir()
    tar = dest / "ref.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as t:
        t.extractall(tree, filter="data")
    return str(tree)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plans", type=int, default=6, help="plans per run: the first cold, the rest warm")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--against", help="a git ref to time alternately in the same run (e.g. main)")
    ap.add_argument("--dir", help="analyse these .txt plans instead of scale_corpus's")
    ap.add_argument(
        "--forget", action="store_true", help="empty nlp's per-text memo caches before each warm plan (no shared text)"
    )
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if a.dir:
            files = sorted(Path(a.dir).resolve().glob("*.txt"))[: a.plans]
        else:
            files = write_corpus(a.plans + 1, Path(tmp) / "plans")[: a.plans]
        codes: dict[str, str | None] = {"this tree": str(ROOT)}
        if a.against:
            codes = {a.against: export(a.against, Path(tmp)), **codes}
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in codes}
        for _ in range(a.rounds):
            for name, path in codes.items():  # alternating, so both see the same machine load
                runs[name].append(run(files, path, a.forget))
    print(
        f"{len(files)} plans a run ({len(files) - 1} warm), {a.rounds} rounds; load {os.getloadavg()[0]:.1f} at the end"
    )
    print(
        f"{'CPU-s (median of rounds)':<26}"
        + "".join(f"{name:>14}" for name in codes)
        + ("   ratio" if a.against else "")
    )
    keys = list(runs["this tree"][0])
    for key in keys:
        med = {name: statistics.median(r.get(key, 0.0) for r in rs) for name, rs in runs.items()}
        ratio = f"{med['this tree'] / med[a.against]:8.2f}" if a.against and med[a.against] else ""
        print(f"  {key:<24}" + "".join(f"{med[name]:14.3f}" for name in codes) + ratio)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
