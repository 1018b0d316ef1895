"""Downloads at 1× and N× (run on demand, not a test): each download's wall, CPU and peak memory, and an A/B of
the xlsx writers on the whole corpus, with ratios measured in the same run.

    .venv/bin/python bench/export_bench.py [--scaled DIR | --times 100 --keep DIR] [--repeat 3]

1× is the data dir of KB_DATA_DIR (built first when missing); N× is DIR, a data dir whose live build is the KB
replicated N times (bench/page_bench.py --keep makes one: DIR/x100), else one replicated into --keep.
Downloads: every download of bench/scale_pages.py (one plan, then the whole corpus), each in a fresh process
through the Flask test client with the state's cached files removed first: status, the first request (rendered:
wall, CPU of the request thread, peak RSS growth) and the second (the cached file sent).
xlsx A/B: the whole corpus's tables rendered by the streamed writer (kb.exports.xlsx.write_xlsx, to a file) and
by xlsxwriter's cell path in memory and in constant_memory mode, each in a fresh process, --repeat rounds
interleaved, medians. Load averages are printed before and after. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))

WRITERS = ("stream", "xlsxwriter", "constant_memory")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE / 2**20


class PeakRSS:
    """The peak growth of this process's RSS while the block runs (sampled every 5 ms by a thread)."""

    def __enter__(self) -> PeakRSS:
        self.base = self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())

    @property
    def mb(self) -> float:
        return self.peak - self.base


def child_download(url: str) -> dict:
    """One download twice in this process: rendered (the state's cache was cleared), then sent from the cache."""
    from webapp import create_app

    client = create_app().test_client()
    wall = time.perf_counter()
    client.get("/api/plans")  # loads the reviewed state, which a serving worker holds warm (kb serve preloads it)
    out: dict = {"state_s": time.perf_counter() - wall}
    for label in ("first", "cached"):
        with PeakRSS() as mem:
            wall, cpu = time.perf_counter(), time.thread_time()
            resp = client.get(url)
            body = resp.get_data()
            wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        out[label] = {"status": resp.status_code, "wall": wall, "cpu": cpu, "peak_mb": mem.mb, "bytes": len(body)}
    return out


def child_writer(writer: str, out_dir: str) -> dict:
    """The whole corpus's xlsx by one writer, after the tables are built (their memory is not counted)."""
    from kb.exports import Filters, build_tables, xlsx
    from kb.store import KB

    with KB() as kb:
        tables = build_tables(kb, "plan", Filters())
    path = Path(out_dir) / f"{writer}.xlsx"
    with PeakRSS() as mem:
        wall, cpu = time.perf_counter(), time.thread_time()
        if writer == "stream":
            with open(path, "wb") as fh:
                xlsx.write_xlsx(tables, fh)
        else:
            path.write_bytes(xlsx.render_by_xlsxwriter(tables, constant_memory=writer == "constant_memory"))
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    res = {"wall": wall, "cpu": cpu, "peak_mb": mem.mb}
    res |= {"bytes": path.stat().st_size, "rows": len(tables[0].rows)}
    path.unlink()
    return res


