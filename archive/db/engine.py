"""Engines, sessions and migrations. The caller owns the transaction: library code never commits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from alembic import command
from archive.errors import InvalidInput, SchemaTooNew, SchemaUpgradeBlocked
from archive.settings import PROJECT_ROOT, Settings, get_settings


def make_engine(settings: Settings | None = None, url: str | None = None, *, read_only: bool = False) -> Engine:
    """An engine for the configured database; `read_only` makes the database itself refuse writes."""
    settings = settings or get_settings()
    url = url or settings.sqlalchemy_url
    try:
        return _make_engine(settings, url, read_only)
    except ModuleNotFoundError as exc:  # a dialect this install has no driver for (mysql://, +asyncpg)
        raise InvalidInput(
            f"the database URL needs the driver '{exc.name}', which is not installed: "
            "give sqlite:///PATH or postgresql://USER@HOST:PORT/NAME"
        ) from None
    except ArgumentError:
        scheme = url.split("://", 1)[0] if "://" in url else ""
        raise InvalidInput(
            f"the database URL ({scheme or 'no'} scheme) is not one this archive can use: "
            "give sqlite:///PATH or postgresql://USER@HOST:PORT/NAME"
        ) from None


def _make_engine(settings: Settings, url: str, read_only: bool) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            folder = Path(path).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InvalidInput(
                    f"cannot make the SQLite database's folder {folder} ({exc.strerror or type(exc).__name__})"
                ) from None
        # One pooled connection per API handler thread: fewer would open and close connections
        # (each re-running the pragmas below) on every burst of requests.
        engine = create_engine(
            url, pool_size=max(5, settings.api_threads), connect_args={"timeout": settings.db_timeout_s}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")  # readers never block the one writer
            cur.execute(f"PRAGMA busy_timeout={int(settings.db_timeout_s * 1000)}")
            if read_only:
                cur.execute("PRAGMA query_only=ON")
            cur.close()

        return engine
    timeout = max(1, int(settings.db_timeout_s))
    return create_engine(
        url,
        pool_pre_ping=True,  # a restarted server costs one failed ping, not a failed request
        pool_size=max(10, settings.api_threads),
        max_overflow=20,
        pool_timeout=settings.db_timeout_s,
        connect_args={
            "connect_timeout": timeout,
            "options": f"-c statement_timeout={timeout * 6000}"
            + (" -c default_transaction_read_only=on" if read_only else ""),
        },
    )


@lru_cache
def default_engine() -> Engine:
    return make_engine()


def alembic_config(engine: Engine) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


MIGRATION_LOCK_KEY = 0x706F6C6963790001  # PostgreSQL advisory lock held while migrating ("policy", 1)


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (the only way the schema is made)."""
    needs_upgrade(engine)  # a revision newer than this code is refused in one line, not by Alembic
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two first commands on a fresh database would both create the tables and one would fail
            # ("duplicate key ... pg_type_typname_nsp_index"): the second waits, then finds them made.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def needs_upgrade(engine: Engine) -> bool:
    """Whether the schema is behind this code's newest migration; SchemaTooNew when it is ahead."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    head = script.get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current is not None and current != head:
        try:
            script.get_revision(current)
        except CommandError:
            raise SchemaTooNew(
                f"the database's schema is at revision {current}, which this policy-archive has no migration "
                f"for (its newest is {head}): a newer release migrated it; use that release"
            ) from None
    return current != head


def ensure_schema(engine: Engine) -> str | None:
    """Bring the schema to the newest revision when it is behind; None when that is done.

    When the archive's own rows stop a migration (SchemaUpgradeBlocked: two versions of a policy on
    one date), the schema stays at the revision it has, which the code still reads and writes, and
    the reason is returned for the caller to show: the archive must keep working for the re-dating
    the reason asks for. `upgrade` (the `db upgrade` command) raises it instead.
    """
    if needs_upgrade(engine):
        try:
            upgrade(engine)
        except SchemaUpgradeBlocked as exc:
            return str(exc)
    return None


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session:
        yield session
