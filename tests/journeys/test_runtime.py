"""The runtime's priority rule: sending threads wait while due journey steps run (bounded)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Workspace
from unicx.clock import Clock
from unicx.journeys import runtime
from unicx.journeys.runtime import Messaging
from unicx.store import Session, Store
from unicx.workspace import open_store


@pytest.fixture
def messaging(workspace: Workspace) -> Iterator[Messaging]:
    store: Store = open_store(workspace.settings)
    try:
        yield Messaging(store, workspace.settings, Clock())
    finally:
        store.close()


def test_a_tick_marks_its_due_steps_busy(messaging: Messaging) -> None:
    engine = messaging.engine
    seen: list[bool] = []
    due_batch = engine._due_batch

    def watched(s: Session, now: object, result: object) -> int:
        seen.append(engine.steps_idle.is_set())
        return due_batch(s, now, result)  # type: ignore[arg-type]

    engine._due_batch = watched  # type: ignore[method-assign]
    assert engine.steps_idle.is_set()
    engine.tick()
    assert seen == [False]  # busy while the due batch ran
    assert engine.steps_idle.is_set()  # idle again after it


def test_a_send_waits_for_the_steps_then_goes(messaging: Messaging) -> None:
    assert messaging.outbox.before_send is not None
    messaging.engine.steps_idle.clear()
    sender = threading.Thread(target=messaging.outbox.before_send)
    sender.start()
    sender.join(0.3)
    assert sender.is_alive()  # held while steps run
    messaging.engine.steps_idle.set()
    sender.join(2)
    assert not sender.is_alive()


def test_a_send_is_never_held_longer_than_the_bound(
    messaging: Messaging, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "STEPS_FIRST_S", 0.2)
    assert messaging.outbox.before_send is not None
    messaging.engine.steps_idle.clear()  # a scheduler that never catches up
    started = time.monotonic()
    messaging.outbox.before_send()
    assert 0.15 < time.monotonic() - started < 1.0


def test_after_a_tick_with_steps_the_whole_next_tick_is_busy(messaging: Messaging) -> None:
    engine = messaging.engine
    seen: list[bool] = []
    entries = engine._segment_entries

    def watched(s: Session, live: Any, now: Any) -> int:
        seen.append(engine.steps_idle.is_set())
        return entries(s, live, now)

    engine._segment_entries = watched  # type: ignore[method-assign]
    engine.tick()  # nothing due: the entry scan leaves the senders alone
    engine._backlog = True  # as after a tick that advanced runs
    engine.tick()
    assert seen == [True, False]
    assert engine.steps_idle.is_set() and not engine._backlog  # nothing advanced this time
