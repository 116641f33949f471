"""``unicx train``: run the workspace's model trainers in order.

Each trainer is ``train(store, settings, *, now, as_of=None) -> TrainResult`` in its own
module, imported when it runs (scikit-learn and implicit load only when training). A trainer
that finds too little data returns a ``rejected`` result with the reason and leaves its
previous outputs in place.

Trainers of domains above predict (recommendations) are installed into their slot by
``unicx.assembly``: predict schedules them but cannot import them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from unicx.config import Settings
from unicx.predict.registry import TrainResult
from unicx.store import Store


class Trainer(Protocol):
    def __call__(
        self, store: Store, settings: Settings, *, now: datetime, as_of: datetime | None = None
    ) -> TrainResult: ...


def _clv(
    store: Store, settings: Settings, *, now: datetime, as_of: datetime | None = None
) -> TrainResult:
    from unicx.predict.clv import train  # numpy and pyarrow load only when training

    return train(store, settings, now=now, as_of=as_of)


def _churn(
    store: Store, settings: Settings, *, now: datetime, as_of: datetime | None = None
) -> TrainResult:
    from unicx.predict.churn import train  # scikit-learn loads only when training

    return train(store, settings, now=now, as_of=as_of)


# Trainers of the domains above predict, by slot name (filled by unicx.assembly).
_installed: dict[str, Trainer] = {}


def _slot(name: str) -> Trainer:
    """The trainer ``name`` as installed when it runs (the table below lists it before)."""

    def run(
        store: Store, settings: Settings, *, now: datetime, as_of: datetime | None = None
    ) -> TrainResult:
        if name not in _installed:
            raise RuntimeError(f"trainer {name!r} is not installed (unicx.assembly installs it)")
        return _installed[name](store, settings, now=now, as_of=as_of)

    return run


# Order matters: churn features read the CLV traits; recommendations are independent. All
# names are here from the start (the CLI lists them before anything is installed).
TRAINERS: dict[str, Trainer] = {
    "clv": _clv,
    "churn": _churn,
    "recommend": _slot("recommend"),
}


def install_trainer(name: str, train: Trainer) -> None:
    """Give the slot ``name`` its trainer from a domain above predict (idempotent)."""
    _installed[name] = train


def trainer(name: str) -> Trainer:
    return TRAINERS[name]


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
