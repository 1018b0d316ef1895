"""Reader: encodings, refusal of empty/binary input with the line, length-preserving parse normalisation."""

import pytest

from nlp.reader import PlanFormatError, decode, for_parsing, read_plan_file

TEXT = "一、总体目标\r\n1.儿童健康水平提高。\n"


@pytest.mark.parametrize(
    "data,encoding",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gb18030"), "gb18030"),
        ("一、总体目标 \u00a0(一)①".encode("gb18030"), "gb18030"),
    ],
)
def test_decode_encodings(data, encoding):
    got = decode(data)
    assert got.encoding == encoding
    assert "\r" not in got.text and got.text.startswith("一、总体目标")


@pytest.mark.parametrize(
    "data,needle,line",
    [
        (b"", "文件为空", 1),
        (b" \n\t\n", "文件为空", 1),
        (b"line one\nline two\n\x00\x01\x02", "binary", 3),
        ("第一行\n".encode() + bytes(range(1, 9)) * 20, "control characters", 2),
        (b"\xff\xfe\xfd\xfc" * 50, "无法识别的编码", 1),
        ("一、目标\n".encode() + b"\x81\x30\xff\xff", "无法识别的编码", 2),
    ],
)
def test_decode_refuses(data, needle, line):
    with pytest.raises(PlanFormatError) as err:
        decode(data, "x.txt")
    assert needle in str(err.value) and err.value.line == line
    assert str(err.value).startswith(f"x.txt 第 {line} 行")


def test_read_missing_file_is_a_format_error(tmp_path):
    with pytest.raises(PlanFormatError, match="无法读取文件"):
        read_plan_file(tmp_path / "nope.txt")


@pytest.mark.parametrize(
    "raw,parsed",
    [
        ("１．目标", "1.目标"),
        ("（一）儿童与健康", "(一)儿童与健康"),
        ("\u3000\u00a0主要目标", "  主要目标"),
        ("１、提高", "1、提高"),
        ("到２０２５年达到９５％", "到2025年达到95%"),
        (
            "目标\uff1a任务\uff1b完成\uff01是否\uff1f分别\uff0c",
            "目标\uff1a任务\uff1b完成\uff01是否\uff1f分别\uff0c",
        ),  # meaningful full-width punctuation stays
        ("儿童。健康、教育", "儿童。健康、教育"),
    ],
)
def test_for_parsing(raw, parsed):
    out = for_parsing(raw)
    assert out == parsed and len(out) == len(raw)


@pytest.mark.parametrize(
    "typed, read, note",
    [
        ("目标\uff1a任务\uff1b分别\uff0c完成\uff01(\uff08一\uff09)", "目标:任务;分别,完成!((一))", "6 处"),
        ("达到\uff19\uff15\uff05", "达到95%", "3 处"),
        ("儿童。健康、教育“优先”《纲要》", "儿童。健康、教育“优先”《纲要》", None),  # CJK marks stay; no note
        ("\u3000\u3000主要目标", "\u3000\u3000主要目标", None),  # the paragraph's indent stays as written
    ],
)
def test_full_width_ascii_forms_are_read_as_ascii(typed, read, note):
    from nlp.readers import read_bytes

    got = read_bytes(typed.encode("utf-8"))
    assert got.text == read and len(got.text) == len(typed)
    assert [n for n in got.notes if "按半角读取" in n] == ([f"全角标点、数字和字母按半角读取: {note}"] if note else [])


# -- forms: sniffing, Word numbering, bad files refused through `kb add` with nothing written -------------------


def _pdf_encrypted() -> bytes:
    import io

    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(200, 200)
    w.encrypt("secret")
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _pdf_scanned() -> bytes:
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (400, 300), "white")
    ImageDraw.Draw(img).rectangle((40, 40, 360, 80), fill="black")  # "printed" lines, as pixels only
    out = io.BytesIO()
    img.save(out, "PDF")
    return out.getvalue()


def _zip_not_docx() -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("photo.jpg", b"\xff\xd8\xff" + bytes(100))
    return out.getvalue()


def _docx_damaged() -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<not-xml")
    return out.getvalue()


HTML_NO_PLAN = (
    "<html><head><meta charset='utf-8'><title>新闻</title></head><body><nav><a href='/'>首页</a></nav>"
    "<div class='content'><p>今天天气很好,市民纷纷外出踏青,公园里人头攒动,一派热闹景象。</p></div></body></html>"
).encode()


@pytest.mark.parametrize(
    "data,form",
    [
        (b"%PDF-1.7\n...", "pdf"),
        (b"PK\x03\x04rest", "zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "doc"),
        (b"<!DOCTYPE html><html>", "html"),
        (b"\xef\xbb\xbf  <html lang='zh'>", "html"),
        (b"<div><p>x</p></div>", "html"),
        ("一、总体目标\n1.儿童健康。".encode(), "txt"),
        (b"<<not html at all", "txt"),  # negative: a leading '<' alone is not a web page
    ],
)
def test_form_is_sniffed_from_content(data, form):
    from nlp.readers import sniff

    assert sniff(data) == form


@pytest.mark.parametrize(
    "n,fmt,shown",
    [
        (3, "decimal", "3"),
        (12, "chineseCounting", "十二"),
        (4, "chineseCountingThousand", "四"),
        (2, "decimalEnclosedCircle", "②"),
        (3, "ideographTraditional", "丙"),
        (2, "lowerLetter", "b"),
        (4, "upperRoman", "IV"),
        (5, "bullet", ""),  # negative: a bullet is not a number
    ],
)
def test_word_number_formats(n, fmt, shown):
    from nlp.readers.docx import format_number

    assert format_number(n, fmt) == shown


@pytest.mark.slow
@pytest.mark.parametrize(
    "name,make,needle",
    [
        ("plan.pdf", _pdf_encrypted, "PDF 已加密"),
        ("plan.pdf", _pdf_scanned, "没有文字层"),
        ("plan.docx", _zip_not_docx, "不是 Word 文档"),
        ("plan.docx", _docx_damaged, "Word 文档已损坏"),
        ("plan.html", lambda: HTML_NO_PLAN, "未识别出规划结构"),
        ("plan.doc", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "另存为"),
        ("plan.doc", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"), "已加密"),
        ("plan.txt", lambda: __import__("os").urandom(50 * 1024 * 1024), "不是文本文件"),
        ("plan.pdf", lambda: b"%PDF-1.4\n garbage", "PDF 文件已损坏"),
    ],
    ids=["encrypted-pdf", "scanned-pdf", "zip", "damaged-docx", "html-no-plan", "doc", "encrypted-doc", "noise", "pdf"],
)
def test_bad_files_refused_and_nothing_written(kb_data, tmp_path, capsys, name, make, needle):
    from kb.cli import main

    path = tmp_path / name
    path.write_bytes(make())
    assert main(["add", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误: ") and needle in err and "Traceback" not in err
    assert not list((kb_data / "plans").glob("*")) if (kb_data / "plans").exists() else True
    assert not any(kb_data.rglob("*.sqlite"))
