"""The SQL of probabilistic matching (identity/matching_sql.py, the term frequencies and strong
signals of identity/matching_levels.py), compared with reviewed snapshots in
tests/snapshots/identity/ (see tests/sql_snapshots.py)."""

from __future__ import annotations

import pytest

from tests.sql_snapshots import assert_snapshot, snapshot_text
from unicx.identity import matching_sql
from unicx.identity.matching_levels import TF_COLUMNS, strong_signal_sql, term_frequency_sql
from unicx.identity.matching_model import best_per_pair_sql

CASES = {
    "trait_phones": matching_sql.TRAIT_PHONES_SQL,
    "workspace_raw": matching_sql.WORKSPACE_RAW_SQL,
    "records_of_workspace": matching_sql.records_sql(
        f"({matching_sql.WORKSPACE_RAW_SQL}) AS match_raw"
    ),
    "records_of_match_raw": matching_sql.records_sql(),
    **{
        f"term_frequency_{column}": term_frequency_sql(column, prior, 1000)
        for column, prior, _ in TF_COLUMNS
    },
    # An expression over a pair's gamma columns: shown as the select that uses it.
    "strong_signal": f"SELECT ({strong_signal_sql()}) AS strong FROM predicted_pairs",
    # Splink names its predictions table per run; a fixed name stands in for it.
    "best_per_pair": best_per_pair_sql("predicted_pairs"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_matching_sql_matches_snapshot(case: str) -> None:
    assert_snapshot("identity", case, snapshot_text(CASES[case], title=f"matching {case}"))
