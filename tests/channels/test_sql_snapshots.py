"""The SQL channels generate from their definitions, compared with reviewed snapshots in
tests/snapshots/channels/ (see tests/sql_snapshots.py): the hashed keys of an ad audience,
one case per destination (they differ in how a phone and an e-mail are normalized)."""

from __future__ import annotations

import pytest

from tests.sql_snapshots import assert_snapshot, snapshot_text
from unicx.channels.ads import DESTINATIONS, current_keys_sql


@pytest.mark.parametrize("name", list(DESTINATIONS))
def test_ad_audience_keys_sql_matches_snapshot(name: str) -> None:
    text = snapshot_text(current_keys_sql(DESTINATIONS[name]), title=f"ad audience keys {name}")
    assert_snapshot("channels", f"ad_keys_{name}", text)
