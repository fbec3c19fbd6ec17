"""Days named in requests: YYYY-MM-DD and nothing else, in the API and the pages alike.

Pydantic's date also takes Unix timestamps (1775088000), datetimes with a zero time
(2026-04-02T00:00) and digits (20260402); Python's date.fromisoformat takes the basic and week forms
(20260402, 2026-W14-4). A date in a citable URL should have one spelling, so those are refused with a
detail that names the format.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError
from sqlalchemy.orm import Session

from archive import types as t
from archive.db import storage
from archive.errors import VersionNotFound

DATE_FORMAT = "YYYY-MM-DD"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(value: str) -> dt.date:
    """The day `value` names; ValueError (one line, naming the format) for anything else."""
    shown = value[:40]
    if not _DATE.fullmatch(value):
        raise ValueError(f"'{shown}' is not a date ({DATE_FORMAT})")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{shown}' is not a date ({DATE_FORMAT}): no such day") from None


def _strict_date(value: object) -> object:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value  # already a date (a Python caller, not a request)
    try:
        return parse_date(value if isinstance(value, str) else str(value))
    except ValueError as exc:
        # A custom error type keeps pydantic's "Value error, " prefix out of the detail.
        raise PydanticCustomError("date_format", "{reason}", {"reason": str(exc)}) from None


IsoDate = Annotated[dt.date, BeforeValidator(_strict_date)]


def resolve_ref(session: Session, slug: str, ref: str) -> t.VersionInfo:
    """storage.resolve_version (a label, or a date meaning the version then in force), but a date
    only as YYYY-MM-DD: the storage function hands anything else to date.fromisoformat."""
    try:
        return storage.get_version(session, slug, ref)
    except VersionNotFound:
        if not _DATE.fullmatch(ref):
            raise VersionNotFound(f"policy '{slug}' has no version '{ref}' (give a label or {DATE_FORMAT})") from None
    return storage.resolve_version(session, slug, ref)
