"""Links in messages that come back to unicx: one-click unsubscribe (RFC 8058), the open
pixel and click redirects. Each carries a token signed with the workspace's tracking secret
(HMAC-SHA256), so it cannot be forged, and a click can only redirect to the URL it signed.

Click and open links count for ``click_link_days`` after their message was queued; later a
click still leads to its (signed) target, it is just not recorded, and an open is not
counted: a forwarded or leaked link cannot keep writing events on a person for ever, and
someone opening an old e-mail is not met by an error page. Unsubscribe links never expire
(CAN-SPAM asks for 30 days at least, GDPR for withdrawal as easy as consent): they work as
long as the message log holds the message."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from unicx.channels.events import track_for_profile
from unicx.config import Settings
from unicx.errors import NotFoundError
from unicx.privacy.consent import CONSENT_EVENT, refresh_consents
from unicx.store import Session, Store
from unicx.store.secrets import create_secret, stored_secret

SECRET_KEY = "tracking_secret"
MAX_TOKEN = 4096


def _secret(session: Session) -> bytes:
    """The workspace's tracking secret, created on first use inside the caller's transaction."""
    return stored_secret(session, SECRET_KEY) or create_secret(session, SECRET_KEY)


def ensure_secret(store: Store) -> None:
    """Create the secret before the sending threads start: created lazily by several of them
    at once, all but one transaction would fail on the conflicting insert."""
    with store.session() as s, s.transaction():
        _secret(s)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _message_key(secret: bytes, message_id: str) -> bytes:
    """A per-message key: the email channel signs click links with it, without the secret."""
    return hmac.new(secret, b"message\x00" + message_id.encode(), hashlib.sha256).digest()


def _token(key: bytes, payload: dict[str, Any]) -> str:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    sig = hmac.new(key, body, hashlib.sha256).digest()[:16]
    return f"{_b64(body)}.{_b64(sig)}"


def links_for(session: Session, settings: Settings, message_id: str) -> dict[str, str]:
    """The links of one message, for ``OutboundMessage.links``: absolute ``unsubscribe`` and
    ``open`` URLs, plus ``click_base`` and ``click_key`` (hex of a key derived from the secret
    for this message only) so the channel signs per-URL click links without a DB session
    (:func:`click_url`). A leaked ``click_key`` can only sign links of its own message."""
    key = _message_key(_secret(session), message_id)
    base = settings.base_url
    return {
        "unsubscribe": f"{base}/v1/unsubscribe/{_token(key, {'k': 'u', 'm': message_id})}",
        "open": f"{base}/v1/t/open/{_token(key, {'k': 'o', 'm': message_id})}.gif",
        "click_base": f"{base}/v1/t/click/",
        "click_key": key.hex(),
    }


def click_url(links: Mapping[str, str], message_id: str, url: str) -> str:
    """The tracked redirect to ``url`` for a message, from the message's :func:`links_for`."""
    token = _token(bytes.fromhex(links["click_key"]), {"k": "c", "m": message_id, "u": url})
    return links["click_base"] + quote(token, safe=".")


def verify(session: Session, token: str, kind: str) -> dict[str, Any]:
    """The payload of a valid token of ``kind``, or NotFoundError (tampered, wrong kind)."""
    bad = NotFoundError("unknown or expired link")
    if len(token) > MAX_TOKEN or token.count(".") != 1:
        raise bad
    body_text, sig_text = token.split(".")
    try:
        body, sig = _unb64(body_text), _unb64(sig_text)
        payload = json.loads(body)
    except (ValueError, RecursionError):  # bad base64/JSON (UnicodeDecodeError is a ValueError)
        raise bad from None
    if (
        not isinstance(payload, dict)
        or payload.get("k") != kind
        or not isinstance(payload.get("m"), str)
    ):
        raise bad
    key = _message_key(_secret(session), payload["m"])
    if not hmac.compare_digest(hmac.new(key, body, hashlib.sha256).digest()[:16], sig):
        raise bad
    return payload


def _message(session: Session, message_id: str) -> dict[str, Any]:
    rows = session.fetch_dicts(
        "SELECT message_id, profile_id, channel, journey_id, node_id, address, created_at "
        "FROM messages WHERE message_id = ?",
        [message_id],
        step="tracking.message",
    )
    if not rows:
        raise NotFoundError("unknown or expired link")
    return rows[0]


def _log(session: Session, msg: dict[str, Any], status: str, now: datetime, detail: Any) -> None:
    session.execute(
        "INSERT INTO message_events VALUES (?, ?, ?, ?, ?, ?)",
        [msg["message_id"], msg["profile_id"], msg["channel"], status, now, json.dumps(detail)],
        step="tracking.log",
    )


def _props(msg: dict[str, Any]) -> dict[str, Any]:
    return {
        "message_id": msg["message_id"],
        "journey_id": msg["journey_id"],
        "node_id": msg["node_id"],
        "channel": msg["channel"],
    }


def _expired(msg: dict[str, Any], settings: Settings, now: datetime) -> bool:
    """True once a click or open link is past ``click_link_days`` (see the module text)."""
    created: datetime = msg["created_at"]
    return now - created > timedelta(days=settings.click_link_days)


def record_open(store: Store, settings: Settings, token: str, now: datetime) -> None:
    with store.session() as s, s.transaction():
        msg = _message(s, verify(s, token, "o")["m"])
        if _expired(msg, settings, now):
            return
        seen = s.fetchone(
            "SELECT 1 FROM message_events WHERE message_id = ? AND status = 'opened'",
            [msg["message_id"]],
            step="tracking.opened_before",
        )
        if seen is None:
            _log(s, msg, "opened", now, {})
            track_for_profile(
                s,
                settings,
                msg["profile_id"],
                "Email Opened",
                _props(msg),
                now=now,
                message_id=f"open-{msg['message_id']}",
            )


def record_click(store: Store, settings: Settings, token: str, now: datetime) -> str:
    with store.session() as s, s.transaction():
        payload = verify(s, token, "c")
        url = payload.get("u")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise NotFoundError("unknown or expired link")
        msg = _message(s, payload["m"])
        if _expired(msg, settings, now):
            return url  # still where the person wanted to go, only not recorded
        _log(s, msg, "clicked", now, {"url": url})
        track_for_profile(
            s, settings, msg["profile_id"], "Message Clicked", {**_props(msg), "url": url}, now=now
        )
        return url


def unsubscribe(store: Store, settings: Settings, token: str, now: datetime) -> None:
    """Suppress the address and withdraw the person's e-mail consent; a second call (the
    one-click POST after the page's button, a retried request) changes nothing."""
    with store.profile_lock, store.session() as s, s.transaction():
        msg = _message(s, verify(s, token, "u")["m"])
        done = s.fetchone(
            "SELECT 1 FROM message_events WHERE message_id = ? AND status = 'unsubscribed'",
            [msg["message_id"]],
            step="tracking.unsubscribed_before",
        )
        if done is not None:
            return
        if msg["address"]:
            s.execute(
                "INSERT INTO suppressions VALUES ('email', ?, 'unsubscribed', ?, ?) "
                "ON CONFLICT DO NOTHING",
                [msg["address"], msg["profile_id"], now],
                step="tracking.suppress",
            )
        _log(s, msg, "unsubscribed", now, {})
        track_for_profile(
            s,
            settings,
            msg["profile_id"],
            CONSENT_EVENT,
            {"purposes": {"email": False}, "message_id": msg["message_id"]},
            now=now,
            message_id=f"unsub-{msg['message_id']}",
        )
        refresh_consents(s, settings, [msg["profile_id"]])
