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
