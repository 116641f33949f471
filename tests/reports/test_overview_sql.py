"""The SQL of the home page's figures (reports, channels, journeys, predict), compared with
reviewed snapshots in tests/snapshots/overview/ (see tests/sql_snapshots.py)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.sql_snapshots import assert_snapshot, snapshot_text
from unicx.channels.stats import DAILY_SQL
from unicx.config import load_settings
from unicx.journeys.stats import COUNTS_SQL
from unicx.predict.status import LATEST_SQL
from unicx.reports.overview import PROFILES_SQL, activity_sql, orders_sql
from unicx.reports.scope import Window

WINDOW = Window(date(2026, 11, 3), date(2026, 12, 3), None, load_settings())
CASES = {
    "activity": activity_sql(WINDOW),
    "orders": orders_sql(WINDOW),
    "profiles": PROFILES_SQL,
    "messages_daily": DAILY_SQL,
    "journey_counts": COUNTS_SQL,
    "model_status": LATEST_SQL,
}


@pytest.mark.parametrize("case", list(CASES))
def test_overview_sql_matches_snapshot(case: str) -> None:
    assert_snapshot("overview", case, snapshot_text(CASES[case], title=f"overview {case}"))
