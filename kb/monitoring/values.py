"""Monitoring values as users type them: the years an indicator can be observed, numbers with units, checks."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from kb import monitoring as mon


class ObservationError(ValueError):
    """A value, unit or year a user can correct; the message is shown as is."""


@dataclass
class Entry:
    """One validated change: value None clears the year's observation."""

    indicator: str
    year: int
    value: float | None
    unit: str | None = None
    source: str = ""
    note: str = ""


def years_of(ind: dict[str, Any]) -> list[int]:
    """Years an indicator can be observed: the baseline year through the later of plan end and target year."""
    start, end = ind["period"]
    first = min(start - mon.rules()["baseline_offset"], mon.baseline_year(ind, ind["period"]))
    return list(range(first, max(end, mon.target_year(ind, ind["period"])) + 1))


# -- values and units ----------------------------------------------------------------------------
_NUMBER = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?|[+-]?\.\d+)\s*(\S.*?)?\s*$")
_DIGITS = re.compile(r"[+-]?[\d,.]+")  # the number a user typed, before its unit
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")  # 1,234 / 12,345.6: thousands separators
_EXPONENT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d")
# Larger than any count, amount or rate a city's plan monitors (its population, its budget in yuan): beyond this a
# number is a typo or a test of the form, and storing it would skew every chart and assessment of the indicator.
MAX_VALUE = 1e12


def _plain_number(text: str) -> str:
    """The typed text with thousands separators removed; an ObservationError for a comma that is not one.

    In Chinese statistics the point is the decimal mark and the comma groups thousands. A comma elsewhere
    ("12,5") is a typo or a European decimal comma: reading it as 125 or as 12.5 would both be guesses, and a
    wrong value silently changes the indicator's assessment, so it is refused with the two correct spellings.
    """
    s = unicodedata.normalize("NFKC", text).strip()
    head = _DIGITS.match(s)
    if head and "," in head.group():
        if not _GROUPED.fullmatch(head.group()):
            raise ObservationError(
                f"数值“{text.strip()}”中的逗号无法识别:小数请用小数点(如 12.5),千位分隔请每三位一个逗号(如 1,234)"
            )
        s = s.replace(",", "")
    if _EXPONENT.match(s):
        raise ObservationError(f"请填写普通写法的数字(如 95 或 0.5),不接受科学计数法“{text.strip()}”")
    return s


def parse_value(text: Any) -> tuple[float, str | None]:
    """'95%' → (95.0, '%'); '5 ‰' → (5.0, '‰'); 3 → (3.0, None); anything else is an ObservationError."""
    if isinstance(text, bool):
        raise ObservationError(f"无法识别的数值“{text}”")
    if isinstance(text, (int, float)):
        value, unit = float(text), None
    else:
        m = _NUMBER.match(_plain_number(str(text)))
        if not m:
            raise ObservationError(f"无法识别的数值“{str(text).strip()}”,请填写数字,如 95 或 95%")
        value, unit = float(m.group(1)), mon.norm_unit(m.group(2))
    if not math.isfinite(value) or abs(value) > MAX_VALUE:
        raise ObservationError(f"数值过大:“{str(text).strip()[:30]}”,请填写实际的统计数值(不超过 1 万亿)")
    return value, unit


def _family(unit: str | None) -> dict[str, float] | None:
    return next((f for f in mon.rules()["unit_families"] if unit in f), None)


def check(
    ind: dict[str, Any], year: int, value: float, unit: str | None, convert: bool = False, known_unit: str | None = None
) -> tuple[float, str | None, str]:
    """Validate one observation against its indicator: (value, unit, note) in the target's unit, or an error."""
    years = years_of(ind)
    if year not in years:
        raise ObservationError(f"年度 {year} 不在监测期内(应为 {years[0]}–{years[-1]} 年)")
    if value < 0:
        raise ObservationError(f"数值不能为负: {mon.fmt(value)}")
    expected = mon.observation_unit(ind) or known_unit
    unit, note = mon.norm_unit(unit), ""
    if unit is None:
        unit = expected
    elif expected is not None and unit != expected:
        fam = _family(unit)
        if fam is None or expected not in fam:
            raise ObservationError(f"单位不符: 该指标以“{expected}”计,输入的是“{unit}”")
        factor = fam[unit] / fam[expected]
        if not convert:
            raise ObservationError(
                f"单位不符: 该指标以“{expected}”计,输入的是“{unit}”"
                f"(1{unit} = {mon.fmt(factor)}{expected}),请换算后填写或选择自动换算"
            )
        note = f"由 {mon.fmt(value)}{unit} 换算"
        value, unit = round(value * factor, 10), expected
    cap = mon.rules()["rate_max"].get(unit or "")
    if cap is not None and value > cap and not re.search(mon.rules()["rate_max_exempt"], ind["name"]):
        raise ObservationError(f"数值 {mon.fmt(value)}{unit} 超出合理范围(不应大于 {cap}{unit})")
    return value, unit, note


MAX_SOURCE = 500  # characters of a 数据来源; a longer one is refused, not stored and shown everywhere


def make_entry(
    ind: dict[str, Any],
    year: Any,
    raw: Any,
    unit: str | None = None,
    source: str = "",
    convert: bool = False,
    known_unit: str | None = None,
) -> Entry:
    """Parse and check a user's input (year and value as typed) into an Entry."""
    try:
        text = str(year).strip()
        year = int(text) if len(text) <= 8 else -1  # a 5,000-digit "year" is not parsed at all
    except ValueError:
        raise ObservationError(f"无法识别的年度“{str(year)[:20]}”") from None
    if not 1900 <= year <= 2200:  # also keeps a huge integer away from SQLite (an OverflowError, a 500)
        raise ObservationError(f"年度“{year}”不在 1900–2200 之间")
    if len(source or "") > MAX_SOURCE:
        raise ObservationError(f"数据来源最长 {MAX_SOURCE} 字")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Entry(ind["id"], year, None, source=source.strip())
    value, typed_unit = parse_value(raw)
    if unit and typed_unit and mon.norm_unit(unit) != typed_unit:
        raise ObservationError(f"数值自带单位“{typed_unit}”与所选单位“{unit}”不一致")
    value, unit, note = check(ind, year, value, typed_unit or unit, convert, known_unit)
    return Entry(ind["id"], year, value, unit, source.strip(), note)
