"""The SQL of computed traits (profiles/computed_sql.py) and of orders (profiles/orders_sql.py),
compared with reviewed snapshots in tests/snapshots/profiles/ (see tests/sql_snapshots.py).

The order steps are CTE steps other queries build on; their cases end in a SELECT of the
steps' results so each file is a whole query.
"""

from __future__ import annotations

import pytest

from tests.sql_snapshots import assert_snapshot, snapshot_text
from unicx.profiles.computed import builtin_sql, custom_sql
from unicx.profiles.custom_traits import dry_run_sql, event_columns_sql
from unicx.profiles.custom_validate import compile_expression
from unicx.profiles.orders_sql import ORDER_CORE_STEPS, ORDER_LINES_STEP, ORDER_STEPS
from unicx.profiles.refresh_scope import EVENTS, FULL, TARGETS, Scope

SCOPED = Scope(
    full=False,
    events=f"{EVENTS} WHERE true",
    rows=f"profile_id IN (SELECT profile_id FROM {TARGETS})",
)
EV = "ev AS (SELECT * FROM event_profiles WHERE profile_id IS NOT NULL)"
CUSTOM = [
    ("orders_90d", "count(*) FILTER (WHERE event = 'Order Completed' AND timestamp >= now() - "
     "INTERVAL 90 DAY)"),
    ("last_city", "arg_max(city, timestamp)"),
]  # fmt: skip


def _cases() -> dict[str, str]:
    return {
        "builtin_traits_all_profiles": builtin_sql(FULL),
        "builtin_traits_of_touched_profiles": builtin_sql(SCOPED),
        "custom_traits": custom_sql([(n, compile_expression(e)) for n, e in CUSTOM]),
        "order_steps": f"WITH {EV},\n{ORDER_STEPS}\nSELECT * FROM order_totals "
        "LEFT JOIN favourite USING (profile_id)",
        "order_lines": f"WITH {EV},\n{ORDER_CORE_STEPS},\n{ORDER_LINES_STEP}\n"
        "SELECT * FROM orders JOIN order_lines USING (profile_id, order_id)",
        **{f"custom_dry_run_{n}": dry_run_sql(compile_expression(e)) for n, e in CUSTOM},
        **{
            f"custom_columns_{n}": event_columns_sql(
                "event_profiles LIMIT 0", compile_expression(e).columns
            )
            for n, e in CUSTOM
        },
        "custom_columns_of_touched_profiles": event_columns_sql(
            SCOPED.events, compile_expression(CUSTOM[0][1]).columns
        ),
    }


@pytest.mark.parametrize("case", list(_cases()))
def test_profiles_sql_matches_snapshot(case: str) -> None:
    assert_snapshot("profiles", case, snapshot_text(_cases()[case], title=f"traits {case}"))
