"""Per-person tokens for what a web page may read or change about its own visitor (the inbox).

The write key in a page is public, so on its own it proves nothing about who is looking. The
site's backend, which knows its signed-in user, computes ``hex(HMAC-SHA256(secret, user_id))``
with the workspace's person-token secret (as support widgets' identity verification does) and
hands it to the page; unicx recomputes it. The secret is created by migration 9 (so at
``unicx init``, and once in workspaces made before it) and only an admin can read it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Final

from unicx.errors import AuthError, NotFoundError, PermissionDeniedError
from unicx.store import secrets

if TYPE_CHECKING:
    from unicx.store import Session, Store

SECRET_KEY: Final = "person_token_secret"
MAX_USER_ID: Final = 200


def create_secret(session: Session) -> None:
    """Migration 9: a fresh random secret, kept with the workspace's other secrets."""
    secrets.create_secret(session, SECRET_KEY)


def read_secret(store: Store) -> str:
    """The secret as hex, for the site's backend (admins only, through the API or CLI)."""
    return _secret(store).hex()


def _secret(store: Store) -> bytes:
    with store.session() as s:
        found = secrets.stored_secret(s, SECRET_KEY)
    if found is None:  # only a database the migrations have not reached
        raise NotFoundError("this workspace has no person-token secret; run `unicx migrate`")
    return found


def person_token(secret: bytes, user_id: str) -> str:
    return hmac.new(secret, user_id.encode(), hashlib.sha256).hexdigest()


def verify(store: Store, user_id: str | None, token: str | None) -> str:
    """The user id if ``token`` is its HMAC; 401 otherwise (whoever the user is)."""
    if not user_id or not token or len(user_id) > MAX_USER_ID or len(token) > 128:
        raise AuthError("a person token is required: X-Unicx-User-Id and X-Unicx-User-Token")
    expected = person_token(_secret(store), user_id)
    if not hmac.compare_digest(expected, token.strip().lower()):
        raise AuthError("invalid person token for this user id")
    return user_id


def require_own_profile(store: Store, profile_id: str, user_id: str) -> None:
    """403, the same for someone else's profile and for one that does not exist."""
    with store.session() as s:
        row = s.fetchone(
            "SELECT 1 FROM identities WHERE id_type = 'user_id' AND id_value = ? "
            "AND profile_id = ?",
            [user_id, profile_id],
            step="person_token.own_profile",
        )
    if row is None:
        raise PermissionDeniedError("the person token does not grant access to this profile")
