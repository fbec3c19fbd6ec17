"""Entry point of the `policy-archive` command: importing a module registers its commands."""

from __future__ import annotations

from cli import (  # noqa: F401  (registration)
    backup_cmds,  # noqa: F401  (registration)
    diff_cmds,  # noqa: F401  (registration)
    ingest_cmds,
    read_cmds,
    search_cmds,  # noqa: F401  (registration)
    serve_cmds,  # noqa: F401  (registration)
)
from cli.app import app


def main() -> None:
    app()


if __name__ == "__main__":
    main()
