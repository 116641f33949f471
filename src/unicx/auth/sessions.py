"""Dashboard sessions: a random token in an HttpOnly cookie, its SHA-256 and a CSRF token in
the store. A session ends when its user signs out, is disabled or changes password, or after
:data:`SESSION_HOURS`; every request re-reads the row, so an ended session is refused at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from unicx.auth.models import Principal, Role
from unicx.store import Store

SESSION_COOKIE = "unicx_session"
SESSION_HOURS = 12
LANGUAGES = ("vi", "en")


class DashboardSession(BaseModel):
    """Who a session cookie belongs to, with what the pages need about them."""

    user_id: str
    email: str
    role: Role
    language: str
    csrf_token: str

    def principal(self) -> Principal:
        """The same permissions as an API key of the user's role."""
        return Principal(key_id=self.user_id, name=self.email, role=self.role)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionService:
    """Start, resolve and end dashboard sessions on one store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def start(self, user_id: str) -> str:
        """A new session for the user; returns the cookie's token (only its hash is kept)."""
        token, now = secrets.token_urlsafe(32), datetime.now(UTC)
        with self._store.session() as s:
            s.execute(
                "INSERT INTO dashboard_sessions VALUES (?, ?, ?, ?, ?)",
                [_digest(token), user_id, secrets.token_urlsafe(32), now,
                 now + timedelta(hours=SESSION_HOURS)],
                step="dashboard_sessions.start",
            )  # fmt: skip
        return token

    def resolve(self, token: str | None) -> DashboardSession | None:
        """The live session of an active user for this token, else None."""
        if not token:
            return None
        with self._store.session() as s:
            rows = s.fetch_dicts(
                "SELECT u.user_id, u.email, u.role, coalesce(u.language, 'vi') AS language, "
                "s.csrf_token FROM dashboard_sessions s "
                "JOIN dashboard_users u ON u.user_id = s.user_id "
                # A password changed (by the user or a reset) ends the sessions started before it.
                "WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL "
                "AND s.created_at >= u.password_changed_at",
                [_digest(token), datetime.now(UTC)],
                step="dashboard_sessions.resolve",
            )
        return DashboardSession(**rows[0]) if rows else None

    def end(self, token: str) -> None:
        self._delete("token_hash = ?", _digest(token), step="dashboard_sessions.end")

    def end_all(self, user_id: str, *, keep: str | None = None) -> None:
        """End every session of a user (but ``keep``'s, the one changing the password)."""
        where, params = "user_id = ?", [user_id]
        if keep is not None:
            where, params = where + " AND token_hash <> ?", [user_id, _digest(keep)]
        with self._store.session() as s:
            s.execute(
                f"DELETE FROM dashboard_sessions WHERE {where} OR expires_at <= ?",
                [*params, datetime.now(UTC)],
                step="dashboard_sessions.end_all",
            )

    def set_language(self, user_id: str, language: str) -> None:
        if language not in LANGUAGES:
            return
        with self._store.session() as s:
            s.execute(
                "UPDATE dashboard_users SET language = ? WHERE user_id = ?",
                [language, user_id],
                step="dashboard_users.set_language",
            )

    def _delete(self, where: str, value: str, *, step: str) -> None:
        with self._store.session() as s:
            s.execute(f"DELETE FROM dashboard_sessions WHERE {where}", [value], step=step)
