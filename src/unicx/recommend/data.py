"""Interactions between people and items, the input of every recommendation model.

One row per event: a product view, an add to cart or a purchased line. ``matrix`` turns them
into the user x item confidence matrix the models read: each event weighs by its kind (a view
says less than a purchase) and fades with an exponential half-life (recent taste counts more).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

KINDS = ("view", "add", "purchase")
DEFAULT_EVENT_WEIGHTS: Mapping[str, float] = {"view": 1.0, "add": 3.0, "purchase": 8.0}


REQUIRED = ("profile_id", "item_id", "kind", "ts")


class EmptyInteractions(ValueError):
    """Nothing to learn from (no usable rows)."""


def _usable(table: pa.Table) -> pa.Array:
    """Rows with a known kind, person, item and time, and a positive finite quantity (NaN,
    zero or negative quantities are bad order lines, not "one unit")."""
    quantity = pc.fill_null(table["quantity"], 1.0)
    checks = [
        pc.is_in(table["kind"], pa.array(KINDS)),
        pc.is_valid(table["profile_id"]),
        pc.is_valid(table["item_id"]),
        pc.is_valid(table["ts"]),
        pc.and_(pc.greater(quantity, 0.0), pc.is_finite(quantity)),
    ]
    keep = checks[0]
    for check in checks[1:]:
        keep = pc.and_(keep, check)
    return pc.fill_null(keep, False)


def _normalize(table: pa.Table) -> pa.Table:
    """The input columns with the types the models need, or a clear ValueError."""
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise ValueError(f"interactions need columns {', '.join(REQUIRED)}; missing: {missing}")
    if "quantity" not in table.column_names:
        table = table.append_column("quantity", pa.array(np.ones(table.num_rows)))
    try:
        return pa.table(
            {
                "profile_id": pc.cast(table["profile_id"], pa.string()),
                "item_id": pc.cast(table["item_id"], pa.string()),
                "kind": pc.cast(table["kind"], pa.string()),
                "ts": pc.cast(table["ts"], pa.timestamp("us", tz="UTC")),
                "quantity": pc.cast(table["quantity"], pa.float64()),
            }
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ValueError(f"interactions have a column of the wrong type: {exc}") from exc


@dataclass(frozen=True)
class Interactions:
    users: list[str]  # index -> profile id
    items: list[str]  # index -> item id
    user_idx: NDArray[np.int32]
    item_idx: NDArray[np.int32]
    kind: NDArray[np.int8]  # index into KINDS
    ts: NDArray[np.float64]  # epoch seconds
    quantity: NDArray[np.float32]
    item_category: list[str | None]
    dropped: int = 0  # input rows left out (unknown kind, missing id or time, bad quantity)

    @classmethod
    def from_arrow(
        cls, table: pa.Table, *, categories: Mapping[str, str | None] | None = None
    ) -> Interactions:
        """From columns profile_id, item_id, kind (one of KINDS; other rows are dropped), ts
        (timestamp) and optional quantity (default 1; NaN, zero or negative rows dropped)."""
        table = _normalize(table)
        usable = table.filter(_usable(table))
        if usable.num_rows == 0:
            raise EmptyInteractions(
                f"no usable interactions (views, adds to cart or purchases) among "
                f"{table.num_rows} rows"
            )
        users, user_idx = np.unique(usable["profile_id"].to_numpy(zero_copy_only=False),
                                    return_inverse=True)  # fmt: skip
        items, item_idx = np.unique(usable["item_id"].to_numpy(zero_copy_only=False),
                                    return_inverse=True)  # fmt: skip
        kind = pc.index_in(usable["kind"], pa.array(KINDS)).to_numpy().astype(np.int8)
        ts = usable["ts"].cast(pa.int64()).to_numpy().astype(np.float64) / 1e6
        cats = categories or {}
        return cls(
            users=[str(u) for u in users],
            items=[str(i) for i in items],
            user_idx=user_idx.astype(np.int32),
            item_idx=item_idx.astype(np.int32),
            kind=kind,
            ts=ts,
            quantity=pc.fill_null(usable["quantity"], 1.0).to_numpy().astype(np.float32),
            item_category=[cats.get(str(i)) for i in items],
            dropped=table.num_rows - usable.num_rows,
        )

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.users), len(self.items)

    def user_index(self) -> dict[str, int]:
        return {u: i for i, u in enumerate(self.users)}

    def item_index(self) -> dict[str, int]:
        return {u: i for i, u in enumerate(self.items)}

    def weights(
        self,
        *,
        event_weights: Mapping[str, float],
        half_life_days: float | None,
        now: datetime,
    ) -> NDArray[np.float64]:
        """Each row's weight: its kind's weight, times log(1 + quantity) for purchases (a
        bulk order says more than one unit, but not 100 times more), times its time decay."""
        by_kind = np.array([event_weights.get(k, 0.0) for k in KINDS])
        w = by_kind[self.kind] * np.where(
            self.kind == KINDS.index("purchase"), np.log1p(self.quantity), 1.0
        )
        if half_life_days:
            age_days = np.maximum(now.timestamp() - self.ts, 0) / 86400
            w = w * np.power(0.5, age_days / half_life_days)
        return np.asarray(w, dtype=np.float64)

    def matrix(
        self,
        *,
        event_weights: Mapping[str, float] = DEFAULT_EVENT_WEIGHTS,
        half_life_days: float | None = None,
        now: datetime,
    ) -> csr_matrix:
        """users x items float32 confidence (duplicates summed)."""
        w = self.weights(event_weights=event_weights, half_life_days=half_life_days, now=now)
        m = csr_matrix((w, (self.user_idx, self.item_idx)), shape=self.shape, dtype=np.float64)
        m.sum_duplicates()
        m.eliminate_zeros()
        return m.astype(np.float32)

    def where(self, keep: NDArray[np.bool_]) -> Interactions:
        """The rows where ``keep`` holds, with the same user and item indices."""
        return Interactions(
            users=self.users,
            items=self.items,
            user_idx=self.user_idx[keep],
            item_idx=self.item_idx[keep],
            kind=self.kind[keep],
            ts=self.ts[keep],
            quantity=self.quantity[keep],
            item_category=self.item_category,
        )

    def before(self, cutoff: float) -> Interactions:
        """The rows strictly before ``cutoff`` (epoch seconds), same user and item indices."""
        return self.where(self.ts < cutoff)

    def binary(self, kinds: Collection[str] = KINDS) -> csr_matrix:
        """users x items 1.0 where the person had an interaction of one of ``kinds``."""
        keep = np.isin(self.kind, [KINDS.index(k) for k in kinds])
        ones = np.ones(int(keep.sum()), dtype=np.float32)
        m = csr_matrix((ones, (self.user_idx[keep], self.item_idx[keep])), shape=self.shape)
        m.sum_duplicates()
        m.data[:] = 1.0
        return m
