"""Accepted rows as stored events: profiles become ``identify``, order lines ``track``.

Message ids are derived from the content, so importing the same file again inserts nothing
(the events primary key is source_id + message_id). Rows reuse the ingest column order
(unicx.ingest.schema): an imported order and a tracked one are the same kind of event.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

from unicx import __version__
from unicx.ingest.enrich import local_time
from unicx.ingest.schema import COLUMN_NAMES, EventRow
from unicx.profiles.imports.validate import Checked

SOURCE_ID = "unicx:import"
LIBRARY = {"name": "unicx-import", "version": __version__}
_COLUMNS = frozenset(COLUMN_NAMES)


def digest(*parts: object) -> bytes:
    """16-byte fingerprint of JSON-able parts (datetimes as RFC 3339)."""
    payload = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(payload, digest_size=16).digest()


def anonymous_id(record: dict[str, Any]) -> str | None:
    """Stable stand-in for a person known only by email/phone: the same across imports."""
    if record.get("user_id"):
        return None
    if record.get("email"):
        return _anonymous("email", record["email"])
    return _anonymous("phone", record["phone"])


@lru_cache(maxsize=1 << 16)
def _anonymous(kind: str, value: str) -> str:
    key = f"{kind}:{value}".encode()
    return "imp-" + hashlib.blake2b(key, digest_size=8).hexdigest()


def event_row(**values: Any) -> EventRow:
    unknown = values.keys() - _COLUMNS
    if unknown:
        raise KeyError(f"not event columns: {sorted(unknown)}")
    return tuple(map(values.get, COLUMN_NAMES))


def _context(record: dict[str, Any], import_id: str, row: int) -> str:
    contact = {k: record[k] for k in ("email", "phone") if record.get(k)}
    ctx = {"library": LIBRARY, "traits": contact, "import": {"id": import_id, "row": row}}
    return orjson.dumps(ctx).decode()


class RowBuilder:
    """Builds one import's events; ``now`` is the import's received_at."""

    def __init__(self, *, import_id: str, now: datetime, timezone: str) -> None:
        self.import_id = import_id
        self.now = now
        self.timezone = timezone

    def _common(self, record: dict[str, Any], ts: datetime, row: int) -> dict[str, Any]:
        tz, hour, weekday = local_time(ts, self.timezone)
        return {
            "source_id": SOURCE_ID,
            "user_id": record.get("user_id"),
            "anonymous_id": anonymous_id(record),
            "timestamp": ts,
            "received_at": self.now,
            "context": _context(record, self.import_id, row),
            "timezone": tz,
            "local_hour": hour,
            "local_weekday": weekday,
            "library_name": LIBRARY["name"],
            "library_version": LIBRARY["version"],
        }

    def profile(self, checked: Checked, key: bytes) -> EventRow:
        record = checked.record
        traits: dict[str, Any] = {**checked.traits}
        traits.update((k, v) for k, v in record.items() if k != "user_id")
        ts = record.get("created_at") or self.now
        return event_row(
            **self._common(record, ts, checked.row),
            message_id="imp-p-" + key.hex(),
            type="identify",
            traits=orjson.dumps(traits).decode(),
        )

    def order(self, checked: Checked, line: int) -> EventRow:
        r = checked.record
        quantity, price, line_total = r["quantity"], r["unit_price"], r["line_total"]
        refund = quantity < 0
        product = {"product_id": r["sku"], "sku": r["sku"], "quantity": abs(quantity)}
        product |= {
            k: r[f]
            for k, f in (("name", "product_name"), ("category", "category"))
            if r.get(f) is not None
        }
        product["price"] = price
        properties = {
            "order_id": r["order_id"],
            # revenue is signed so that summing it over completed and refunded lines nets out;
            # total follows the spec (the amount paid or refunded, positive).
            "revenue": line_total,
            "total": abs(line_total),
            "currency": r["currency"],
            "products": [product],
            "sku": r["sku"],
            **{k: r[k] for k in ("category", "product_name") if r.get(k) is not None},
            "quantity": quantity,
            "price": price,
            "line_total": line_total,
        }
        return event_row(
            **self._common(r, r["timestamp"], checked.row),
            message_id=f"order:{r['order_id']}:{r['sku']}:{line}",
            type="track",
            event="Order Refunded" if refund else "Order Completed",
            properties=orjson.dumps(properties).decode(),
        )
