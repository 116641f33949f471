"""The bandit in simulated markets, propensities, and the IPS estimate against hand sums."""

from __future__ import annotations

import numpy as np
import pytest

from unicx.personalize.bandit import GLOBAL, Counts, ThompsonPolicy
from unicx.personalize.outcomes import IpsEstimate, Logged, ips_estimate


def _simulate(rates: dict[str, dict[str, float]], rounds: int, seed: int) -> list[tuple[str, str]]:
    policy = ThompsonPolicy(epsilon=0.0, seed=seed)
    world = np.random.default_rng(seed + 1)
    contexts = sorted(rates)
    arms = sorted(next(iter(rates.values())))
    picks = []
    for t in range(rounds):
        ctx = contexts[t % len(contexts)]
        arm = policy.choose(arms, ctx, propensity=False).arm
        policy.update(arm, ctx, bool(world.random() < rates[ctx][arm]))
        picks.append((ctx, arm))
    return picks


def test_converges_on_the_best_arm() -> None:
    rates = {"all": {"a": 0.02, "b": 0.05, "c": 0.10, "d": 0.04}}
    picks = _simulate(rates, 3000, seed=11)
    last = [arm for _, arm in picks[-500:]]
    assert last.count("c") / len(last) >= 0.8


def test_learns_a_different_best_offer_per_context() -> None:
    rates = {
        "students": {"discount": 0.12, "premium": 0.02, "bundle": 0.05},
        "executives": {"discount": 0.02, "premium": 0.12, "bundle": 0.05},
    }
    picks = _simulate(rates, 6000, seed=3)[-1000:]
    for ctx, best in (("students", "discount"), ("executives", "premium")):
        mine = [arm for c, arm in picks if c == ctx]
        assert mine.count(best) / len(mine) >= 0.8, ctx


def test_posterior_backs_off_to_the_global_rate() -> None:
    policy = ThompsonPolicy(backoff=20.0)
    policy.stats[("a", GLOBAL)] = Counts(1000, 100)  # 10% overall
    alpha, beta = policy.posterior("a", "new-bucket")
    assert alpha / (alpha + beta) == pytest.approx(101 / 1002)
    assert alpha + beta == pytest.approx(20.0)
    policy.stats[("a", "busy")] = Counts(2000, 1000)  # 50% in this bucket: data wins
    alpha, beta = policy.posterior("a", "busy")
    assert alpha / (alpha + beta) == pytest.approx(0.5, abs=0.01)


def test_propensity_mixes_epsilon_and_is_in_range() -> None:
    policy = ThompsonPolicy(epsilon=0.2, seed=5, draws=2000)
    # b is certainly better: Thompson picks it (almost) always, so p(a) = eps/2.
    policy.stats[("a", GLOBAL)] = Counts(10_000, 100)
    policy.stats[("b", GLOBAL)] = Counts(10_000, 5000)
    seen = {}
    for _ in range(200):
        choice = policy.choose(["a", "b"], GLOBAL)
        assert 0 < choice.propensity <= 1
        seen[choice.arm] = choice.propensity
    assert seen["a"] == pytest.approx(0.1, abs=0.01)
    assert seen["b"] == pytest.approx(0.9, abs=0.01)
    probs = policy.probabilities(["a", "b"], GLOBAL)
    assert probs["a"] == pytest.approx(0.1, abs=0.01)


def test_single_arm_has_propensity_one() -> None:
    assert ThompsonPolicy(epsilon=0.3, seed=1).choose(["only"], "x").propensity == 1.0


def test_epsilon_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError):
        ThompsonPolicy(epsilon=1.5)


def test_ips_estimate_matches_a_hand_computation() -> None:
    log = [
        Logged({"segment": "s1"}, "a", 0.5, 1.0),
        Logged({"segment": "s1"}, "b", 0.5, 0.0),
        Logged({"segment": "s2"}, "a", 0.25, 1.0),
        Logged({"segment": "s2"}, "b", 0.75, 1.0),
    ]

    # Candidate: always a in s1; 50/50 in s2.
    def target(x: Logged) -> dict[str, float]:
        return {"a": 1.0} if x.context["segment"] == "s1" else {"a": 0.5, "b": 0.5}

    est = ips_estimate(log, target)
    # weights: 1/0.5=2, 0, 0.5/0.25=2, 0.5/0.75=2/3; rewards 1,0,1,1
    value = (2 * 1 + 0 + 2 * 1 + (2 / 3) * 1) / 4
    assert est.value == pytest.approx(value)
    assert est.self_normalized == pytest.approx(value / ((2 + 0 + 2 + 2 / 3) / 4))
    assert est.n == 4
    assert ips_estimate([], target) == IpsEstimate(0.0, 0.0, 0)
