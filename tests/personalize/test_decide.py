"""Offers saved and decided on the five-person workspace (tests/personalize/conftest.py).

alice (pa, plan pro, whisky buyer, consent), bob (pb, no consent), chi (pc, whisky, a
``religion`` trait, consent), dung (pd, anonymous, no consent), em (pe, whisky, plan free,
consent)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.profiles.traits_data import event, load
from tests.segments.fixture import NOW
from unicx.errors import ConflictError, NotFoundError, ValidationError
from unicx.personalize.decide import Decider
from unicx.personalize.models import OfferCreate, PlacementSettings
from unicx.personalize.offers import OfferService
from unicx.personalize.outcomes import decision_log
from unicx.personalize.person import in_holdout
from unicx.personalize.sensitive import mark, sensitive_traits
from unicx.store import Store

WHISKY = {"event": "Order Completed", "where": [{"property": "category", "op": "eq",
                                                 "value": "whisky"}]}  # fmt: skip


def _setup(offers: OfferService, *, holdout: float = 0.0, epsilon: float = 0.0) -> dict[str, str]:
    ids = {
        "default": offers.create(OfferCreate(name="Welcome", placement="home", template="Xin chào!",
                                             is_default=True), now=NOW).offer_id,
        "whisky": offers.create(OfferCreate(
            name="Whisky club", placement="home", eligibility=WHISKY,
            template='Chào {{ traits.first_name | default("bạn") }}: {{ traits.revenue | vnd }}',
        ), now=NOW).offer_id,
        "pro": offers.create(OfferCreate(name="Pro", placement="home", template="Pro",
                                         eligibility={"trait": "plan", "op": "eq",
                                                      "value": "pro"}), now=NOW).offer_id,
    }  # fmt: skip
    offers.set_placement("home", PlacementSettings(epsilon=epsilon, holdout_percent=holdout),
                         now=NOW)  # fmt: skip
    return ids


def _count(store: Store, table: str) -> int:
    with store.session() as s:
        row = s.fetchone(f"SELECT count(*) FROM {table}", step="t")
    return int(row[0]) if row else 0


def test_eligibility_is_evaluated_per_person(offers: OfferService, decider: Decider) -> None:
    ids = _setup(offers)
    chi = decider.decide("pc", placement="home", now=NOW)  # whisky only (plan unknown)
    assert chi.reason == "policy" and chi.offer is not None
    assert chi.offer.offer_id == ids["whisky"]
    assert chi.offer.content == "Chào Chi: 6.000.000 ₫"
    em = decider.decide("pe", placement="home", now=NOW)  # whisky, no first name: fallback
    assert em.offer is not None and em.offer.content == "Chào bạn: 1.000.000 ₫"
    alice = decider.decide("pa", placement="home", now=NOW)  # whisky and pro compete
    assert alice.offer is not None and alice.offer.offer_id in (ids["whisky"], ids["pro"])
    assert 0 < alice.propensity <= 1


def test_no_consent_gets_the_default_without_traits(offers: OfferService, decider: Decider) -> None:
    ids = _setup(offers)
    for profile in ("pb", "pd"):
        d = decider.decide(profile, placement="home", now=NOW)
        assert d.reason == "no_consent" and not d.personalized
        assert d.offer is not None and d.offer.offer_id == ids["default"]
        assert d.context["segment"] == "-"  # no trait was read


def test_decision_is_logged_with_propensity(
    offers: OfferService, decider: Decider, store: Store
) -> None:
    _setup(offers, epsilon=0.1)
    d = decider.decide("pa", placement="home", now=NOW, device="Mobile", country="vn")
    with store.session() as s:
        row = s.fetch_dicts("SELECT * FROM decisions WHERE decision_id = ?", [d.decision_id],
                            step="t")[0]  # fmt: skip
    assert row["offer_id"] == d.offer.offer_id if d.offer else False
    assert 0 < row["propensity"] <= 1 and row["propensity"] == d.propensity
    assert json.loads(row["context"])["device"] == "mobile"
    assert json.loads(row["context"])["country"] == "VN"
    assert row["reason"] == "policy" and not row["holdout"]


def test_outcomes_update_the_counters(offers: OfferService, decider: Decider, store: Store) -> None:
    _setup(offers)
    d = decider.decide("pc", placement="home", now=NOW)
    assert d.offer is not None
    clicked = event("track", "2024-06-30 12:00", user_id="chi", event="Offer Converted",
                    properties={"decision_id": d.decision_id})  # fmt: skip
    clicked["country"], clicked["city"] = "VN", "Ha Noi"
    load(store, [clicked], {})
    later = NOW + timedelta(minutes=1)
    decider.decide("pc", placement="home", now=later)  # folds the outcome in
    with store.session() as s:
        stats = s.fetchall(
            "SELECT bucket, trials, conversions FROM offer_stats "
            "WHERE offer_id = ? ORDER BY bucket",
            [d.offer.offer_id],
            step="t",
        )
        log = decision_log(s, "home")  # fmt: skip
    assert [(t, c) for b, t, c in stats if b == "*"] == [(2, 1)]
    assert [x.reward for x in log] == [1.0, 0.0]


def test_holdout_share_is_close_to_the_setting() -> None:
    share = sum(in_holdout(f"p{i}", "home", 10.0) for i in range(20_000)) / 20_000
    assert share == pytest.approx(0.10, abs=0.01)
    assert in_holdout("p1", "home", 10.0) == in_holdout("p1", "home", 10.0)


def test_holdout_gets_the_default(offers: OfferService, decider: Decider) -> None:
    ids = _setup(offers, holdout=50.0)
    answers = [decider.decide(p, placement="home", now=NOW) for p in ("pa", "pc", "pe")]
    for d, p in zip(answers, ("pa", "pc", "pe"), strict=True):
        assert d.holdout == in_holdout(p, "home", 50.0)
        if d.holdout:
            assert d.offer is not None and d.offer.offer_id == ids["default"]


def test_nothing_eligible_gives_the_default(offers: OfferService, decider: Decider) -> None:
    offers.create(OfferCreate(name="D", placement="p2", template="d", is_default=True), now=NOW)
    offers.create(OfferCreate(name="Pro2", placement="p2", template="x",
                              eligibility={"trait": "plan", "op": "eq", "value": "pro"}),
                  now=NOW)  # fmt: skip
    offers.set_placement("p2", PlacementSettings(holdout_percent=0), now=NOW)
    d = decider.decide("pe", placement="p2", now=NOW)
    assert d.reason == "no_eligible" and d.offer is not None and d.offer.name == "D"


def test_unknown_profile_and_placement(offers: OfferService, decider: Decider) -> None:
    _setup(offers)
    with pytest.raises(NotFoundError, match="profile"):
        decider.decide("nobody", placement="home", now=NOW)
    with pytest.raises(NotFoundError, match="placement"):
        decider.decide("pa", placement="checkout", now=NOW)


def test_sensitive_traits_are_refused_and_nothing_saved(offers: OfferService, store: Store) -> None:
    with pytest.raises(ValidationError) as err:
        offers.create(OfferCreate(name="R", placement="home", template="x",
                                  eligibility={"all": [{"has": "email"}, {"trait": "religion",
                                               "op": "exists"}]}), now=NOW)  # fmt: skip
    assert err.value.issues[0].field == "eligibility.all[1].trait"
    assert "religion" in err.value.message
    with pytest.raises(ValidationError, match=r"line 2: trait 'religion' is sensitive"):
        offers.create(OfferCreate(name="T", placement="home",
                                  template="Hi\n{{ traits.religion }}"), now=NOW)  # fmt: skip
    assert _count(store, "offers") == 0
    assert "religion" in sensitive_traits(store.session())


def test_admin_marked_trait_is_refused(offers: OfferService, store: Store) -> None:
    offers.create(OfferCreate(name="Plan", placement="home", template="{{ traits.plan }}"), now=NOW)
    with store.session() as s:
        mark(s, "plan", sensitive=True, category="other", reason="test", actor="k", now=NOW)
        assert "plan" in sensitive_traits(s)
    with pytest.raises(ValidationError, match="plan"):
        offers.create(OfferCreate(name="Plan2", placement="home", template="{{ traits.plan }}"),
                      now=NOW)  # fmt: skip
    with pytest.raises(ValidationError, match="plan"):
        plan3 = {"trait": "plan", "op": "exists"}
        offers.create(OfferCreate(name="Plan3", placement="home", template="x",
                                  eligibility=plan3), now=NOW)  # fmt: skip
    assert _count(store, "offers") == 1


def test_sensitive_trait_is_never_in_the_render_context(
    offers: OfferService, decider: Decider
) -> None:
    dump = "{% for k in traits %}{{ k }},{% endfor %}"
    offers.create(OfferCreate(name="Dump", placement="dump", template=dump), now=NOW)
    offers.set_placement("dump", PlacementSettings(holdout_percent=0), now=NOW)
    d = decider.decide("pc", placement="dump", now=NOW)
    assert d.offer is not None
    assert "first_name" in d.offer.content and "religion" not in d.offer.content


def test_sensitive_trait_through_a_segment_is_refused(offers: OfferService, store: Store,
                                                      workspace: object) -> None:  # fmt: skip
    from unicx.segments.models import SegmentCreate
    from unicx.segments.service import SegmentService

    settings = workspace.settings  # type: ignore[attr-defined]
    SegmentService(store, settings).create(
        SegmentCreate(name="Faithful", definition={"trait": "religion", "op": "exists"}), now=NOW
    )
    with pytest.raises(ValidationError, match="religion") as err:
        offers.create(OfferCreate(name="S", placement="home", template="x",
                                  eligibility={"segment": "Faithful"}), now=NOW)  # fmt: skip
    assert err.value.issues[0].field == "eligibility.segment"


def test_bad_eligibility_names_the_path(offers: OfferService) -> None:
    with pytest.raises(ValidationError) as err:
        offers.create(OfferCreate(name="B", placement="home", template="x",
                                  eligibility={"all": [{"trait": "revenue", "op": "contains",
                                                        "value": "x"}]}), now=NOW)  # fmt: skip
    assert err.value.issues[0].field == "eligibility.all[0].op"


def test_one_default_per_placement_and_unique_names(offers: OfferService) -> None:
    offers.create(OfferCreate(name="D1", placement="home", template="a", is_default=True), now=NOW)
    with pytest.raises(ConflictError, match="default"):
        offers.create(OfferCreate(name="D2", placement="home", template="a", is_default=True),
                      now=NOW)  # fmt: skip
    with pytest.raises(ConflictError, match="named"):
        offers.create(OfferCreate(name="d1", placement="other", template="a"), now=NOW)
