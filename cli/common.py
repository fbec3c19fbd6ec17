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
from archive.errors import ArchiveError, InvalidInput
from archive.settings import get_settings


def nonempty(value: str | None) -> str | None:
    """Option callback: a value given empty (--policy '') is a mistake, not the option left out,
    which would widen the command to everything."""
    if value is not None and not value.strip():
        raise typer.BadParameter("is empty")
    return value


# An error line echoes what was given: a 100,000-character argument must not make it 100 KB.
MAX_ERROR_CHARS = 400


# Exit statuses, the same for every command: what was given cannot be used (a usage error, a malformed
# value, query or file: InvalidInput) exits 2, as Click's usage errors do; anything else that stops a
# command (not found, refused, a failed extraction, the database) exits 1.
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def _escaped(text: str) -> str:
    """Each character that is not printable (controls, C1 controls, line and paragraph separators) as
    its escape: an error line echoing an argument stays one line, and a terminal shows what was typed
    ("3.\\n6", "3.6\\x01") rather than acting on it."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    message = _escaped(message)
    if len(message) > MAX_ERROR_CHARS:
        message = message[: MAX_ERROR_CHARS - 1] + "…"
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def errors_as_exit() -> Iterator[None]:
    """Domain and database errors become one line on stderr and a non-zero exit, never a traceback."""
    try:
        yield
    except InvalidInput as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    except ArchiveError as exc:
        fail(str(exc), EXIT_FAILED)
    except OperationalError as exc:
        fail(f"database unavailable: {str(exc.orig).strip().splitlines()[0] if exc.orig else exc}")
    except SQLAlchemyError as exc:
        orig = str(getattr(exc, "orig", None) or "").strip()
        fail(f"database error: {orig.splitlines()[0] if orig else type(exc).__name__}")
    except OSError as exc:  # a file or folder the settings name that cannot be used (the index's, var/)
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or type(exc).__name__}")


def engine(upgrade: bool = True) -> Engine:
    """The archive's engine, its schema migrated first (unless `upgrade` is False).

    An archive whose rows stop a migration still works at the revision it has: the reason is a
    warning line, so that reading it, exporting it and the re-dating the reason asks for still run.
    """
    eng = make_engine(get_settings())
    if eng.url.get_backend_name() == "sqlite" and eng.url.database in (None, "", ":memory:"):
        fail("the database URL names an in-memory SQLite database, which keeps nothing past this command: "
             "give a file (sqlite:////PATH/archive.db)", EXIT_BAD_INPUT)
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
        fail(f"'{ref}' is not SLUG@LABEL (for example anthropic-rsp@3.1)", EXIT_BAD_INPUT)
    return slug, label
