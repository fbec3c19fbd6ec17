"""Table models. The schema itself is made only by the Alembic migrations in alembic/versions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so migrations can refer to them on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Policy(Base):
    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    publisher: Mapped[str] = mapped_column(String(200), default="")
    landing_page: Mapped[str | None] = mapped_column(String(1000))

    versions: Mapped[list[Version]] = relationship(back_populates="policy", lazy="raise")


class Snapshot(Base):
    """A raw source file exactly as received: its bytes, hash and origin, and what its receiver claimed
    of it (the publisher's URL and sha256). The same bytes received with other claims are another
    snapshot (migration 0003): one manifest's claims must never speak for another's version."""

    __tablename__ = "snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    source_url: Mapped[str | None] = mapped_column(String(2000))
    origin: Mapped[str] = mapped_column(String(2000))  # "download" / "local:<path>" / "cli:<path>"
    retrieved_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    stored_path: Mapped[str | None] = mapped_column(String(2000))
    reference_sha256: Mapped[str | None] = mapped_column(String(64))  # the publisher's, if known
    status: Mapped[str] = mapped_column(String(20))  # archive.types.SnapshotStatus

    __table_args__ = (
        # An absent URL or reference is one value here (a NULL would never clash).
        Index(
            "uq_snapshots_claim", "sha256", text("coalesce(source_url, '')"), text("coalesce(reference_sha256, '')"),
            unique=True,
        ),
    )


class Version(Base):
    """What was extracted from a snapshot: one per (policy, label)."""

    __tablename__ = "versions"
    __table_args__ = (
        UniqueConstraint("policy_id", "label", name="uq_versions_policy_label"),
        # One version in force per day: a unique index (not a constraint) so SQLite needs no table rebuild.
        Index("uq_versions_policy_effective", "policy_id", "effective", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    effective: Mapped[dt.date] = mapped_column(Date, index=True)
    title: Mapped[str | None] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    page_count: Mapped[int] = mapped_column(Integer)
    clause_count: Mapped[int] = mapped_column(Integer)
    full_text: Mapped[str] = mapped_column(Text, deferred=True)
    text_sha256: Mapped[str] = mapped_column(String(64))
    extractor: Mapped[str] = mapped_column(String(100))
    extractor_version: Mapped[str] = mapped_column(String(50))
    engine_version: Mapped[str] = mapped_column(String(50))  # pdfplumber's version
    extracted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    policy: Mapped[Policy] = relationship(back_populates="versions", lazy="raise")
    snapshot: Mapped[Snapshot] = relationship(lazy="raise")


class Extraction(Base):
    """The provenance log of a version: first extraction, re-extractions, replacements."""

    __tablename__ = "extractions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    kind: Mapped[str] = mapped_column(String(20))  # initial / re-extraction / replacement
    extractor: Mapped[str] = mapped_column(String(100))
    extractor_version: Mapped[str] = mapped_column(String(50))
    engine_version: Mapped[str] = mapped_column(String(50))
    text_sha256: Mapped[str] = mapped_column(String(64))
    extracted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("version_id", "number", name="uq_pages_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    header: Mapped[str] = mapped_column(Text, default="")
    footer: Mapped[str] = mapped_column(Text, default="")


class Clause(Base):
    __tablename__ = "clauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # document order within the version
    parent_position: Mapped[int | None] = mapped_column(Integer)
    ordinal: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    page_start: Mapped[int] = mapped_column(Integer)
    page_end: Mapped[int] = mapped_column(Integer)
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    # A clause's identity across versions (survives renumbering); set by the redline alignment.
    lineage: Mapped[str | None] = mapped_column(String(64), index=True)
    footnotes: Mapped[list] = mapped_column(JSON, default=list)
    # [{offset, page, table}] (archive.types.PageBreak); NULL where not recorded (rows extracted before
    # extractor 7). Added by migration 0004: an archive whose upgrade its rows block lacks it, so
    # storage reads and writes it only where it exists (storage.LATER_COLUMNS): deferred, and with no
    # default, which the ORM would read back after every insert.
    page_breaks: Mapped[list | None] = mapped_column(JSON(none_as_null=True), deferred=True)


class Redline(Base):
    """A computed comparison, stored by the content hash of its inputs so serving it is a lookup."""

    __tablename__ = "redlines"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    from_version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    to_version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)  # JSON
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
