"""Tables of the channels domain (part of migration 7).

- ``messages``: the outbox and the message log in one table. A row is written in the same
  transaction as the journey step that decided to send it; ``message_id`` is the idempotency
  key (run, node, visit), so a step replayed after a crash cannot queue a message twice. The
  dispatcher moves it queued → sending → sent (or deferred, suppressed, failed, dead).
- ``message_events``: what happened to a message afterwards (delivered, bounced, opened,
  clicked, unsubscribed, converted), one row each, for the log and the timeline.
- ``suppressions``: addresses never to message again on a channel (hard bounces,
  unsubscribes, manual), checked at send time.
- ``channel_configs``: each channel's provider settings, validated by the channel's model.
- ``messaging_policy``: caps, quiet hours and the default time zone (one row).
- ``inbox``: in-app / web messages waiting for the site or app to fetch them.
- ``audience_syncs`` / ``audience_sync_members`` / ``audience_sync_runs``: ad-audience
  destinations, the hashed identifiers last sent (for deltas) and each file written.
"""

from __future__ import annotations

CHANNELS_SQL = """
CREATE TABLE messages (
    message_id VARCHAR PRIMARY KEY,
    profile_id VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    journey_id VARCHAR,
    journey_version INTEGER,
    node_id VARCHAR,
    run_id VARCHAR,
    spec JSON NOT NULL,
    address VARCHAR,
    status VARCHAR NOT NULL,
    reason VARCHAR,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL,
    provider_id VARCHAR,
    last_error VARCHAR,
    rendered JSON
);
CREATE INDEX messages_profile ON messages (profile_id);
CREATE TABLE message_events (
    message_id VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    happened_at TIMESTAMPTZ NOT NULL,
    detail JSON
);
CREATE TABLE suppressions (
    channel VARCHAR NOT NULL,
    address VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    profile_id VARCHAR,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel, address)
);
CREATE TABLE channel_configs (
    channel VARCHAR PRIMARY KEY,
    config JSON NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE messaging_policy (
    id INTEGER PRIMARY KEY,
    policy JSON NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE inbox (
    message_id VARCHAR PRIMARY KEY,
    profile_id VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    content JSON NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    seen_at TIMESTAMPTZ,
    clicked_at TIMESTAMPTZ,
    dismissed_at TIMESTAMPTZ
);
CREATE TABLE audience_syncs (
    sync_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    segment_id VARCHAR NOT NULL,
    destination VARCHAR NOT NULL,
    config JSON NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_run_at TIMESTAMPTZ
);
CREATE TABLE audience_sync_members (
    sync_id VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL,
    key_type VARCHAR NOT NULL,
    hashed VARCHAR NOT NULL,
    PRIMARY KEY (sync_id, key_type, hashed)
);
CREATE TABLE audience_sync_runs (
    sync_id VARCHAR NOT NULL,
    run_at TIMESTAMPTZ NOT NULL,
    kind VARCHAR NOT NULL,
    added INTEGER NOT NULL,
    removed INTEGER NOT NULL,
    files JSON NOT NULL
);
"""

# Migration 11: errors once kept up to 200 bytes of a provider's or webhook receiver's answer
# (and an SMTP server's reply text); an answer from an internal service could hold anything,
# and analysts read the log. Keep the status only, as the code now writes it.
_ANSWER = r"' answered HTTP ([0-9]{3}): .*$'"
_SMTP = r"'^SMTP ([0-9]{3}): .*$'"
SCRUB_ANSWERS_SQL = f"""
UPDATE messages SET last_error = regexp_replace(
    regexp_replace(last_error, {_ANSWER}, ' answered HTTP \\1', 's'), {_SMTP}, 'SMTP \\1', 's')
WHERE regexp_matches(last_error, {_ANSWER}, 's') OR regexp_matches(last_error, {_SMTP}, 's');
UPDATE message_events SET detail = json_object(
    'error', regexp_replace(regexp_replace(detail ->> 'error', {_ANSWER},
                                           ' answered HTTP \\1', 's'), {_SMTP}, 'SMTP \\1', 's'),
    'attempt', detail -> 'attempt')
WHERE regexp_matches(detail ->> 'error', {_ANSWER}, 's')
   OR regexp_matches(detail ->> 'error', {_SMTP}, 's');
"""
