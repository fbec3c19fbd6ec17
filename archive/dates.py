"""Days as the archive reads them from people and files: YYYY-MM-DD and nothing else.

Python's date.fromisoformat also takes the basic and week forms (20260402, 2026-W14-4): a date in a
citation, a URL or a manifest should have one spelling, so those are refused with a message that
names the format, and a well-formed day that does not exist (2026-02-30) says so.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

DATE_FORMAT = "YYYY-MM-DD"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def is_day(value: str) -> bool:
    """Whether `value` is spelled as a day (YYYY-MM-DD), real or not."""
    return bool(_DATE.fullmatch(value))


def parse_day(value: str) -> dt.date:
    """The day `value` names; ValueError (one line, naming the format) for anything else."""
    shown = value[:40]
    if not is_day(value):
        raise ValueError(f"'{shown}' is not a date ({DATE_FORMAT})")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{shown}' is not a date ({DATE_FORMAT}): no such day, {_why(value)}") from None


def _why(value: str) -> str:
    """What is wrong with a day spelled right: 'there is no month 13', 'February 2026 has 28 days'."""
    year, month, day = map(int, value.split("-"))
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    if year == 0:
        return "there is no year 0"
    if day == 0:
        return "there is no day 0"
    return f"{calendar.month_name[month]} {year} has {calendar.monthrange(year, month)[1]} days"
