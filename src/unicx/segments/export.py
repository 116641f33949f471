"""Exporting a segment's members: CSV or Parquet with chosen traits, or hashed contacts.

``hashed`` is the customer-list format the ad platforms accept: one row per e-mail or phone of
each member, already normalized by identity resolution (e-mail lower-cased and trimmed, phone in
E.164 with its ``+``), then SHA-256 in lower-case hex. No profile id or raw value leaves.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from unicx.config import Settings
from unicx.csvfile import csv_bytes
from unicx.segments.rows import check_traits, traits_of
from unicx.segments.service import SegmentService
from unicx.store import Store

EXPORT_FORMATS = ("csv", "parquet", "hashed")
_PAGE = 10_000

_HASHED_SQL = """SELECT
    CASE WHEN i.id_type = 'email' THEN sha256(i.id_value) END AS email_sha256,
    CASE WHEN i.id_type = 'phone' THEN sha256(i.id_value) END AS phone_sha256
FROM segment_members m JOIN identities i USING (profile_id)
WHERE m.segment_id = ? AND i.id_type IN ('email', 'phone')
  -- the hashed list goes to ad platforms: same consent rule as audience syncs (channels/ads.py)
  AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.profile_id = m.profile_id
                  AND c.purpose = 'ads' AND NOT c.granted)
ORDER BY i.id_type, i.id_value"""


def export_members(
    store: Store,
    settings: Settings,
    segment_id: str,
    *,
    fmt: str,
    traits: list[str] | None = None,
) -> tuple[bytes, str, str]:
    """(file bytes, media type, file name) of the segment's members in ``fmt``."""
    segment = SegmentService(store, settings).get(segment_id)
    sid = segment.segment_id
    if fmt == "hashed":
        with store.session() as s:
            table = s.execute(_HASHED_SQL, [sid], step="segments.export_hashed").to_arrow_table()
        return _csv(table), "text/csv", f"{sid}-hashed.csv"
    table = _member_table(store, sid, traits or [])
    if fmt == "parquet":
        sink = io.BytesIO()
        pq.write_table(table, sink)
        return sink.getvalue(), "application/vnd.apache.parquet", f"{sid}.parquet"
    return _csv(table), "text/csv", f"{sid}.csv"


def _member_table(store: Store, segment_id: str, traits: list[str]) -> pa.Table:
    with store.session() as s:
        names = check_traits(s, traits)
        members = s.execute(
            "SELECT profile_id, entered_at FROM segment_members WHERE segment_id = ? "
            "ORDER BY profile_id",
            [segment_id],
            step="segments.export_members",
        ).to_arrow_table()
        if not names:
            return members
        ids = [str(x) for x in members.column("profile_id").to_pylist()]
        values: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), _PAGE):
            values.update(traits_of(s, ids[start : start + _PAGE], names))
    columns = {name: [_cell(values.get(pid, {}).get(name)) for pid in ids] for name in names}
    return _with_columns(members, columns)


def _with_columns(table: pa.Table, columns: dict[str, list[str | None]]) -> pa.Table:
    for name, cells in columns.items():
        table = table.append_column(name, pa.array(cells, pa.string()))
    return table


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _csv(table: pa.Table) -> bytes:
    rows = zip(*(c.to_pylist() for c in table.columns), strict=True)
    return csv_bytes(table.column_names, rows)
