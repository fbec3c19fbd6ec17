"""Domain errors. Each carries a one-line message; the CLI and the API map them in one place each.

`status` is the HTTP status the API answers with; `slug` names the problem type.
"""

from __future__ import annotations


class ArchiveError(Exception):
    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, message: str, **extra: object) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def __str__(self) -> str:
        return self.message


class NotFound(ArchiveError):
    status = 404
    slug = "not-found"
    title = "Not found"


class PolicyNotFound(NotFound):
    slug = "policy-not-found"
    title = "Policy not found"


class VersionNotFound(NotFound):
    slug = "version-not-found"
    title = "Version not found"


class VersionNotArchived(VersionNotFound):
    """The version in force on the day asked for is one the archive does not hold: its policy's own
    changelog names and dates it (RSP 2.1, from 2025-03-31), so the archived version before it is not
    the answer. `detail` names it and the archived versions either side."""

    slug = "version-not-archived"
    title = "Version not archived"


class ClauseNotFound(NotFound):
    slug = "clause-not-found"
    title = "Clause not found"


class InvalidInput(ArchiveError):
    status = 400
    slug = "invalid-input"
    title = "Invalid input"


class ManifestError(InvalidInput):
    slug = "invalid-manifest"
    title = "Invalid manifest"


class ExtractionFailed(ArchiveError):
    """The file could not be turned into text: not a PDF, encrypted, no text layer, too large..."""

    status = 422
    slug = "extraction-failed"
    title = "Extraction failed"


class PasswordRequired(ExtractionFailed):
    slug = "password-required"
    title = "Password required"


class LimitExceeded(ExtractionFailed):
    slug = "limit-exceeded"
    title = "Limit exceeded"


class Conflict(ArchiveError):
    """The label already holds different bytes (and --replace was not given), or a race lost."""

    status = 409
    slug = "conflict"
    title = "Conflict"


class SchemaUpgradeBlocked(Conflict):
    """The archive's own rows stop a migration (two versions of a policy on one date, for 0002).

    Raise it only from a migration whose absence the code tolerates (one that adds a constraint):
    the archive then keeps working at the revision it has, so that what the message asks for (re-date
    a version with `ingest FILE --replace`) can be done; `db upgrade` still refuses until it is.
    """

    slug = "schema-upgrade-blocked"
    title = "Schema upgrade blocked"


class SchemaTooNew(Conflict):
    """The database is at a revision this code has no migration for: a newer release migrated it."""

    slug = "schema-too-new"
    title = "Schema too new"


class ChecksumMismatch(ArchiveError):
    status = 422
    slug = "checksum-mismatch"
    title = "Checksum mismatch"


class FetchFailed(ArchiveError):
    status = 502
    slug = "fetch-failed"
    title = "Fetch failed"


class QuerySyntaxError(InvalidInput):
    slug = "query-syntax"
    title = "Query syntax error"


class ServiceUnavailable(ArchiveError):
    status = 503
    slug = "service-unavailable"
    title = "Service unavailable"
