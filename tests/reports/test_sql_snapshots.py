"""The SQL of every report, compared with reviewed snapshots in tests/snapshots/reports/
(see tests/sql_snapshots.py; regenerate with ``UNICX_UPDATE_SNAPSHOTS=1``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from tests.sql_snapshots import assert_snapshot, snapshot_text
from unicx.config import Settings
from unicx.reports import affinity, cohorts, funnel, geo, products
from unicx.reports.scope import Window


def _window(segment: str | None = None) -> Window:
    return Window(date(2026, 1, 1), date(2026, 2, 1), segment, Settings())


STAGES = funnel.DEFAULT.stages
CASES: dict[str, Callable[[], str]] = {
    "geo_country": lambda: geo.sql(_window(), "country"),
    "geo_city": lambda: geo.sql(_window(), "city"),
    "geo_country_of_segment": lambda: geo.sql(_window("seg_vip"), "country"),
    "products_category": lambda: products.sql(_window(), "category"),
    "products_product": lambda: products.sql(_window(), "product"),
    "products_product_of_segment": lambda: products.sql(_window("seg_vip"), "product"),
    "affinity_category": lambda: affinity.sql(_window(), "category", item=False),
    "affinity_product_of_one_item": lambda: affinity.sql(_window(), "product", item=True),
    "funnel": lambda: funnel.sql(_window(), STAGES, "none"),
    "funnel_by_utm_source": lambda: funnel.sql(_window(), STAGES, "utm_source"),
    "funnel_by_channel_of_segment": lambda: funnel.sql(_window("seg_vip"), STAGES, "channel"),
    "cohorts_first_purchase_month": lambda: cohorts.sql(
        _window(), "first_purchase", "month", 6, fixed=True
    ),
    "cohorts_first_seen_week_zone_changes": lambda: cohorts.sql(
        _window("seg_vip"), "first_seen", "week", 8, fixed=False
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_report_sql_matches_snapshot(case: str) -> None:
    assert_snapshot("reports", case, snapshot_text(CASES[case](), title=f"report {case}"))
