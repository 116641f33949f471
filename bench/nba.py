"""Next best action in a simulated market: cumulative regret of contextual Thompson sampling.

4 segments x 5 offers with known conversion rates (the best offer differs by segment). Each
round a person of a random segment arrives, the policy picks an offer, a conversion is drawn.
Regret is expected regret against the oracle that knows every segment's best offer:
sum over rounds of (best rate in the segment - rate of the chosen offer).

Policies: contextual Thompson sampling (unicx.personalize.bandit, bucket = segment, global
back-off), the same with 5% epsilon exploration (the served default), contextual
epsilon-greedy (10%), uniform random, and the fixed offer that is best on average (an oracle
choice that ignores the segment). Averaged over seeds.

Run: .venv/bin/python bench/nba.py   (offline, ~1 min; the last line is JSON)
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np

from unicx.personalize.bandit import EpsilonGreedy, ThompsonPolicy

SEGMENTS = ["students", "families", "professionals", "seniors"]
OFFERS = ["free_shipping", "10pct_off", "bundle", "loyalty_points", "premium_trial"]
# True conversion rates: rows segments, columns offers; each segment has its own best offer.
RATES = np.array(
    [
        [0.040, 0.090, 0.030, 0.020, 0.010],  # students: 10% off
        [0.050, 0.040, 0.080, 0.030, 0.020],  # families: bundle
        [0.020, 0.030, 0.040, 0.030, 0.085],  # professionals: premium trial
        [0.030, 0.020, 0.030, 0.070, 0.015],  # seniors: loyalty points
    ]
)
SHARES = np.array([0.3, 0.3, 0.25, 0.15])
ROUNDS = 40_000
CHECKPOINTS = (1_000, 5_000, 10_000, 20_000, 40_000)
SEEDS = (1, 2, 3, 4, 5)

Chooser = Callable[[int], int]
Learner = Callable[[int, int, bool], None]


def run(make: Callable[[int], tuple[Chooser, Learner]], seed: int) -> np.ndarray:
    """Cumulative expected regret at every round."""
    world = np.random.default_rng(1000 + seed)
    segments = world.choice(len(SEGMENTS), size=ROUNDS, p=SHARES)
    coins = world.random(ROUNDS)
    choose, learn = make(seed)
    best = RATES.max(axis=1)
    regret = np.empty(ROUNDS)
    for t in range(ROUNDS):
        seg = int(segments[t])
        arm = choose(seg)
        learn(seg, arm, bool(coins[t] < RATES[seg, arm]))
        regret[t] = best[seg] - RATES[seg, arm]
    return np.cumsum(regret)


def thompson(epsilon: float) -> Callable[[int], tuple[Chooser, Learner]]:
    def make(seed: int) -> tuple[Chooser, Learner]:
        policy = ThompsonPolicy(epsilon=epsilon, seed=seed)

        def choose(seg: int) -> int:
            arm = policy.choose(OFFERS, SEGMENTS[seg], propensity=False).arm
            return OFFERS.index(arm)

        def learn(seg: int, arm: int, reward: bool) -> None:
            policy.update(OFFERS[arm], SEGMENTS[seg], reward)

        return choose, learn

    return make


def epsilon_greedy(seed: int) -> tuple[Chooser, Learner]:
    policy = EpsilonGreedy(epsilon=0.1, seed=seed)
    return (
        lambda seg: OFFERS.index(policy.choose(OFFERS, SEGMENTS[seg])),
        lambda seg, arm, r: policy.update(OFFERS[arm], SEGMENTS[seg], r),
    )


def uniform(seed: int) -> tuple[Chooser, Learner]:
    rng = np.random.default_rng(seed)
    return (lambda seg: int(rng.integers(len(OFFERS)))), (lambda seg, arm, r: None)


def best_fixed(seed: int) -> tuple[Chooser, Learner]:
    del seed
    arm = int(np.argmax(SHARES @ RATES))
    return (lambda seg: arm), (lambda seg, arm_, r: None)


def main() -> None:
    started = time.perf_counter()
    policies = {
        "thompson": thompson(0.0),
        "thompson_eps05": thompson(0.05),
        "epsilon_greedy": epsilon_greedy,
        "random": uniform,
        "best_fixed": best_fixed,
    }
    curves: dict[str, np.ndarray] = {}
    for name, make in policies.items():
        t0 = time.perf_counter()
        curves[name] = np.mean([run(make, seed) for seed in SEEDS], axis=0)
        print(f"{name:16s} regret@{ROUNDS}: {curves[name][-1]:8.1f}  "
              f"({time.perf_counter() - t0:.1f} s)")  # fmt: skip
    table = {
        name: {str(c): round(float(curve[c - 1]), 2) for c in CHECKPOINTS}
        for name, curve in curves.items()
    }
    for c in CHECKPOINTS:
        row = "  ".join(f"{n}={table[n][str(c)]:.1f}" for n in table)
        print(f"round {c:6d}: {row}")
    final = {name: table[name][str(ROUNDS)] for name in table}
    print(
        json.dumps(
            {
                "rounds": ROUNDS,
                "seeds": len(SEEDS),
                "segments": len(SEGMENTS),
                "offers": len(OFFERS),
                "regret": final,
                "regret_at": table,
                "ratio_vs_random": round(final["thompson"] / final["random"], 4),
                "ratio_vs_best_fixed": round(final["thompson"] / final["best_fixed"], 4),
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
