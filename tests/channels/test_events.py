"""unicx's own events (opens, clicks, journey traits): written like ingested ones, idempotent
by message id, and accepted under a journey clock moved days ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import Workspace
from unicx.channels.events import OwnEvent, track_many
from unicx.workspace import open_store


def test_own_events_under_a_clock_days_ahead_are_written_once(workspace: Workspace) -> None:
    store = open_store(workspace.settings)
    try:
        ahead = datetime.now(UTC) + timedelta(days=3)  # past the 24 h max_future limit
        events = [
            OwnEvent("prof-1", "Email Opened", {"message_id": "m1"}, message_id="own-1"),
            OwnEvent("prof-2", "", {"vip": True}, message_id="own-2", type_="identify"),
        ]
        with store.session() as s, s.transaction():
            assert track_many(s, workspace.settings, events, now=ahead) == ["own-1", "own-2"]
        with store.session() as s, s.transaction():  # the same ids again: no second row
            track_many(s, workspace.settings, events, now=ahead)
        with store.session() as s:
            rows = s.fetchall(
                "SELECT message_id, type, event, timestamp FROM events ORDER BY message_id",
                step="test.events",
            )
        assert [(r[0], r[1], r[2]) for r in rows] == [
            ("own-1", "track", "Email Opened"),
            ("own-2", "identify", None),
        ]
        assert all(abs((r[3] - ahead).total_seconds()) < 1 for r in rows)
    finally:
        store.close()
