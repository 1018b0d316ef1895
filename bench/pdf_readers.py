"""Which PDF library reads printed plans best: pdfplumber vs pypdf vs pdfminer.six on chromium-printed PDFs.

Prints, per library: extraction time (median of 3), share of the source's characters recovered in order
(difflib ratio over the text with whitespace removed), and spaces next to a CJK character or
full-width mark in the output (the sources' own count is printed as the baseline).
Run: .venv/bin/python bench/pdf_readers.py   (needs /usr/bin/chromium)
"""

from __future__ import annotations

import difflib
import io
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from forms import CHROMIUM, CHROMIUM_ARGS, to_pdf  # noqa: E402

from nlp.reader import read_plan_file  # noqa: E402


def with_pdfplumber(data: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(p.extract_text() or "" for p in pdf.pages)


def with_pypdf(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)


def with_pdfminer(data: bytes) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(io.BytesIO(data))


def main() -> None:
    from playwright.sync_api import sync_playwright

    sources = [ROOT / "corpus" / "yiyang-children-2021-2025.txt", *sorted((ROOT / "tests/fixtures/real").glob("*.txt"))]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pdfs = [(s.name, read_plan_file(s).text, to_pdf(read_plan_file(s).text, browser)) for s in sources]
        browser.close()
    base = sum(len(re.findall(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])", src)) for _n, src, _d in pdfs)
    print(f"baseline: the source texts have {base} such spaces")
    print(f"{'library':12} {'files':>5} {'ms (all files)':>15} {'chars recovered':>16} {'spaces by CJK':>14}")
    for name, fn in (("pdfplumber", with_pdfplumber), ("pypdf", with_pypdf), ("pdfminer.six", with_pdfminer)):
        times, ratios, spaced = [], [], 0
        for _ in range(3):
            t0 = time.perf_counter()
            outs = [fn(data) for _n, _src, data in pdfs]
            times.append((time.perf_counter() - t0) * 1000)
        for (_n, src, _d), out in zip(pdfs, outs, strict=True):
            a, b = "".join(src.split()), "".join(out.split())
            ratios.append(difflib.SequenceMatcher(None, a, b, autojunk=False).ratio())
            spaced += len(re.findall(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])", out))
        print(
            f"{name:12} {len(pdfs):>5} {statistics.median(times):>15.0f} {statistics.mean(ratios):>16.4f} {spaced:>14}"
        )


if __name__ == "__main__":
    main()
