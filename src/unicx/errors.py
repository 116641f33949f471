"""The unicx error tree.

Domain code raises these; only ``unicx.cli`` maps them to exit codes. ``HTTP_STATUS`` is the
one table between classes and HTTP answers: ``unicx.api`` answers an error with
:func:`status_for`, and the CLI, talking to a running server, turns the answer back into the
same class with :func:`error_from_answer`. ``retryable`` tells a caller whether the same call may
succeed later (a lock held by another process, a write conflict) or never will (bad input).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class UnicxError(Exception):
    """Base of every error unicx raises on purpose."""

    code = "error"
    retryable = False

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ConfigError(UnicxError):
    """Settings are invalid or unsafe for the chosen environment."""

    code = "config_error"


class NotFoundError(UnicxError):
    code = "not_found"


class ConflictError(UnicxError):
    """The thing already exists or is in a state that forbids the change."""

    code = "conflict"


class AuthError(UnicxError):
    """No credential, or an unknown or revoked one."""

    code = "unauthorized"


class PermissionDeniedError(UnicxError):
    """A valid credential whose role does not allow the action."""

    code = "forbidden"


@dataclass(frozen=True, slots=True)
class FieldIssue:
    """One broken rule: which field (a JSON path such as ``batch[3].userId``) and which rule."""

    field: str
    rule: str
    message: str
    index: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "rule": self.rule, "message": self.message}
        if self.index is not None:
            out["index"] = self.index
        return out


class ValidationError(UnicxError):
    """Input breaks a documented rule; ``issues`` names each field and rule."""

    code = "invalid"

    def __init__(self, message: str, *, issues: list[FieldIssue] | None = None) -> None:
        super().__init__(message, details=[i.as_dict() for i in issues or []])
        self.issues: list[FieldIssue] = list(issues or [])


class PayloadTooLargeError(ValidationError):
    code = "payload_too_large"


class UnsupportedMediaError(ValidationError):
    code = "unsupported_media_type"


class StoreError(UnicxError):
    """A failure inside the storage engine, with the SQL that caused it attached."""

    code = "store_error"

    def __init__(self, message: str, *, sql: str | None = None, step: str | None = None) -> None:
        super().__init__(message, details={"step": step})
        self.sql = sql
        self.step = step


class RetryableStoreError(StoreError):
    """A transient failure: a write-write conflict or a busy resource."""

    retryable = True


class ConstraintViolationError(StoreError):
    """A write broke a key or uniqueness constraint (e.g. a duplicate primary key)."""

    code = "constraint_violation"


class WorkspaceLockedError(RetryableStoreError):
    """Another process (usually ``unicx serve``) holds the workspace database open."""

    code = "workspace_locked"


class ShuttingDownError(UnicxError):
    """The server is stopping and takes no new writes; clients should retry elsewhere/later."""

    code = "shutting_down"
    retryable = True


@dataclass(slots=True)
class IssueList:
    """Collects field issues while validating one record."""

    items: list[FieldIssue] = field(default_factory=list)

    def add(self, field_path: str, rule: str, message: str) -> None:
        self.items.append(FieldIssue(field_path, rule, message))


class UnavailableError(UnicxError):
    """The server answered 503 with an error this table does not name (a domain's own, such as
    ingest's ``overloaded``); the same call may succeed shortly."""

    code = "unavailable"
    retryable = True


class RateLimitedError(UnicxError):
    """Too many attempts from this caller (failed sign-ins, say); retry after ``retry_after_s``."""

    code = "rate_limited"
    retryable = True

    def __init__(self, message: str, *, retry_after_s: int = 60) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


# Subclasses before their parents: the first row an error is an instance of decides. Errors
# not listed (or listed with a 5xx) answer 503 when retryable, else 500.
HTTP_STATUS: tuple[tuple[type[UnicxError], int], ...] = (
    (PayloadTooLargeError, 413),
    (UnsupportedMediaError, 415),
    (ValidationError, 400),
    (AuthError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (RateLimitedError, 429),
    (WorkspaceLockedError, 503),
    (ShuttingDownError, 503),
    (RetryableStoreError, 503),
    (UnavailableError, 503),
    (ConstraintViolationError, 500),
    (StoreError, 500),
    (ConfigError, 500),
)


def status_for(exc: UnicxError) -> int:
    """The HTTP status the API answers ``exc`` with."""
    return status_of(type(exc))


def status_of(cls: type[UnicxError]) -> int:
    for listed, status in HTTP_STATUS:
        if status < 500 and issubclass(cls, listed):
            return status
    return 503 if cls.retryable else 500


def _class_for(status: int, code: str) -> type[UnicxError]:
    exact = [cls for cls, _ in HTTP_STATUS if cls.code == code and status_of(cls) == status]
    nearest = [cls for cls, st in HTTP_STATUS if st == status and st < 500]
    if exact or nearest:
        return (exact or nearest)[0]
    return UnavailableError if status == 503 else UnicxError


def error_from_answer(
    status: int, *, code: str, message: str, issues: list[FieldIssue] | None = None
) -> UnicxError:
    """The UnicxError an API error answer stands for: the same class (a 503 stays retryable,
    a 400 keeps its field issues); the answer's code is kept when the class is only the
    nearest kind (a domain's own error, or a 404 for an unknown path)."""
    cls = _class_for(status, code)
    exc = cls(message, issues=issues) if issubclass(cls, ValidationError) else cls(message)
    if code and code != cls.code:
        exc.code = code
    return exc
