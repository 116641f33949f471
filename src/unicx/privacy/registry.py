"""Where a person's data lives: one registry that export and erasure both walk.

Each :class:`PersonTable` names a table and a SQL predicate selecting the person's rows. The
predicates read three temp tables that :func:`collect_person` builds first:

- ``px_profile(profile_id)``: the profile(s) being exported or erased;
- ``px_ids(id_type, id_value)``: their identifiers (normalized, as in ``identities``);
- ``px_events(event_key)``: events resolved to them through user_id/anonymous_id/previous_id,
  plus events identified only by one of their emails or phones (traits, context.traits);
- ``px_contact(raw)``: the raw spellings of their emails and phones found in events.

A domain that adds a table holding personal data (messages, journey state, model outputs,
segment membership) appends an entry with :func:`register_person_table`, and export and erasure
cover it with no other change. Tables without personal data go in ``NON_PERSONAL_TABLES``; a
test fails for any table that is in neither list.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
import pyarrow as pa

from unicx.identity.normalize import normalize_email, normalize_phone
from unicx.store import Session


@dataclass(frozen=True)
class PersonTable:
    table: str
    where: str
    order_by: str | None = None


_IN_PROFILE = "IN (SELECT profile_id FROM px_profile)"
_ID_PAIR = "({t}, {v}) IN (SELECT id_type, id_value FROM px_ids)"
# identity_merges.moved lists the identifiers a merge moved, as JSON objects.
_MOVED = (
    "merge_id IN (SELECT m.merge_id FROM identity_merges m, "
    "unnest(CAST(m.moved AS JSON[])) AS u(x) "
    "JOIN px_ids p ON p.id_type = (x->>'$.type') AND p.id_value = (x->>'$.value'))"
)

PERSON_TABLES: list[PersonTable] = [
    PersonTable("profiles", f"profile_id {_IN_PROFILE}"),
    PersonTable(
        "identities",
        f"profile_id {_IN_PROFILE} OR {_ID_PAIR.format(t='id_type', v='id_value')}",
        "id_type, id_value",
    ),
    PersonTable(
        "identity_links",
        f"{_ID_PAIR.format(t='a_type', v='a_value')} OR {_ID_PAIR.format(t='b_type', v='b_value')}",
        "created_at",
    ),
    PersonTable(
        "identity_blocks",
        f"{_ID_PAIR.format(t='a_type', v='a_value')} OR {_ID_PAIR.format(t='b_type', v='b_value')}",
        "created_at",
    ),
    PersonTable(
        "identity_merges",
        f"winner_id {_IN_PROFILE} OR loser_id {_IN_PROFILE} OR {_MOVED}",
        "created_at",
    ),
    PersonTable(
        "identity_conflicts",
        f"profile_id {_IN_PROFILE} OR other_profile_id {_IN_PROFILE} "
        f"OR {_ID_PAIR.format(t='id_type', v='id_value')}",
        "first_seen",
    ),
    PersonTable(
        "match_reviews", f"profile_a {_IN_PROFILE} OR profile_b {_IN_PROFILE}", "created_at"
    ),
    PersonTable("profile_traits", f"profile_id {_IN_PROFILE}", "name"),
    PersonTable("computed_traits", f"profile_id {_IN_PROFILE}", "name"),
    PersonTable("profile_search", f"profile_id {_IN_PROFILE}"),
    PersonTable("consents", f"profile_id {_IN_PROFILE}", "purpose"),
    PersonTable("model_traits", f"profile_id {_IN_PROFILE}", "name"),
    PersonTable("segment_members", f"profile_id {_IN_PROFILE}", "segment_id"),
    PersonTable("segment_changes", f"profile_id {_IN_PROFILE}", "change_id"),
    PersonTable("rec_candidates", f"profile_id {_IN_PROFILE}", "rank"),
    PersonTable("rec_purchased", f"profile_id {_IN_PROFILE}", "item_id"),
    PersonTable("rec_profiles", f"profile_id {_IN_PROFILE}", "country"),
    PersonTable("rec_served", f"profile_id {_IN_PROFILE}", "served_at"),
    PersonTable("decisions", f"profile_id {_IN_PROFILE}", "decided_at"),
    PersonTable("journey_runs", f"profile_id {_IN_PROFILE}", "entered_at"),
    PersonTable("journey_steps", f"profile_id {_IN_PROFILE}", "happened_at"),
    PersonTable("static_lists", f"profile_id {_IN_PROFILE}", "list_name"),
    PersonTable("messages", f"profile_id {_IN_PROFILE}", "created_at"),
    PersonTable("message_events", f"profile_id {_IN_PROFILE}", "happened_at"),
    PersonTable("inbox", f"profile_id {_IN_PROFILE}", "created_at"),
    PersonTable("suppressions", f"profile_id {_IN_PROFILE}", "created_at"),
    PersonTable("audience_sync_members", f"profile_id {_IN_PROFILE}", "key_type"),
    PersonTable("events", "event_key IN (SELECT event_key FROM px_events)", "timestamp"),
]

# Tables that hold no data about a person (or only hashes and ids, like tombstones and audit).
NON_PERSONAL_TABLES: set[str] = {
    "schema_migrations",
    "workspace_meta",
    "sources",
    "write_keys",
    "api_keys",
    # The business's own staff who sign in to the dashboard, not its customers: a customer's
    # export or erasure never reaches them (they are managed with `unicx users`).
    "dashboard_users",
    "dashboard_sessions",
    "imports",
    "tombstones",
    "audit_log",
    # Definitions and daily counts: no profile ids.
    "segments",
    "segment_versions",
    "segment_sizes",
    # Model runs, the product catalog and offer definitions: no profile ids.
    "models",
    "catalog_items",
    "rec_similar",
    "rec_trending",
    "rec_items",
    "rec_rules",
    "offers",
    # Offer policy settings, sensitivity marks, per-offer counters, the outcome watermark.
    "placements",
    "sensitive_traits",
    "offer_stats",
    "personalize_state",
    # Journey definitions and cursors, channel settings, messaging policy, ad-audience
    # destinations and their run log (counts and file names only).
    "journeys",
    "journey_versions",
    "journey_cursors",
    "channel_configs",
    "messaging_policy",
    "audience_syncs",
    "audience_sync_runs",
}

TEMP_TABLES = ("px_profile", "px_ids", "px_events", "px_contact")
# Where events carry contact details outside user_id/anonymous_id. Parenthesized because
# ->> binds more loosely than IN and = in DuckDB.
CONTACT_PATHS = {
    "email": ("(traits->>'$.email')", "(context->>'$.traits.email')"),
    "phone": ("(traits->>'$.phone')", "(context->>'$.traits.phone')"),
}
# Where other spellings of them are looked for, to redact mentions (not to select events).
_SPELLING_PATHS = {t: (*paths, f"(properties->>'$.{t}')") for t, paths in CONTACT_PATHS.items()}


def register_person_table(entry: PersonTable) -> None:
    """Add a table holding personal data; export and erasure include it from then on."""
    if any(t.table == entry.table for t in PERSON_TABLES):
        raise ValueError(f"{entry.table} is already registered")
    PERSON_TABLES.append(entry)


def collect_person(session: Session, profile_ids: list[str]) -> int:
    """Build the ``px_*`` temp tables for ``profile_ids``; returns how many identifiers."""
    session.register("px_profile_in", pa.table({"profile_id": pa.array(profile_ids, pa.string())}))
    try:
        session.execute(
            "CREATE OR REPLACE TEMP TABLE px_profile AS SELECT DISTINCT profile_id FROM "
            "px_profile_in; CREATE OR REPLACE TEMP TABLE px_ids AS SELECT DISTINCT id_type, "
            "id_value FROM identities WHERE profile_id IN (SELECT profile_id FROM px_profile)",
            step="privacy.collect_ids",
        )
    finally:
        session.unregister("px_profile_in")
    _contact_values(session)
    session.execute(PERSON_EVENTS_SQL, step="privacy.collect_events")
    row = session.fetchone("SELECT count(*) FROM px_ids", step="privacy.count_ids")
    return int(row[0]) if row else 0


def drop_person(session: Session) -> None:
    for name in TEMP_TABLES:
        session.execute(f"DROP TABLE IF EXISTS temp.{name}", step="privacy.cleanup")


_CARRIES_CONTACT = " OR ".join(
    f"{path} IN (SELECT raw FROM px_contact)" for paths in CONTACT_PATHS.values() for path in paths
)
# The person's events are chosen by the identity graph: their user and anonymous ids, and
# events whose identifying traits carry their email or phone (what identity resolution links)
# unless the event's own ids belong to someone else. A mere mention (someone else's event, a
# property) is not theirs: it is redacted in place on erasure (unicx.privacy.redact).
PERSON_EVENTS_SQL = f"""
CREATE OR REPLACE TEMP TABLE px_events AS
SELECT event_key FROM events
WHERE user_id IN (SELECT id_value FROM px_ids WHERE id_type = 'user_id')
   OR anonymous_id IN (SELECT id_value FROM px_ids WHERE id_type = 'anonymous_id')
   OR previous_id IN (SELECT id_value FROM px_ids WHERE id_type IN ('anonymous_id', 'user_id'))
   OR (({_CARRIES_CONTACT})
       AND NOT EXISTS (SELECT 1 FROM identities o WHERE o.profile_id NOT IN
           (SELECT profile_id FROM px_profile) AND ((o.id_type = 'user_id' AND
           o.id_value = events.user_id) OR (o.id_type = 'anonymous_id' AND
           o.id_value = events.anonymous_id))))
