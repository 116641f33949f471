"""``unicx train``: run the workspace's model trainers in order.

Each trainer is ``train(store, settings, *, now, as_of=None) -> TrainResult`` in its own
module, imported lazily (scikit-learn and implicit load only when training). A trainer that
finds too little data returns a ``rejected`` result with the reason and leaves its previous
outputs in place.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from typing import cast

from unicx.config import Settings
from unicx.predict.registry import TrainResult
from unicx.store import Store

Trainer = Callable[..., TrainResult]

# Order matters: churn features read the CLV traits; recommendations are independent.
TRAINERS: dict[str, str] = {
    "clv": "unicx.predict.clv:train",
    "churn": "unicx.predict.churn:train",
    "recommend": "unicx.recommend.train:train",
}


def trainer(name: str) -> Trainer:
    module, _, func = TRAINERS[name].partition(":")
    return cast(Trainer, getattr(importlib.import_module(module), func))


def train_models(
    store: Store,
    settings: Settings,
    *,
    names: list[str] | None = None,
    now: datetime,
    as_of: datetime | None = None,
) -> list[TrainResult]:
    """Train ``names`` (all by default) in registry order and return one result per model;
    ``as_of``: the data cut-off when training on history (predict/asof.py)."""
    wanted = [n for n in TRAINERS if names is None or n in names]
    return [trainer(name)(store, settings, now=now, as_of=as_of) for name in wanted]
