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