"""


def _contact_values(session: Session) -> None:
    """``px_contact(raw)``: raw email/phone strings in events that normalize to the person's.

    Normalization needs Python (email-validator, phonenumbers), so SQL first narrows the
    distinct raw values to those containing the email's local part or the phone's national
    digits, and only those are normalized and compared.
    """
    ids = session.fetchall(
        "SELECT id_type, id_value FROM px_ids WHERE id_type IN ('email', 'phone')",
        step="privacy.contact_ids",
    )
    wanted = {(str(t), str(v)) for t, v in ids}
    keys = [(t, _search_key(t, v)) for t, v in wanted]
    if not keys:
        _contact_table(session, [])
        return
    session.register(
        "px_contact_keys",
        pa.table(
            {
                "id_type": pa.array([t for t, _ in keys], pa.string()),
                "k": pa.array([k for _, k in keys], pa.string()),
            }
        ),
    )
    try:
        candidates = session.fetchall(contact_candidates_sql(), step="privacy.contact_candidates")
    finally:
        session.unregister("px_contact_keys")
    hits = [str(raw) for t, raw in candidates if (t, _normalize(str(t), str(raw))) in wanted]
    _contact_table(session, hits)


def contact_candidates_sql() -> str:
    """Distinct raw emails/phones in events (every spelling path) holding a search key of
    ``px_contact_keys``: one UNION branch per path, narrowed before Python normalizes them."""
    unions = " UNION ".join(
        f"SELECT '{t}' AS id_type, {p} AS raw FROM events WHERE {p} IS NOT NULL"
        for t, ps in _SPELLING_PATHS.items()
        for p in ps
    )
    return (
        f"SELECT DISTINCT c.id_type, c.raw FROM ({unions}) c JOIN px_contact_keys k "
        "ON k.id_type = c.id_type AND length(c.raw) <= 256 AND contains(CASE c.id_type "
        "WHEN 'email' THEN lower(c.raw) ELSE regexp_replace(c.raw, '[^0-9]', '', 'g') END, "
        "k.k)"
    )


def _contact_table(session: Session, hits: list[str]) -> None:
    session.execute(
        "CREATE OR REPLACE TEMP TABLE px_contact AS SELECT unnest(?::VARCHAR[]) AS raw",
        [hits],
        step="privacy.contact_hits",
    )


def _normalize(id_type: str, raw: str) -> str | None:
    return normalize_email(raw) if id_type == "email" else normalize_phone(raw)


def _search_key(id_type: str, value: str) -> str:
    """A substring every raw spelling of the identifier contains."""
    if id_type == "email":
        return value.split("@", 1)[0]
    try:
        return str(phonenumbers.parse(value).national_number)
    except phonenumbers.NumberParseException:
        return value.lstrip("+")
