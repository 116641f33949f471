"""Mentions of an erased person in other people's events, redacted in place.

Someone else's event may carry the person's e-mail or phone (a friend's referral, a support
note, a refused merge). The event is not theirs, so it stays, but GDPR erasure covers their
personal data wherever it is: each spelling of the address or number in ``traits``,
``context`` and ``properties`` becomes :data:`REDACTED`.
"""

from __future__ import annotations

import re
from typing import Final

import phonenumbers

from unicx.store import Session

REDACTED: Final = "[erased]"
_COLUMNS: Final = ("traits", "context", "properties")
# Shorter strings would hit unrelated text; quotes and backslashes would break the JSON text.
_MIN_NEEDLE: Final = 6
_UNSAFE = re.compile(r'["\\]')


def needles(session: Session) -> list[str]:
    """Every spelling of the person's e-mails and phones: normalized, as found in events,
    and the usual phone forms (E.164 with and without +, national with a leading 0)."""
    found = {str(r[0]) for r in session.fetchall("SELECT raw FROM px_contact", step="redact.raw")}
    for id_type, value in session.fetchall(
        "SELECT id_type, id_value FROM px_ids WHERE id_type IN ('email', 'phone')",
        step="redact.ids",
    ):
        found.add(str(value))
        if id_type == "phone":
            found.update(_phone_forms(str(value)))
    clean = {n.strip() for n in found}
    return sorted(n for n in clean if len(n) >= _MIN_NEEDLE and not _UNSAFE.search(n))


def _phone_forms(e164: str) -> set[str]:
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return set()
    national = str(number.national_number)
    return {e164.lstrip("+"), "0" + national}


def redact_mentions(session: Session) -> list[str]:
    """Redact the person's contact details in events that are not theirs (``px_events``);
    returns the profile ids whose events changed (their derived tables need a refresh)."""
    words = needles(session)
    if not words:
        return []
    pattern = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    session.execute(
        "CREATE OR REPLACE TEMP TABLE px_mentions AS SELECT event_key FROM events WHERE "
        "event_key NOT IN (SELECT event_key FROM px_events) AND regexp_matches("
        "concat_ws(' ', traits, context, properties), ?, 'i')",
        [pattern],
        step="redact.find",
    )
    sets = ", ".join(
        f"{c} = CAST(regexp_replace(CAST({c} AS VARCHAR), $p, '{REDACTED}', 'gi') AS JSON)"
        for c in _COLUMNS
    )
    session.execute(
        f"UPDATE events SET {sets} WHERE event_key IN (SELECT event_key FROM px_mentions)",
        {"p": pattern},
        step="redact.update",
    )
    rows = session.fetchall(
        "SELECT DISTINCT profile_id FROM event_profiles WHERE profile_id IS NOT NULL "
        "AND event_key IN (SELECT event_key FROM px_mentions)",
        step="redact.profiles",
    )
    session.execute("DROP TABLE px_mentions", step="redact.drop")
    return [str(r[0]) for r in rows]
