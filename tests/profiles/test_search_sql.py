"""The SQL of the profile search and of its table's refresh, compared with reviewed snapshots
in tests/snapshots/profiles/ (see tests/sql_snapshots.py)."""

from __future__ import annotations

import pytest

from tests.profiles.test_sql_snapshots import SCOPED
from tests.sql_snapshots import assert_snapshot, snapshot_text
from unicx.profiles.refresh_scope import FULL
from unicx.profiles.search import count_sql, refresh_sql, search_sql

CASES = {
    "search_refresh_all_profiles": refresh_sql(FULL),
    "search_refresh_of_touched_profiles": refresh_sql(SCOPED),
    "search_three_words": search_sql(3),
    "search_identifier_only": search_sql(0),
    "search_count_one_word": count_sql(1),
}


@pytest.mark.parametrize("case", list(CASES))
def test_search_sql_matches_snapshot(case: str) -> None:
    assert_snapshot("profiles", case, snapshot_text(CASES[case], title=f"profiles {case}"))
