"""Dashboard users: people who sign in to the dashboard with an e-mail and a password.

A user carries the same role as an API key (:class:`Role`). Passwords are generated here, never
chosen at the command line, and shown once: only an argon2id hash is stored (argon2-cffi's
defaults, rehashed at the next sign-in when those defaults grow). Nothing this module answers
publicly holds the hash: :class:`DashboardUserPublic` has no field for it.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from pydantic import BaseModel, Field

from unicx.auth.models import Role
from unicx.errors import ConflictError, FieldIssue, NotFoundError, ValidationError
from unicx.store import Session, Store

USER_ID_PREFIX = "usr_"
PASSWORD_BYTES = 12  # token_urlsafe(12): 16 characters, 96 random bits
LOCAL_CHECK_SUFFIX = ".example.com"
MIN_PASSWORD_LENGTH = 12
_COLUMNS = "user_id, email, role, created_at, disabled_at, password_changed_at"
_hasher = PasswordHasher()


class DashboardUserPublic(BaseModel):
    user_id: str
    email: str
    role: Role
    created_at: datetime
    disabled_at: datetime | None = None
    password_changed_at: datetime


class DashboardUserCreated(DashboardUserPublic):
    password: str = Field(description="Generated; shown once, only its hash is stored.")


def _now() -> datetime:
    return datetime.now(UTC)


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def normalize_user_email(email: str) -> str:
    """The e-mail in lower case; a ValidationError on ``email`` if it is no address. Names on
    special-use domains such as ``admin@localhost`` are accepted (email-validator refuses them
    for sending): a dashboard login need not receive mail."""
    text = email.strip()
    domain = text.rpartition("@")[2]
    # Checked as a name under a public domain, so local part and labels are still validated.
    suffix = LOCAL_CHECK_SUFFIX if _special_use(domain) else ""
    try:
        checked = validate_email(text + suffix, check_deliverability=False)
    except EmailNotValidError as exc:
        issue = FieldIssue("email", "email", str(exc))
        raise ValidationError(f"invalid e-mail {email!r}: {exc}", issues=[issue]) from None
    return str(checked.normalized).lower().removesuffix(suffix)


def _special_use(domain: str) -> bool:
    name = domain.lower()
    return any(name == d or name.endswith("." + d) for d in SPECIAL_USE_DOMAIN_NAMES)


class UserService:
    """Create, list, disable, reset and verify dashboard users on one store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def create(self, email: str, role: Role) -> DashboardUserCreated:
        address = normalize_user_email(email)
        password = new_password()
        now = _now()
        with self._store.session() as s, s.transaction():
            if _find(s, address) is not None:
                raise ConflictError(f"a dashboard user {address!r} exists already")
            s.execute(
                f"INSERT INTO dashboard_users ({_COLUMNS}, password_hash) "
                "VALUES (?, ?, ?, ?, NULL, ?, ?)",
                [
                    USER_ID_PREFIX + secrets.token_hex(8),
                    address,
                    role.value,
                    now,
                    now,
                    _hasher.hash(password),
                ],
                step="dashboard_users.create",
            )
        return DashboardUserCreated(**self.get(address).model_dump(), password=password)

    def list_users(self) -> list[DashboardUserPublic]:
        with self._store.session() as s:
            rows = s.fetch_dicts(
                f"SELECT {_COLUMNS} FROM dashboard_users ORDER BY created_at, email",
                step="dashboard_users.list",
            )
        return [DashboardUserPublic(**r) for r in rows]

    def get(self, email: str) -> DashboardUserPublic:
        with self._store.session() as s:
            row = _find(s, _lookup_email(email))
        if row is None:
            raise NotFoundError(f"no dashboard user {email!r}")
        return DashboardUserPublic(**row)

    def disable(self, email: str) -> DashboardUserPublic:
        """Disable the user at once (kept for the audit trail; it never verifies again)."""
        user = self.get(email)
        if user.disabled_at is None:
            self._update(user.user_id, "disabled_at = ?", [_now()], step="dashboard_users.disable")
        return self.get(user.email)

    def reset_password(self, email: str) -> DashboardUserCreated:
        """Replace the password with a new generated one, returned once."""
        user = self.get(email)
        password = new_password()
        self._set_hash(user.user_id, _hasher.hash(password))
        return DashboardUserCreated(**self.get(user.email).model_dump(), password=password)

    def verify(self, email: str, password: str) -> DashboardUserPublic | None:
        """The active user with this e-mail and password, else None."""
        with self._store.session() as s:
            row = _find(s, _lookup_email(email), with_hash=True)
        stored = row.pop("password_hash") if row is not None else _dummy_hash()
        if not _matches(stored, password) or row is None or row["disabled_at"] is not None:
            return None
        if _hasher.check_needs_rehash(stored):
            self._set_hash(row["user_id"], _hasher.hash(password), changed=False)
        return DashboardUserPublic(**row)

    def change_password(self, user_id: str, *, current: str, new: str) -> DashboardUserPublic:
        """The user's own change: the current password must match, the new one is checked."""
        with self._store.session() as s:
            row = _find(s, user_id, with_hash=True, by="user_id")
        if row is None or not _matches(row.pop("password_hash"), current):
            issue = FieldIssue("current_password", "mismatch", "the current password is wrong")
            raise ValidationError("the current password is wrong", issues=[issue])
        _check_new_password(new, email=row["email"])
        self._set_hash(user_id, _hasher.hash(new))
        return self.get(row["email"])

    def _set_hash(self, user_id: str, password_hash: str, *, changed: bool = True) -> None:
        if changed:
            sets, params = "password_hash = ?, password_changed_at = ?", [password_hash, _now()]
        else:
            sets, params = "password_hash = ?", [password_hash]
        self._update(user_id, sets, params, step="dashboard_users.set_password")

    def _update(self, user_id: str, sets: str, params: list[object], *, step: str) -> None:
        with self._store.session() as s:
            s.execute(
                f"UPDATE dashboard_users SET {sets} WHERE user_id = ?",
                [*params, user_id],
                step=step,
            )


def _lookup_email(email: str) -> str:
    # Lookups only lower-case: an address stored normalized is found however it is typed, and
    # a malformed one is simply not found (NotFoundError / no sign-in), not a validation error.
    return email.strip().lower()


def _check_new_password(password: str, *, email: str) -> None:
    problem = None
    if len(password) < MIN_PASSWORD_LENGTH:
        problem = f"at least {MIN_PASSWORD_LENGTH} characters"
    elif password.lower() in email.lower():
        problem = "not part of the e-mail address"
    if problem is not None:
        issue = FieldIssue("new_password", "weak", f"the new password must be {problem}")
        raise ValidationError(f"the new password must be {problem}", issues=[issue])


def _find(
    s: Session, key: str, *, with_hash: bool = False, by: str = "email"
) -> dict[str, Any] | None:
    columns = _COLUMNS + (", password_hash" if with_hash else "")
    column = "user_id" if by == "user_id" else "email"
    rows = s.fetch_dicts(
        f"SELECT {columns} FROM dashboard_users WHERE {column} = ?",
        [key],
        step="dashboard_users.find",
    )
    return rows[0] if rows else None


@cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so an unknown address costs the same time
    as a wrong password and the timing does not tell which addresses exist (made on first use:
    hashing is slow on purpose, and every command imports this module)."""
    return _hasher.hash(new_password())


def _matches(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
