"""Interactions between people and items, the input of every recommendation model.

One row per event: a product view, an add to cart or a purchased line. ``matrix`` turns them
into the user x item confidence matrix the models read: each event weighs by its kind (a view
says less than a purchase) and fades with an exponential half-life (recent taste counts more).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

KINDS = ("view", "add", "purchase")
DEFAULT_EVENT_WEIGHTS: Mapping[str, float] = {"view": 1.0, "add": 3.0, "purchase": 8.0}


class EmptyInteractions(ValueError):
    """Nothing to learn from (no usable rows)."""


@dataclass(frozen=True)
class Interactions:
    users: list[str]
    items: list[str]
    user_idx: NDArray[np.int32]
    item_idx: NDArray[np.int32]
    kind: NDArray[np.int8]
    ts: NDArray[np.float64]
    quantity: NDArray[np.float32]
    item_category: list[str | None]

    @classmethod
    def from_arrow(
        cls, table: pa.Table, *, categories: Mapping[str, str | None] | None = None
    ) -> Interactions:
        """From columns profile_id, item_id, kind (one of KINDS; other rows are dropped), ts
        (timestamp) and optional quantity (default 1; NaN, zero or negative rows dropped)."""
        if "quantity" not in table.column_names:
            table = table.append_column("quantity", pa.array(np.ones(table.num_rows)))
        table = table.select(["profile_id", "item_id", "kind", "ts", "quantity"])
        quantity = pc.cast(table["quantity"], pa.float64())
        keep = pc.and_(
            pc.and_(pc.is_in(table["kind"], pa.array(KINDS)), pc.is_valid(table["profile_id"])),
            pc.and_(pc.is_valid(table["item_id"]), pc.greater(pc.fill_null(quantity, 1.0), 0)),
        )
        table = table.filter(pc.fill_null(keep, False))
        if table.num_rows == 0:
            raise EmptyInteractions("no usable interactions (views, adds to cart or purchases)")
        users, user_idx = np.unique(table["profile_id"].to_numpy(zero_copy_only=False),
                                    return_inverse=True)  # fmt: skip
        items, item_idx = np.unique(table["item_id"].to_numpy(zero_copy_only=False),
                                    return_inverse=True)  # fmt: skip
        kinds = {k: i for i, k in enumerate(KINDS)}
        kind = np.array([kinds[k] for k in table["kind"].to_pylist()], dtype=np.int8)
        ts = pc.cast(table["ts"], pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_numpy()
        cats = categories or {}
        return cls(
            users=[str(u) for u in users],
            items=[str(i) for i in items],
            user_idx=user_idx.astype(np.int32),
            item_idx=item_idx.astype(np.int32),
            kind=kind,
            ts=ts.astype(np.float64) / 1e6,
            quantity=np.nan_to_num(
                pc.fill_null(table["quantity"], 1.0).to_numpy().astype(np.float32), nan=1.0
            ),
            item_category=[cats.get(str(i)) for i in items],
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

    def before(self, cutoff: float) -> Interactions:
        """The rows strictly before ``cutoff`` (epoch seconds), same user and item indices."""
        keep = self.ts < cutoff
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
