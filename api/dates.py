"""Days named in request parameters: YYYY-MM-DD and nothing else (archive.dates), as a pydantic type.

Pydantic's date also takes Unix timestamps (1775088000), datetimes with a zero time
(2026-04-02T00:00) and digits (20260402); Python's date.fromisoformat takes the basic and week forms
(20260402, 2026-W14-4). A date in a citable URL should have one spelling, so those are refused with a
detail that names the format.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from archive.dates import parse_day


def _strict_date(value: object) -> object:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value  # already a date (a Python caller, not a request)
    try:
        return parse_day(value if isinstance(value, str) else str(value))
    except ValueError as exc:
        # A custom error type keeps pydantic's "Value error, " prefix out of the detail.
        raise PydanticCustomError("date_format", "{reason}", {"reason": str(exc)}) from None


IsoDate = Annotated[dt.date, BeforeValidator(_strict_date)]
