"""Consent per profile and purpose, derived from events so it has one history.

Consent arrives three ways, all as events: ``context.consent`` on any event (either
``{"email": true, "sms": false}`` or Segment's ``{"categoryPreferences": {"Advertising": true}}``),
a track ``Consent Updated`` with ``{purpose, granted}`` or ``{purposes: {...}}``, and the API,
which writes such a track event itself. :func:`refresh_consents` keeps the ``consents`` table
as the latest value per (profile, purpose) by event timestamp.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

import pyarrow as pa

from unicx import __version__
from unicx.config import Settings
from unicx.errors import FieldIssue, NotFoundError, ValidationError
from unicx.ingest.models import Limits, RequestInfo
from unicx.ingest.schema import COLUMN_NAMES, EVENT_KEY_SQL, rows_to_arrow
from unicx.ingest.validate import decode_single
from unicx.privacy import audit
from unicx.privacy.models import ConsentPublic, ConsentState
from unicx.store import Session, Store

PURPOSES: Final = ("email", "sms", "push", "ads", "personalization")
CONSENT_EVENT: Final = "Consent Updated"
# Source of the events the API and CLI write on a person's behalf.
API_SOURCE: Final = "unicx:api"
# Anonymous id given to a profile that has no user or anonymous id (e.g. imported from a CRM by
# email only), so its consent event still resolves to it through event_profiles.
SYNTHETIC_ANONYMOUS_PREFIX: Final = "unicx-profile-"
# Names people send for our purposes (compared lower-cased). Segment's consent categories
# Advertising and Personalization are ads and personalization; its other categories (Analytics,
# Functional, DataSharing) are no messaging purpose of unicx and are ignored.
CONSENT_ALIASES: Final[Mapping[str, str]] = {
    **{p: p for p in PURPOSES},
    "advertising": "ads",
    "personalisation": "personalization",
}

# Every (event, key, boolean) a consent shape yields; non-boolean values are ignored.
_REFRESH_SQL = """
INSERT INTO consents (profile_id, purpose, granted, updated_at, source)
WITH ev AS (
    SELECT profile_id, timestamp, received_at, source_id, message_id, type, event,
           context, properties
    FROM event_profiles
    WHERE {targets}
      AND ((type = 'track' AND event = '{event}') OR contains(context::VARCHAR, '"consent"'))
), said AS (
    SELECT ev.*, j.key AS k, j.atom AS v FROM ev, json_each(ev.context, '$.consent') j
    WHERE j.type = 'BOOLEAN'
    UNION ALL
    SELECT ev.*, j.key, j.atom FROM ev, json_each(ev.context, '$.consent.categoryPreferences') j
    WHERE j.type = 'BOOLEAN'
    UNION ALL
    SELECT ev.*, j.key, j.atom FROM ev, json_each(ev.properties, '$.purposes') j
    WHERE ev.event = '{event}' AND j.type = 'BOOLEAN'
    UNION ALL
    SELECT ev.*, (ev.properties->>'$.purpose'), json_extract_string(ev.properties, '$.granted')
    FROM ev
    WHERE ev.event = '{event}' AND json_type(ev.properties, '$.granted') = 'BOOLEAN'
)
SELECT said.profile_id, a.purpose, said.v = 'true', said.timestamp,
       said.source_id || '/' || said.message_id
FROM said
JOIN (SELECT unnest(?::VARCHAR[]) AS alias, unnest(?::VARCHAR[]) AS purpose) a
  ON a.alias = lower(trim(said.k))
