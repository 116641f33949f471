"""Retry timing for failed sends: exponential backoff with full jitter, bounded attempts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_BASE_S = 30.0
DEFAULT_CAP_S = 3600.0


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    base_s: float = DEFAULT_BASE_S
    cap_s: float = DEFAULT_CAP_S


def next_delay(policy: RetryPolicy, attempt: int, rng: random.Random) -> float:
    """Seconds before the next try after ``attempt`` failed tries: uniform in
    [0, min(cap, base · 2^(attempt-1))] ("full jitter"), so retries of many messages that
    failed together do not hit the provider together again."""
    ceiling = min(policy.cap_s, policy.base_s * 2 ** max(0, attempt - 1))
    return rng.uniform(0, ceiling)


def exhausted(policy: RetryPolicy, attempt: int) -> bool:
    return attempt >= policy.max_attempts


def policy_for(channel: str, config: Any) -> RetryPolicy:
    """A channel's config may set max_attempts / backoff_base_s / backoff_cap_s (webhooks do)."""
    del channel
    return RetryPolicy(
        max_attempts=int(getattr(config, "max_attempts", DEFAULT_MAX_ATTEMPTS)),
        base_s=float(getattr(config, "backoff_base_s", DEFAULT_BASE_S)),
        cap_s=float(getattr(config, "backoff_cap_s", DEFAULT_CAP_S)),
    )
