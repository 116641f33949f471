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
from unicx.profiles.custom_traits import runnable_traits
from unicx.profiles.orders_sql import ORDER_STEPS
from unicx.profiles.rfm import rfm_steps
from unicx.profiles.scope import Scope, params_for
from unicx.store import Session

_UNPIVOT = """
SELECT profile_id, name, value, CAST($now AS TIMESTAMPTZ)
FROM (UNPIVOT wide ON COLUMNS(* EXCLUDE (profile_id)) INTO NAME name VALUE value)"""
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


def custom_sql(scope: Scope, traits: list[tuple[str, str]]) -> str:
    """The INSERT of custom traits; names are validated identifiers, expressions compiled."""
    columns = ",\n  ".join(f'to_json({expr}) AS "{name}"' for name, expr in traits)
    wide = f"wide AS (SELECT profile_id,\n  {columns}\nFROM {scope.events} GROUP BY profile_id)"
    return f"{_INSERT}WITH {wide}{_UNPIVOT}"


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
        sql = custom_sql(scope, traits)
        row = session.fetchone(sql, params_for(sql, values), step="traits.custom")
        custom = int(row[0]) if row else 0
    return builtin, custom
