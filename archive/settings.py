"""One settings object, read from POLICY_ARCHIVE_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICY_ARCHIVE_", extra="ignore")

    var_dir: Path = Field(PROJECT_ROOT / "var", description="Where the SQLite file and the index live.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; SQLite under var/ when unset.")
    index_dir: Path | None = Field(None, description="Whoosh index folder; var/index when unset.")
    versions_dir: Path = Field(PROJECT_ROOT / "data" / "versions", description="Manifests and PDFs.")
    max_pages: int = Field(2000, ge=1, description="Refuse PDFs with more pages.")
    max_file_bytes: int = Field(100 * 1024 * 1024, ge=1, description="Refuse larger files.")
    extract_timeout_s: float = Field(300.0, gt=0, description="Give up on one file after this long.")
    fetch_timeout_s: float = Field(30.0, gt=0, description="HTTP timeout when fetching originals.")
    db_timeout_s: float = Field(5.0, gt=0, description="Connect/statement timeout against the database.")
    cors_origins: list[str] = Field(default_factory=lambda: ["*"], description="Allowed CORS origins.")
    public_url: str | None = Field(
        None,
        description="The archive's public address (https://host/prefix) for the absolute links of feeds and "
        "citations; the request's own (its Host header) when unset.",
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
    )
    max_query_length: int = Field(1000, ge=10, description="Longest search query or quote accepted.")
    page_size_cap: int = Field(100, ge=1, description="Largest page size an API caller may ask for.")
    redline_memo_mb: float = Field(
        32.0, ge=0, description="Memory for redlines computed but not storable (read-only API), by JSON size."
    )
    api_threads: int = Field(
        8, ge=1, le=256, description="Threads running the API's handlers: bounds concurrent work and its memory."
    )

    @field_validator("var_dir", "versions_dir", "index_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.resolve() if value is not None else None

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Accept plain postgresql:// URLs and use psycopg 3 for them.
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{self.var_dir / 'archive.db'}"

    @property
    def index_path(self) -> Path:
        return self.index_dir or (self.var_dir / "index")


@lru_cache
def get_settings() -> Settings:
    return Settings()
