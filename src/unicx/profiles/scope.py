"""Which profiles a derived-table refresh covers, as SQL over ``event_profiles``.

A full refresh covers every resolved event. An incremental one registers the profile ids as an
Arrow table (no giant IN lists) and narrows ``events`` by the targets' user and anonymous ids
first: that filter is on plain ``events`` columns, so DuckDB pushes it below the identity joins
of the view instead of resolving every event before filtering.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from unicx.store import Session

TARGETS = "unicx_trait_targets"

_INCREMENTAL = f"""profile_id IN (SELECT profile_id FROM {TARGETS})
    AND (user_id IN (SELECT i.id_value FROM identities i JOIN {TARGETS} t USING (profile_id)
                     WHERE i.id_type = 'user_id')
      OR anonymous_id IN (SELECT i.id_value FROM identities i JOIN {TARGETS} t
                          USING (profile_id) WHERE i.id_type = 'anonymous_id'))"""


@dataclass(frozen=True)
class Scope:
    """``events``: a WHERE condition on event_profiles; ``rows``: one on a derived table."""

    full: bool
    events: str
    rows: str

    def clear(self, session: Session, table: str) -> None:
        """Delete ``table``'s rows for the profiles in scope (``table`` is a constant name)."""
        session.execute(f"DELETE FROM {table} WHERE {self.rows}", step=f"traits.clear.{table}")


FULL = Scope(full=True, events="profile_id IS NOT NULL", rows="true")


@contextmanager
def scope_for(session: Session, profile_ids: list[str] | None) -> Iterator[Scope]:
    """The scope of ``profile_ids`` (None: every profile), registered for the block's length."""
    if profile_ids is None:
        yield FULL
        return
    unique = sorted(set(profile_ids))
    session.register(TARGETS, pa.table({"profile_id": pa.array(unique, type=pa.string())}))
    try:
        yield Scope(
            full=False,
            events=_INCREMENTAL,
            rows=f"profile_id IN (SELECT profile_id FROM {TARGETS})",
        )
    finally:
        session.unregister(TARGETS)


def params_for(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """The named parameters ``sql`` uses: DuckDB refuses unused ones."""
    return {k: v for k, v in values.items() if f"${k}" in sql}
