"""Contextual Thompson sampling over Beta posteriors, with epsilon exploration.

Arms are offers; a context is a bucket key such as ``"vip|mobile|evening|VN"``. Each (arm,
bucket) has success/trial counts; its posterior is Beta with a prior centred on the arm's
*global* rate (all buckets) and worth ``backoff`` pseudo-observations, so a bucket with little
data behaves like the global posterior and a bucket with plenty of data speaks for itself
(hierarchical shrinkage instead of a hard switch).

The policy is pure (no database): the service loads counts from ``offer_stats``, and
``bench/nba.py`` drives it in a simulated market.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

GLOBAL = "*"
DEFAULT_DRAWS = 256


@dataclass
class Counts:
    trials: float = 0.0
    successes: float = 0.0


@dataclass(frozen=True)
class Choice:
    arm: str
    propensity: float  # probability the policy had of choosing ``arm`` (0, 1]
    explored: bool  # picked by the epsilon branch


@dataclass
class ThompsonPolicy:
    """``epsilon``: share of uniformly random (weight-proportional) choices; ``backoff``:
    strength of the global prior in pseudo-observations; ``draws``: Monte Carlo samples used
    to estimate the propensity."""

    epsilon: float = 0.0
    backoff: float = 20.0
    draws: int = DEFAULT_DRAWS
    seed: int | None = None
    stats: dict[tuple[str, str], Counts] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.epsilon <= 1.0:
            raise ValueError("epsilon must be in [0, 1]")
        self.rng = np.random.default_rng(self.seed)

    # -- posteriors --------------------------------------------------------------------------

    def posterior(self, arm: str, bucket: str) -> tuple[float, float]:
        """(alpha, beta) of the arm's conversion rate in ``bucket``."""
        g = self.stats.get((arm, GLOBAL), Counts())
        mean = (1.0 + g.successes) / (2.0 + g.trials)
        strength = min(self.backoff, 2.0 + g.trials)
        alpha, beta = mean * strength, (1.0 - mean) * strength
        if bucket != GLOBAL:
            b = self.stats.get((arm, bucket), Counts())
            alpha += b.successes
            beta += max(b.trials - b.successes, 0.0)
        return alpha, beta

    def _params(self, arms: Sequence[str], bucket: str) -> tuple[np.ndarray, np.ndarray]:
        pairs = [self.posterior(a, bucket) for a in arms]
        return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])

    def _weights(self, arms: Sequence[str], weights: Mapping[str, float] | None) -> np.ndarray:
        w = np.array([max((weights or {}).get(a, 1.0), 0.0) for a in arms], dtype=float)
        return w / w.sum() if w.sum() > 0 else np.full(len(arms), 1.0 / len(arms))

    # -- choosing ----------------------------------------------------------------------------

    def choose(
        self,
        arms: Sequence[str],
        bucket: str,
        *,
        weights: Mapping[str, float] | None = None,
        propensity: bool = True,
    ) -> Choice:
        if not arms:
            raise ValueError("no arms to choose from")
        explore = self._weights(arms, weights)
        alpha, beta = self._params(arms, bucket)
        explored = bool(self.rng.random() < self.epsilon)
        if explored:
            index = int(self.rng.choice(len(arms), p=explore))
            sample = None
        else:
            sample = self.rng.beta(alpha, beta)
            index = int(np.argmax(sample))
        p = 1.0
        if propensity and len(arms) > 1:
            greedy = self._greedy_share(alpha, beta, index, sample)
            p = self.epsilon * float(explore[index]) + (1.0 - self.epsilon) * greedy
        return Choice(arms[index], p, explored)

    def _greedy_share(
        self, alpha: np.ndarray, beta: np.ndarray, index: int, sample: np.ndarray | None
    ) -> float:
        """How often Thompson sampling picks ``index``: Monte Carlo over posterior draws, the
        draw actually used counted in, so a chosen arm never gets propensity 0."""
        draws = self.rng.beta(alpha, beta, size=(self.draws, len(alpha)))
        wins = int(np.sum(np.argmax(draws, axis=1) == index))
        if sample is not None:
            return (wins + 1) / (self.draws + 1)
        return wins / self.draws

    def probabilities(
        self, arms: Sequence[str], bucket: str, *, weights: Mapping[str, float] | None = None
    ) -> dict[str, float]:
        """The policy's choice probabilities for every arm (Monte Carlo), e.g. for IPS."""
        alpha, beta = self._params(arms, bucket)
        draws = self.rng.beta(alpha, beta, size=(self.draws, len(arms)))
        share = np.bincount(np.argmax(draws, axis=1), minlength=len(arms)) / self.draws
        mixed = self.epsilon * self._weights(arms, weights) + (1.0 - self.epsilon) * share
        return {a: float(p) for a, p in zip(arms, mixed, strict=True)}

    # -- learning ----------------------------------------------------------------------------

    def update(self, arm: str, bucket: str, reward: bool) -> None:
        for key in ((arm, bucket), (arm, GLOBAL)) if bucket != GLOBAL else ((arm, GLOBAL),):
            counts = self.stats.setdefault(key, Counts())
            counts.trials += 1
            counts.successes += float(reward)


@dataclass
class EpsilonGreedy:
    """Baseline: the best observed mean per bucket, a random arm with probability epsilon."""

    epsilon: float = 0.1
    seed: int | None = None
    stats: dict[tuple[str, str], Counts] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def choose(self, arms: Sequence[str], bucket: str) -> str:
        if self.rng.random() < self.epsilon:
            return arms[int(self.rng.integers(len(arms)))]
        means = [
            (c.successes + 1) / (c.trials + 2)
            for c in (self.stats.get((a, bucket), Counts()) for a in arms)
        ]
        return arms[int(np.argmax(means))]

    def update(self, arm: str, bucket: str, reward: bool) -> None:
        counts = self.stats.setdefault((arm, bucket), Counts())
        counts.trials += 1
        counts.successes += float(reward)