def _run(data: Path, *args: str) -> dict:
    env = dict(os.environ, KB_DATA_DIR=str(data))
    proc = subprocess.run([sys.executable, __file__, *args], cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"{args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _urls(data: Path) -> list[str]:
    env = dict(os.environ, KB_DATA_DIR=str(data))
    code = "import json, scale_pages; print(json.dumps([u for u in scale_pages.page_urls() if '/download/' in u]))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO / "bench", env=env, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _clear_cache(data: Path) -> None:
    from kb.exports.cache import FOLDER

    shutil.rmtree((data / "current").resolve() / FOLDER, ignore_errors=True)


def _scaled(base: Path, args: argparse.Namespace) -> Path:
    if args.scaled:
        return Path(args.scaled)
    from page_bench import scale_dir

    root = Path(args.keep)
    if not (root / f"x{args.times}").exists():
        scale_dir(next((base / "current").resolve().glob("kb.sqlite")), args.times, root)
    return root / f"x{args.times}"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}×" if b > 0 else "–"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scaled", help="an N× data dir (page_bench.py --keep DIR makes DIR/x100)")
    ap.add_argument("--times", type=int, default=100)
    ap.add_argument("--keep", default="/tmp/export-bench", help="where to replicate N× when --scaled is not given")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds of the xlsx A/B")
    ap.add_argument("--no-downloads", action="store_true")
    args = ap.parse_args()
    from kb import paths

    if paths.kb_db_path() is None:
        from kb.build import build

        build()
    base = paths.data_dir()
    scales = {"1×": base, f"{args.times}×": _scaled(base, args)}
    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
    for name, data in scales.items():
        print(f"{name}: {data}")
    n = f"{args.times}×"
    if not args.no_downloads:
        print(f"\n== downloads: first request (rendered) and cached; wall s / CPU s / peak MB; ratio {n} to 1× ==")
        print(f"{'download':<58}{'scale':>6}{'status':>7}{'wall':>8}{'CPU':>8}{'peak':>8}{'cached':>8}{'MB':>8}")
        state: dict[str, list[float]] = {}
        for urls in zip(*(_urls(data) for data in scales.values()), strict=True):  # the same download per scale
            got: dict[str, dict] = {}
            for url, (name, data) in zip(urls, scales.items(), strict=True):
                _clear_cache(data)
                got[name] = r = _run(data, "--child-download", url)
                state.setdefault(name, []).append(r["state_s"])
                f, c = r["first"], r["cached"]
                status = f"{f['status']}/{c['status']}"
                print(
                    f"{url:<58}{name:>6}{status:>7}{f['wall']:>8.2f}{f['cpu']:>8.2f}{f['peak_mb']:>8.0f}"
                    f"{c['wall']:>8.3f}{f['bytes'] / 1e6:>8.2f}",
                    flush=True,
                )
            a, b = got[n]["first"], got["1×"]["first"]
            print(f"{'':<58}{'ratio':>6}{'':>7}{_ratio(a['wall'], b['wall']):>8}{_ratio(a['cpu'], b['cpu']):>8}")
        for name, times in state.items():
            print(
                f"the app's first request (the reviewed state loaded, not counted in the download), {name}: median "
                f"{statistics.median(times):.2f} s wall"
            )
    print(f"\n== xlsx writers, whole corpus, fresh process each, median of {args.repeat} interleaved rounds ==")
    print(f"{'writer':<18}{'scale':>6}{'rows':>8}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}{'MB':>8}{'CPU / stream':>14}")
    tmp = Path(args.keep) / "ab"
    tmp.mkdir(parents=True, exist_ok=True)
    for name, data in scales.items():
        runs: dict[str, list[dict]] = {w: [] for w in WRITERS}
        for _ in range(args.repeat):
            for w in WRITERS:
                runs[w].append(_run(data, "--child-writer", w, str(tmp)))
        stream_cpu = statistics.median(r["cpu"] for r in runs["stream"])
        for w in WRITERS:
            med = {k: statistics.median(r[k] for r in runs[w]) for k in ("wall", "cpu", "peak_mb", "bytes")}
            print(
                f"{w:<18}{name:>6}{runs[w][0]['rows']:>8}{med['wall']:>9.2f}{med['cpu']:>9.2f}{med['peak_mb']:>9.0f}"
                f"{med['bytes'] / 1e6:>8.2f}{_ratio(med['cpu'], stream_cpu):>14}",
                flush=True,
            )
    print(f"\nload after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child-download":
        print(json.dumps(child_download(sys.argv[2])))
    elif len(sys.argv) > 3 and sys.argv[1] == "--child-writer":
        print(json.dumps(child_writer(sys.argv[2], sys.argv[3])))
    else:
        raise SystemExit(main())
