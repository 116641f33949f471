"""The SQL channels generate from their definitions, compared with reviewed snapshots in
tests/snapshots/channels/ (see tests/sql_snapshots.py): the hashed keys of an ad audience,
one case per destination (they differ in how a phone and an e-mail are normalized), and the
full/add/remove lists (and their counts) diffing them against what was last sent."""

from __future__ import annotations

import pytest

from tests.sql_snapshots import assert_snapshot, snapshot_text
from unicx.channels.ads import DESTINATIONS, current_keys_sql
from unicx.channels.audiences import keys_count_sql, keys_sql


@pytest.mark.parametrize("name", list(DESTINATIONS))
def test_ad_audience_keys_sql_matches_snapshot(name: str) -> None:
    text = snapshot_text(current_keys_sql(DESTINATIONS[name]), title=f"ad audience keys {name}")
    assert_snapshot("channels", f"ad_keys_{name}", text)


# The current keys' temp table has a random suffix per run; a fixed name stands in for it.
@pytest.mark.parametrize("kind", ["full", "add", "remove"])
def test_ad_audience_diff_sql_matches_snapshot(kind: str) -> None:
    listing = snapshot_text(keys_sql(kind, "aud_current"), title=f"ad audience {kind} keys")
    assert_snapshot("channels", f"ad_keys_diff_{kind}", listing)
    count = snapshot_text(keys_count_sql(kind, "aud_current"), title=f"ad audience {kind} count")
    assert_snapshot("channels", f"ad_keys_diff_{kind}_count", count)