QUALIFY row_number() OVER (
    PARTITION BY said.profile_id, a.purpose
    ORDER BY said.timestamp DESC, said.received_at DESC, said.message_id DESC
) = 1
"""


def check_purposes(purposes: Mapping[str, object]) -> dict[str, bool]:
    """Purposes given to the API or CLI, or a ValidationError naming each unknown one."""
    issues = [
        FieldIssue(
            f"purposes.{name[:64]}",
            "enum",
            f"unknown purpose {name[:64]!r}; expected one of {', '.join(PURPOSES)}",
        )
        for name in purposes
        if name not in PURPOSES
    ]
    issues += [
        FieldIssue(f"purposes.{name}", "boolean", "granted must be true or false")
        for name, value in purposes.items()
        if name in PURPOSES and not isinstance(value, bool)
    ]
    if not purposes:
        issues.append(FieldIssue("purposes", "required", "give at least one purpose"))
    if issues:
        raise ValidationError(issues[0].message, issues=issues)
    return {name: bool(value) for name, value in purposes.items()}


def refresh_consents(session: Session, settings: Settings, profile_ids: list[str] | None) -> int:
    """Recompute ``consents`` for ``profile_ids`` (None: every profile); returns rows written."""
    del settings  # the refresher signature is shared; consent needs no settings
    if profile_ids is not None and not profile_ids:
        return 0
    if profile_ids is None:
        session.execute("DELETE FROM consents", step="consent.clear_all")
        targets = "profile_id IS NOT NULL"
    else:
        session.register("px_consent_targets", pa.table({"profile_id": pa.array(profile_ids)}))
        session.execute(
            "DELETE FROM consents WHERE profile_id IN (SELECT profile_id FROM px_consent_targets)",
            step="consent.clear",
        )
        targets = "profile_id IN (SELECT profile_id FROM px_consent_targets)"
    aliases = sorted(CONSENT_ALIASES)
    try:
        row = session.fetchone(
            _REFRESH_SQL.format(targets=targets, event=CONSENT_EVENT),
            [aliases, [CONSENT_ALIASES[a] for a in aliases]],
            step="consent.refresh",
        )
    finally:
        if profile_ids is not None:
            session.unregister("px_consent_targets")
    return int(row[0]) if row else 0


def read_consent(session: Session, profile_id: str) -> ConsentPublic:
    """Every purpose of a profile; a purpose never recorded is unknown (granted null)."""
    if not session.fetchone(
        "SELECT 1 FROM profiles WHERE profile_id = ?", [profile_id], step="consent.profile"
    ):
        raise NotFoundError(f"no profile {profile_id[:64]!r}")
    rows = session.fetch_dicts(
        "SELECT purpose, granted, updated_at, source FROM consents WHERE profile_id = ?",
        [profile_id],
        step="consent.read",
    )
    known = {r.pop("purpose"): ConsentState(**r) for r in rows}
    unknown = ConsentState(granted=None, updated_at=None, source=None)
    return ConsentPublic(
        profile_id=profile_id, purposes={p: known.get(p, unknown) for p in PURPOSES}
    )


def get_consent(store: Store, profile_id: str) -> ConsentPublic:
    with store.session() as s:
        return read_consent(s, profile_id)


def set_consent(
    store: Store,
    settings: Settings,
    profile_id: str,
    purposes: Mapping[str, object],
    *,
    actor: str,
) -> ConsentPublic:
    """Record consent for a profile as a ``Consent Updated`` track event and refresh its
    ``consents`` rows in the same transaction, so the answer already shows the change."""
    granted = check_purposes(purposes)
    now = datetime.now(UTC)
    with store.profile_lock, store.session() as s, s.transaction():
        if not s.fetchone(
            "SELECT 1 FROM profiles WHERE profile_id = ?", [profile_id], step="consent.profile"
        ):
            raise NotFoundError(f"no profile {profile_id[:64]!r}")
        id_field, id_value = event_identity(s, profile_id, now)
        body = {
            "type": "track",
            "event": CONSENT_EVENT,
            "messageId": str(uuid.uuid4()),
            id_field: id_value,
            "timestamp": now.isoformat(),
            "properties": {"purposes": granted},
            "context": {"library": {"name": "unicx", "version": __version__}},
        }
        info = RequestInfo(source_id=API_SOURCE, received_at=now, peer_ip=None)
        row, _ = decode_single(
            json.dumps(body).encode(),
            type_="track",
            info=info,
            limits=Limits.from_settings(settings),
        )
        s.register("px_consent_event", rows_to_arrow([row]))
        try:
            columns = ", ".join(COLUMN_NAMES)
            s.execute(
                f"INSERT INTO events (event_key, {columns}) "
                f"SELECT {EVENT_KEY_SQL}, {columns} FROM px_consent_event",
                step="consent.event",
            )
        finally:
            s.unregister("px_consent_event")
        refresh_consents(s, settings, [profile_id])
        audit.record(
            s, actor=actor, action="consent.update", target=profile_id, detail={"purposes": granted}
        )
        return read_consent(s, profile_id)


def event_identity(session: Session, profile_id: str, now: datetime) -> tuple[str, str]:
    """("userId", …) of the profile's most recent user id, else its latest anonymous id; a
    profile with neither gets a synthetic anonymous id so the event resolves to it."""
    return event_identities(session, [profile_id], now)[profile_id]


def event_identities(
    session: Session, profile_ids: list[str], now: datetime
) -> dict[str, tuple[str, str]]:
    """:func:`event_identity` of many profiles in one query (and one insert of the synthetic
    ids the ones without any need)."""
    found = {
        str(p): ("userId" if t == "user_id" else "anonymousId", str(v))
        for p, t, v in session.fetchall(
            "SELECT profile_id, "
            "first(id_type ORDER BY id_type = 'user_id' DESC, last_seen DESC, id_value), "
            "first(id_value ORDER BY id_type = 'user_id' DESC, last_seen DESC, id_value) "
            "FROM identities WHERE profile_id IN (SELECT unnest($ids::VARCHAR[])) "
            "AND id_type IN ('user_id', 'anonymous_id') GROUP BY profile_id",
            {"ids": profile_ids},
            step="consent.identity",
        )
    }
    missing = [p for p in profile_ids if p not in found]
    if missing:
        session.execute(
            "INSERT INTO identities SELECT 'anonymous_id', $prefix || p, p, $now, $now "
            "FROM (SELECT unnest($ids::VARCHAR[]) AS p) ON CONFLICT DO NOTHING",
            {"prefix": SYNTHETIC_ANONYMOUS_PREFIX, "ids": missing, "now": now},
            step="consent.synthetic_identity",
        )
        for p in missing:
            found[p] = ("anonymousId", SYNTHETIC_ANONYMOUS_PREFIX + p)
    return found
