"""The Typer application that every command module registers on."""

from __future__ import annotations

from typing import Any

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from typer.core import TyperGroup
from typer.exceptions import TyperException

from cli.common import EXIT_BAD_INPUT, EXIT_INTERRUPTED


def _one_line(exc: TyperException) -> typer.Exit:
    """A usage error as one line on stderr (Typer's default is a usage line, a hint and a boxed message)."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    typer.echo(f"error: {message}{hint}", err=True)
    return typer.Exit(exc.exit_code)


def _bad_settings(exc: ValidationError) -> typer.Exit:
    """POLICY_ARCHIVE_* variables the settings refuse, in one line (pydantic's report is a dozen)."""
    problems = "; ".join(
        f"POLICY_ARCHIVE_{'_'.join(str(p) for p in e['loc']).upper()}={str(e.get('input'))[:40]!r}: {e['msg']}"
        for e in exc.errors(include_url=False)
    )
    typer.echo(f"error: bad setting: {problems}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


class OneLineErrors(TyperGroup):
    """The root group: bad arguments or options anywhere below it end in one line, not a box.

    Parsing happens in make_context (the root's own options) and invoke (the subcommand and its
    parameters), so catching there covers every command without leaving standalone mode.
    """

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except TyperException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # bare `policy-archive`: the help, as before
                raise
            raise _one_line(exc) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except TyperException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group (`db`, `index`): its help
                raise
            raise _one_line(exc) from None
        except ValidationError as exc:  # get_settings() in any command
            if exc.title != "Settings":
                raise
            raise _bad_settings(exc) from None
        except SettingsError as exc:  # a list setting that is not JSON (POLICY_ARCHIVE_CORS_ORIGINS=x)
            typer.echo(f"error: bad setting: {' '.join(str(exc).split())}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except KeyboardInterrupt:  # Ctrl-C: say so (the exit status alone went unnoticed in scripts' logs)
            typer.echo("error: interrupted; what was done before stays whole (each version is one "
                       "transaction): run the command again to finish", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None


app = typer.Typer(
    name="policy-archive",
    help="Every version of a frontier-AI safety policy: ingest, read, redline, search, cite.",
    cls=OneLineErrors,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")
