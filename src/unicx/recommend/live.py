"""What the server answers from: the index, the people, the rules, kept fresh off the hot path.

A request never waits for a reload once the first load is done: a stale snapshot starts a
background refresh and is used meanwhile (reloads take seconds on big workspaces). Each part
has a cheap stamp query and is reloaded only when its stamp changes.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace

from unicx.errors import StoreError
from unicx.recommend.index import Index, index_stamp, load_index
from unicx.recommend.people import (
    People,
    consent_stamp,
    load_consent,
    load_ids,
    people_stamp,
)
from unicx.recommend.rules import Rules, load_rules, rules_stamp
from unicx.store import Session, Store

log = logging.getLogger("unicx.recommend")
CHECK_EVERY_S = 2.0
PEOPLE_EVERY_S = 60.0  # new profiles are read from the store meanwhile


@dataclass(frozen=True)
class Snapshot:
    index: Index
    people: People
    rules: Rules
    stamps: tuple[tuple[object, ...], ...]


class IndexHolder:
    def __init__(self, store: Store, *, check_every_s: float = CHECK_EVERY_S) -> None:
        self._store = store
        self._every = check_every_s
        self._lock = threading.Lock()
        self._snap: Snapshot | None = None
        self._checked = 0.0
        self._people_at = 0.0
        self._refreshing = False

    def get(self) -> Snapshot:
        snap = self._snap
        if snap is None:
            with self._lock:
                if self._snap is None:
                    self._refresh()
            assert self._snap is not None
            return self._snap
        if time.monotonic() - self._checked >= self._every and not self._refreshing:
            self._refreshing = True
            threading.Thread(target=self._background, daemon=True, name="rec-index").start()
        return snap

    def invalidate(self) -> None:
        """Reload everything that changed before the next answer (tests, rule saves)."""
        with self._lock:
            self._refresh()

    def _background(self) -> None:
        try:
            with self._lock:
                self._refresh()
        except StoreError as exc:  # e.g. the store closing at shutdown: the next check retries
            log.warning("recommendation index refresh failed: %s", exc)
        finally:
            self._refreshing = False

    def _refresh(self) -> None:
        with self._store.session() as s:
            self._snap = self._load(s, self._snap)
        self._checked = time.monotonic()

    def _load(self, s: Session, old: Snapshot | None) -> Snapshot:
        stamps = (index_stamp(s), consent_stamp(s), rules_stamp(s), people_stamp(s))
        if old is None:
            self._people_at = time.monotonic()
            people = People(load_ids(s), load_consent(s))
            return Snapshot(load_index(s), people, load_rules(s), stamps)
        index = load_index(s) if stamps[0] != old.stamps[0] else old.index
        people = old.people
        if stamps[1] != old.stamps[1]:
            people = replace(people, consent=load_consent(s))
        stale = time.monotonic() - self._people_at >= PEOPLE_EVERY_S
        if stamps[3] != old.stamps[3] and stale:
            self._people_at = time.monotonic()
            people = replace(people, ids=load_ids(s))
        else:
            stamps = (*stamps[:3], old.stamps[3])  # not reloaded yet: compare again next time
        rules = load_rules(s) if stamps[2] != old.stamps[2] else old.rules
        return Snapshot(index, people, rules, stamps)
