"""A decision previewed (record=False, the dashboard's Profile 360) is the one the person would
get, and leaves no trace: no decision row, no bandit trial, no decision id."""

from __future__ import annotations

from tests.personalize.test_decide import _count, _setup
from tests.segments.fixture import NOW
from unicx.personalize.decide import Decider
from unicx.personalize.offers import OfferService
from unicx.store import Store


def test_a_preview_is_neither_logged_nor_counted(
    offers: OfferService, decider: Decider, store: Store
) -> None:
    ids = _setup(offers, holdout=0.0)
    chi = decider.decide("pc", placement="home", now=NOW, record=False)
    assert chi.reason == "policy" and chi.offer is not None
    assert chi.offer.offer_id == ids["whisky"] and chi.decision_id is None
    bob = decider.decide("pb", placement="home", now=NOW, record=False)  # no consent: default
    assert bob.reason == "no_consent" and bob.offer is not None and bob.decision_id is None
    assert _count(store, "decisions") == 0 and _count(store, "offer_stats") == 0
    real = decider.decide("pc", placement="home", now=NOW)
    assert real.decision_id is not None and real.offer == chi.offer
    assert _count(store, "decisions") == 1
