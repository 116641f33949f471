"""Fixtures of the personalize tests: the five people of tests/segments/fixture.py, plus a
first name for alice, a sensitive trait for chi, and personalization consent for alice, chi
and em (bob and dung never gave it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Workspace
from tests.profiles.traits_data import event, load
from tests.segments.fixture import IDS, NOW, ago, events
from unicx.personalize.decide import Decider
from unicx.personalize.offers import OfferService
from unicx.privacy.consent import refresh_consents
from unicx.profiles.traits import refresh_traits
from unicx.store import Store
from unicx.workspace import open_store

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _consent(who: str) -> dict[str, Any]:
    props = {"purpose": "personalization", "granted": True}
    return event("track", ago(days=5), user_id=who, event="Consent Updated", properties=props)


def extra_events() -> list[dict[str, Any]]:
    out = [
        event("identify", ago(days=29), user_id="alice", traits={"first_name": "Alice"}),
        event(
            "identify", ago(days=9), user_id="chi", traits={"religion": "x", "first_name": "Chi"}
        ),
        _consent("alice"),
        _consent("chi"),
        _consent("em"),
    ]
    for e in out:
        e["country"], e["city"] = "VN", "Ha Noi"
    return out


@pytest.fixture
def store(workspace: Workspace) -> Iterator[Store]:
    s = open_store(workspace.settings)
    load(s, events() + extra_events(), IDS)
    with s.session() as session, session.transaction():
        refresh_traits(session, workspace.settings, None, now=NOW)
        refresh_consents(session, workspace.settings, None)
    yield s
    s.close()


@pytest.fixture
def offers(store: Store) -> OfferService:
    return OfferService(store)


@pytest.fixture
def decider(store: Store, workspace: Workspace) -> Decider:
    return Decider(store, workspace.settings, seed=7)
