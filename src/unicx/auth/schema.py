"""Tables the auth domain owns beyond the first migration's sources and keys."""

from __future__ import annotations

# Dashboard users sign in with an e-mail and a password. The e-mail is stored normalized (lower
# case) so uniqueness holds whatever the case typed; only an argon2 hash of the password is kept.
DASHBOARD_USERS_SQL = """
        CREATE TABLE dashboard_users (
            user_id VARCHAR PRIMARY KEY,
            email VARCHAR NOT NULL UNIQUE,
            role VARCHAR NOT NULL CHECK (role IN ('admin', 'marketer', 'analyst', 'viewer')),
            password_hash VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            disabled_at TIMESTAMPTZ,
            password_changed_at TIMESTAMPTZ NOT NULL
        );
"""

# A signed-in browser holds a random token in an HttpOnly cookie; only its SHA-256 is stored,
# with the CSRF token its forms carry. Server-side rows (rather than a signed cookie) so that
# signing out, disabling a user and changing a password end the sessions at once.
DASHBOARD_SESSIONS_SQL = """
        CREATE TABLE dashboard_sessions (
            token_hash VARCHAR PRIMARY KEY,
            user_id VARCHAR NOT NULL,
            csrf_token VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            expires_at TIMESTAMPTZ NOT NULL
        );
        ALTER TABLE dashboard_users ADD COLUMN language VARCHAR DEFAULT 'vi';
"""
