"""Column order and Arrow types of a stored event row.

Validation builds each event as a plain tuple in this order; the writer transposes a flush's
tuples into Arrow columns in one step, so no per-event work happens on the way to DuckDB.
"""

from __future__ import annotations

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
ARROW_SCHEMA = pa.schema([pa.field(name, typ) for name, typ in EVENT_COLUMNS])
SOURCE_ID_INDEX = 0
MESSAGE_ID_INDEX = 1

EventRow = tuple[object, ...]


def rows_to_arrow(rows: list[EventRow]) -> pa.Table:
    """Transpose row tuples into one Arrow table (zip(*rows) runs in C)."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in EVENT_COLUMNS]
    arrays = [pa.array(col, type=typ) for col, (_, typ) in zip(columns, EVENT_COLUMNS, strict=True)]
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)
