"""Refreshing ``computed_traits``: built-in traits, RFM and the workspace's custom traits.

Each refresh deletes the rows of the profiles in scope and inserts one row per (profile,
trait) with a non-null value, computed set-based from ``event_profiles`` (a wide row per
profile, unpivoted into name/value JSON). A profile without events (merged away) gets no rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from unicx.config import Settings
from unicx.profiles.computed_sql import ACTIVITY_STEPS, EVENTS_STEP, WIDE_STEP
from unicx.profiles.custom_traits import event_columns, runnable_traits
from unicx.profiles.custom_validate import Compiled
from unicx.profiles.orders_sql import ORDER_STEPS
from unicx.profiles.refresh_scope import Scope, params_for
from unicx.profiles.rfm import rfm_steps
from unicx.store import Session
from unicx.store.sandbox import run_isolated

_UNPIVOT = """
SELECT profile_id, name, value, CAST($now AS TIMESTAMPTZ)
FROM (UNPIVOT wide ON COLUMNS(* EXCLUDE (profile_id)) INTO NAME name VALUE value)"""
_UNPIVOT_VALUES = """
SELECT profile_id, name, value
FROM (UNPIVOT wide ON COLUMNS(* EXCLUDE (profile_id)) INTO NAME name VALUE value)"""
_CUSTOM_ROWS = "unicx_custom_trait_rows"
_INSERT = "INSERT INTO computed_traits (profile_id, name, value, computed_at)\n"


def builtin_sql(scope: Scope) -> str:
    """The INSERT of the built-in traits for ``scope`` (parameters $now, $tz, $currency)."""
    steps = ",\n".join(
        (
            EVENTS_STEP.format(scope=scope.events),
            ACTIVITY_STEPS,
            ORDER_STEPS,
            rfm_steps(include_stored=not scope.full),
            WIDE_STEP,
        )
    )
    return f"{_INSERT}WITH {steps}{_UNPIVOT}"


def custom_sql(traits: list[tuple[str, Compiled]]) -> str:
    """The sandbox query of custom traits (names are validated identifiers, expressions
    compiled) over the ``event_profiles`` columns it is handed; yields the rows to insert."""
    columns = ",\n  ".join(f'to_json({c.sql}) AS "{name}"' for name, c in traits)
    wide = f"wide AS (SELECT profile_id,\n  {columns}\nFROM event_profiles GROUP BY profile_id)"
    return f"WITH {wide}{_UNPIVOT_VALUES}"


def refresh_custom(
    session: Session, scope: Scope, traits: list[tuple[str, Compiled]], values: dict[str, Any]
) -> int:
    """Compute custom traits in the sandbox and insert them; returns the rows written."""
    used = frozenset().union(*(c.columns for _, c in traits))
    events = event_columns(session, scope.events, used, stream=scope.full)
    sql = custom_sql(traits)
    rows = run_isolated(
        session.store,
        sql,
        params_for(sql, values),
        tables={"event_profiles": events},
        step="traits.custom",
    )
    session.register(_CUSTOM_ROWS, rows)
    try:
        insert = (
            f"{_INSERT}SELECT profile_id, name, CAST(value AS JSON), CAST($now AS TIMESTAMPTZ) "
            f"FROM {_CUSTOM_ROWS}"
        )
        session.execute(insert, {"now": values["now"]}, step="traits.custom_insert")
    finally:
        session.unregister(_CUSTOM_ROWS)
    return int(rows.num_rows)


def _values(settings: Settings, now: datetime) -> dict[str, Any]:
    return {"now": now.isoformat(), "tz": settings.timezone, "currency": settings.currency}


def refresh_computed(
    session: Session, settings: Settings, scope: Scope, *, now: datetime | None = None
) -> tuple[int, int]:
    """Recompute computed traits in ``scope``; returns (built-in rows, custom rows)."""
    values = _values(settings, now or datetime.now(UTC))
    scope.clear(session, "computed_traits")
    sql = builtin_sql(scope)
    row = session.fetchone(sql, params_for(sql, values), step="traits.computed")
    builtin = int(row[0]) if row else 0
    custom = 0
    traits = runnable_traits(session, settings)
    if traits:
        custom = refresh_custom(session, scope, traits, values)
    return builtin, custom
