"""What every command shares: the engine, one-line errors, JSON output."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from typing import Any, NoReturn

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from archive.db.engine import ensure_schema, make_engine
from archive.errors import ArchiveError
from archive.settings import get_settings


def nonempty(value: str | None) -> str | None:
    """Option callback: a value given empty (--policy '') is a mistake, not the option left out,
    which would widen the command to everything."""
    if value is not None and not value.strip():
        raise typer.BadParameter("is empty")
    return value


# An error line echoes what was given: a 100,000-character argument must not make it 100 KB.
MAX_ERROR_CHARS = 400


def fail(message: str, code: int = 1) -> NoReturn:
    if len(message) > MAX_ERROR_CHARS:
        message = message[: MAX_ERROR_CHARS - 1] + "…"
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def errors_as_exit(code: int = 1) -> Iterator[None]:
    """Domain and database errors become one line on stderr and a non-zero exit, never a traceback."""
    try:
        yield
    except ArchiveError as exc:
        fail(str(exc), code)
    except OperationalError as exc:
        fail(f"database unavailable: {str(exc.orig).strip().splitlines()[0] if exc.orig else exc}", code)
    except SQLAlchemyError as exc:
        orig = str(getattr(exc, "orig", None) or "").strip()
        fail(f"database error: {orig.splitlines()[0] if orig else type(exc).__name__}", code)
    except OSError as exc:  # a file or folder the settings name that cannot be used (the index's, var/)
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or type(exc).__name__}", code)


def engine(upgrade: bool = True) -> Engine:
    """The archive's engine, its schema migrated first (unless `upgrade` is False).

    An archive whose rows stop a migration still works at the revision it has: the reason is a
    warning line, so that reading it, exporting it and the re-dating the reason asks for still run.
    """
    eng = make_engine(get_settings())
    if eng.url.get_backend_name() == "sqlite" and eng.url.database in (None, "", ":memory:"):
        fail("the database URL names an in-memory SQLite database, which keeps nothing past this command: "
             "give a file (sqlite:////PATH/archive.db)")
    if upgrade and (blocked := ensure_schema(eng)):
        typer.echo(f"warning: {blocked}", err=True)
    return eng


def _default(value: Any) -> Any:
    if is_dataclass(value):
        return asdict(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:  # UTC as the API writes it: "...Z"
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def echo_json(data: Any) -> None:
    json.dump(data, sys.stdout, default=_default, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def split_ref(ref: str) -> tuple[str, str]:
    """'SLUG@LABEL' -> (slug, label)."""
    slug, sep, label = ref.partition("@")
    if not sep or not slug or not label:
        fail(f"'{ref}' is not SLUG@LABEL (for example anthropic-rsp@3.1)", 2)
    return slug, label
