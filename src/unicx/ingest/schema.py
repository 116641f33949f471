"""Column order and Arrow types of a stored event row.

Validation builds each event as a plain tuple in this order; the writer transposes a flush's
tuples into Arrow columns in one step, so no per-event work happens on the way to DuckDB.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa

_TS = pa.timestamp("us", tz="UTC")

EVENT_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("source_id", pa.string()),
    ("message_id", pa.string()),
    ("type", pa.string()),
    ("event", pa.string()),
    ("name", pa.string()),
    ("category", pa.string()),
    ("channel", pa.string()),
    ("user_id", pa.string()),
    ("anonymous_id", pa.string()),
    ("group_id", pa.string()),
    ("previous_id", pa.string()),
    ("timestamp", _TS),
    ("original_timestamp", _TS),
    ("sent_at", _TS),
    ("received_at", _TS),
    ("traits", pa.string()),
    ("properties", pa.string()),
    ("context", pa.string()),
    ("integrations", pa.string()),
    ("ip", pa.string()),
    ("locale", pa.string()),
    ("timezone", pa.string()),
    ("local_hour", pa.int8()),
    ("local_weekday", pa.int8()),
    ("user_agent", pa.string()),
    ("device_type", pa.string()),
    ("os_name", pa.string()),
    ("os_version", pa.string()),
    ("browser_name", pa.string()),
    ("browser_version", pa.string()),
    ("page_url", pa.string()),
    ("page_path", pa.string()),
    ("page_referrer", pa.string()),
    ("utm_source", pa.string()),
    ("utm_medium", pa.string()),
    ("utm_campaign", pa.string()),
    ("utm_term", pa.string()),
    ("utm_content", pa.string()),
    ("country", pa.string()),
    ("city", pa.string()),
    ("library_name", pa.string()),
    ("library_version", pa.string()),
)

COLUMN_NAMES: tuple[str, ...] = tuple(name for name, _ in EVENT_COLUMNS)
# The primary key is a 128-bit hash of (source_id, message_id): DuckDB's index on one fixed-size
# integer costs a fraction of one on two strings (bench/RESULTS.md), and at 2^-128 per pair a
# collision is not a practical concern. Arrow has no 128-bit integer, so it travels as two
# halves that the INSERT joins.
KEY_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("key_hi", pa.uint64()),
    ("key_lo", pa.uint64()),
)
ARROW_SCHEMA = pa.schema([pa.field(name, typ) for name, typ in EVENT_COLUMNS + KEY_COLUMNS])
EVENT_KEY_SQL = "(key_hi::UHUGEINT << 64) | key_lo::UHUGEINT"
SOURCE_ID_INDEX = 0
MESSAGE_ID_INDEX = 1

EventRow = tuple[object, ...]


def event_key(source_id: str, message_id: str) -> tuple[int, int]:
    """The two 64-bit halves of the 128-bit key of (source_id, message_id)."""
    digest = hashlib.blake2b(f"{source_id}\0{message_id}".encode(), digest_size=16).digest()
    return int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little")


def rows_to_arrow(rows: list[EventRow]) -> pa.Table:
    """Transpose row tuples into one Arrow table (zip(*rows) runs in C), keys appended."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in EVENT_COLUMNS]
    arrays = [pa.array(col, type=typ) for col, (_, typ) in zip(columns, EVENT_COLUMNS, strict=True)]
    keys = [event_key(str(r[SOURCE_ID_INDEX]), str(r[MESSAGE_ID_INDEX])) for r in rows]
    halves = list(zip(*keys, strict=True)) if keys else [(), ()]
    arrays += [pa.array(h, type=pa.uint64()) for h in halves]
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)
