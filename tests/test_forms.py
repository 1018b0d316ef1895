"""The default plan and the real excerpts in the forms plans arrive in parse like their text: Word (.docx and a
legacy .doc), saved web page, run-on text (space-joined or with no separator at all) and a PDF printed from a narrow
page (hard-wrapped lines, page header and numbers)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from forms import run_on, to_doc, to_docx, to_html, to_pdf
from kb_cache import default_analysis
from kb_helpers import copy_analyses

from nlp.pipeline import analyse_file
from nlp.reader import read_plan_file

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "corpus" / "yiyang-children-2021-2025.txt"
REAL = sorted((ROOT / "tests" / "fixtures" / "real").glob("*.txt"))
WRITERS = {
    "docx": lambda t: to_docx(t),
    "html": lambda t: to_html(t).encode(),
    "runon.txt": lambda t: run_on(t).encode(),
    "runon_bare.txt": lambda t: run_on(t, sep="").encode(),  # every line break removed, nothing in its place
}


def key(plan) -> list[tuple]:
    """What must not change with the form: each goal's and measure's domain, kind, number and title."""
    return [(i.domain, i.kind, i.number, i.title) for i in plan.items if i.kind in ("goal", "measure")]


@pytest.fixture(scope="module")
def default_key():
    """The key of the text's analysis (the session's cached build made it; the slug is not in the key)."""
    return key(default_analysis())


@pytest.mark.slow
@pytest.mark.parametrize("form", sorted(WRITERS))
def test_default_plan_in_every_form(form, default_key, tmp_path):
    path = tmp_path / f"plan.{form}"
    path.write_bytes(WRITERS[form](read_plan_file(DEFAULT).text))
    plan = analyse_file(path, {"slug": "p"})
    assert len(default_key) == 160
    assert key(plan) == default_key
    assert plan.meta["form"] == ("txt" if form.endswith("txt") else form)
    assert bool(plan.meta["layout"]) == form.startswith("runon")  # only run-on text needs layout fixes


@pytest.mark.slow
@pytest.mark.parametrize("src", REAL, ids=lambda p: p.name[:2])
@pytest.mark.parametrize("form", sorted(WRITERS))
def test_real_excerpts_in_every_form(form, src, tmp_path):
    path = tmp_path / f"plan.{form}"
    path.write_bytes(WRITERS[form](read_plan_file(src).text))
    assert key(analyse_file(path, {"slug": "p"})) == key(analyse_file(src, {"slug": "p"}))


@pytest.mark.browser
def test_default_plan_printed_to_a_narrow_pdf(browser, default_key, tmp_path):
    path = tmp_path / "plan.pdf"
    path.write_bytes(to_pdf(read_plan_file(DEFAULT).text, browser))
    plan = analyse_file(path, {"slug": "p"})
    assert key(plan) == default_key
    rules = {f["rule"] for f in plan.meta["layout"]}
    assert "hard_wrap" in rules  # the narrow page wrapped lines, and layout rejoined them
    assert "市人民政府文件" not in plan.raw_text  # the running header is gone
    assert any("页眉" in n for n in plan.meta["reader_notes"])


@pytest.mark.browser
@pytest.mark.parametrize("src", REAL, ids=lambda p: p.name[:2])
def test_real_excerpts_printed_to_pdf(browser, src, tmp_path):
    path = tmp_path / "plan.pdf"
    path.write_bytes(to_pdf(read_plan_file(src).text, browser))
    assert key(analyse_file(path, {"slug": "p"})) == key(analyse_file(src, {"slug": "p"}))


def test_kb_add_stores_the_file_in_its_form_and_lists_warnings(kb_data, built_kb, capsys, tmp_path):
    from kb.cli import main
    from kb.store import KB

    copy_analyses(built_kb, kb_data)  # the default plan's analysis as a build before left it; the page is new

    page = tmp_path / "saved-page.htm"
    page.write_bytes(to_html(read_plan_file(ROOT / "tests/fixtures/real/05_national_women_2021.txt").text).encode())
    assert main(["add", str(page), "--slug", "women-2021-p5", "--title", "中国妇女发展纲要(2021—2030年)"]) == 0
    err = capsys.readouterr().err
    assert "读取: 网页正文已提取" in err and "警告: 第 " in err and "领域留空" in err
    assert (kb_data / "plans" / "women-2021-p5.html").read_bytes() == page.read_bytes()  # as published, sniffed form
    with KB() as kb:
        plan = kb.plan("women-2021-p5")
        assert plan["meta"]["form"] == "html" and any("领域留空" in w for w in plan["warnings"])
        assert [i["number"] for i in kb.items(plan="women-2021-p5") if i["kind"] == "measure"] == [9, 10, 11, 12]


# slow: LibreOffice writes the whole plan as a .doc, then it is converted back and analysed; the fast subset keeps
# both converters on a short real .doc (test_antiword_loses_word_numbering_and_says_so) and the other forms
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (scripts/test.sh installs it) is missing")
@pytest.mark.parametrize(
    ("converter", "auto_numbers"),
    [("soffice", True), ("antiword", False)],
    ids=["libreoffice-automatic-numbering", "antiword-typed-numbers"],
)
def test_legacy_doc_reads_like_the_text(converter, auto_numbers, default_key, tmp_path, monkeypatch):
    """A real Word 97 .doc (written by LibreOffice) read by each converter yields the text's goals and measures."""
    from nlp.readers import legacy

    if shutil.which(converter) is None:
        pytest.skip(f"{converter} is missing")
    path = tmp_path / "plan.doc"
    path.write_bytes(to_doc(to_docx(read_plan_file(DEFAULT).text, auto_numbers, list_definitions=True), tmp_path))
    chosen = legacy.read_doc
    monkeypatch.setattr(legacy, "read_doc", lambda data, p: chosen(data, p, converter=converter))
    plan = analyse_file(path, {"slug": "p"})
    assert plan.meta["form"] == "doc"
    assert key(plan) == default_key
    assert any(("LibreOffice" if converter == "soffice" else "antiword") in n for n in plan.meta["reader_notes"])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("antiword") is None or shutil.which("soffice") is None, reason="converters missing")
def test_antiword_loses_word_numbering_and_says_so(tmp_path):
    """Automatic numbering survives LibreOffice but not antiword: the fallback's note tells the reader."""
    from nlp.readers.legacy import read_doc

    lines = ["一、儿童与健康", "主要目标"] + [f"{n}.儿童健康素养水平提升{n}。" for n in range(1, 40)]
    data = to_doc(to_docx("\n".join(lines), list_definitions=True), tmp_path)
    full, _ = read_doc(data, None, converter="soffice")
    bare, notes = read_doc(data, None, converter="antiword")
    assert "2.儿童健康素养水平提升2。" in full.splitlines()  # antiword needs a document of some length
    assert "儿童健康素养水平提升2。" in bare.splitlines() and "2.儿童健康素养水平提升2。" not in bare
    assert "自动编号不会保留" in notes[0]
