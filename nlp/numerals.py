"""Chinese numerals as the genre writes them in headings (一 … 九十九) and back."""

from __future__ import annotations

CN_DIGITS = "零一二三四五六七八九十"
CN_CLASS = "[一二三四五六七八九十]{1,3}"  # a regex class for a heading numeral


def cn_number(s: str) -> int:
    """Chinese numeral up to 99 (一, 十二, 二十三) or ASCII digits → int."""
    if s.isdigit():
        return int(s)
    tens, ten, ones = s.partition("十")
    if (len(s) == 1 or ten) and len(tens) <= 1 and len(ones) <= 1 and ones != "十":
        if not ten:
            return CN_DIGITS.index(s)
        return (CN_DIGITS.index(tens) if tens else 1) * 10 + (CN_DIGITS.index(ones) if ones else 0)
    # A garbled numeral (二二, 十十): read digit by digit, so the numbering check flags it instead of failing.
    return int("".join(str(CN_DIGITS.index(c) % 10) for c in s))


def cn_numeral(n: int) -> str:
    """int 1..99 → Chinese numeral."""
    if n <= 10:
        return CN_DIGITS[n] if n < 10 else "十"
    tens, ones = divmod(n, 10)
    return (CN_DIGITS[tens] if tens > 1 else "") + "十" + (CN_DIGITS[ones] if ones else "")
