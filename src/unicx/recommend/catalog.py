"""The product catalog: names, categories, prices and availability the rules and renders use.

Items are upserted by id from JSON, CSV or JSON lines (``source = 'feed'``: events never
overwrite them, catalog_events.py); a bad row (empty id, NaN or negative
price, unparseable availability, oversized text) is reported with its row number and reason
while the good rows are kept. Items seen in events but absent from the catalog stay
recommendable (their category then comes from the events).
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import datetime
from typing import Any

import pyarrow as pa
from pydantic import AliasChoices, AwareDatetime, BaseModel, Field, ValidationError, field_validator

from unicx.errors import FieldIssue, NotFoundError
from unicx.errors import ValidationError as UnicxValidationError
from unicx.recommend.catalog_events import SOURCE_FEED
from unicx.recommend.models import CatalogItemPublic
from unicx.store import Store

MAX_ITEMS = 100_000
SCHEMA = pa.schema(
    [("item_id", pa.string()), ("name", pa.string()), ("category", pa.string()),
     ("price", pa.float64()), ("available", pa.bool_()), ("image", pa.string()),
     ("url", pa.string()), ("launched_at", pa.timestamp("us", tz="UTC")),
     ("currency", pa.string()), ("updated_at", pa.timestamp("us", tz="UTC")),
     ("source", pa.string()), ("observed_at", pa.timestamp("us", tz="UTC"))]
)  # fmt: skip
ITEM_COLUMNS = (
    "item_id, name, category, price, currency, available, image, url, launched_at, updated_at, "
    "source"
)
TRUE = {"true", "1", "yes", "y", "in stock", "in_stock", "available", "còn hàng"}
FALSE = {"false", "0", "no", "n", "out of stock", "out_of_stock", "unavailable", "hết hàng"}


class CatalogItem(BaseModel):
    model_config = {"extra": "ignore", "str_strip_whitespace": True}

    item_id: str = Field(min_length=1, max_length=200, validation_alias="id")
    name: str | None = Field(default=None, max_length=500)
    category: str | None = Field(default=None, max_length=200)
    price: float | None = Field(default=None, ge=0)
    available: bool = Field(
        default=True, validation_alias=AliasChoices("available", "availability")
    )
    image: str | None = Field(default=None, max_length=2000)
    url: str | None = Field(default=None, max_length=2000)
    launched_at: AwareDatetime | None = None
    currency: str | None = Field(default=None, min_length=3, max_length=10)

    @field_validator("price", mode="before")
    @classmethod
    def _price(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError("price is not a number")  # a TypeError would escape as a 500
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"price {str(value)[:40]!r} is not a number") from None
        if math.isnan(number) or math.isinf(number):
            raise ValueError("price is not a finite number")
        return number

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> Any:
        return value.strip().upper() or None if isinstance(value, str) else value

    @field_validator("launched_at", mode="before")
    @classmethod
    def _launched(cls, value: Any) -> Any:
        if isinstance(value, str) and len(value) == 10:
            return value + "T00:00:00Z"  # a bare date is midnight UTC
        return None if value == "" else value

    @field_validator("available", mode="before")
    @classmethod
    def _available(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip().lower()
            if text in TRUE or text == "":
                return True
            if text in FALSE:
                return False
            raise ValueError(f"availability {value[:40]!r} is not yes/no/in stock/out of stock")
        return value


class RowError(BaseModel):
    row: int
    reason: str


class CatalogReport(BaseModel):
    accepted: int
    rejected: int
    errors: list[RowError]


def parse_rows(raw: bytes, *, file_name: str) -> list[dict[str, Any]]:
    """CSV (header row) or JSON lines / a JSON array, decided by the name and the content."""
    text = raw.decode("utf-8-sig")
    stripped = text.lstrip()
    if file_name.endswith((".json", ".jsonl", ".ndjson")) or stripped.startswith(("{", "[")):
        if stripped.startswith("["):
            rows = json.loads(stripped)
            return [r if isinstance(r, dict) else {"__bad__": r} for r in rows]
        out: list[dict[str, Any]] = []
        for line in text.splitlines():
            if line.strip():
                try:
                    value = json.loads(line)
                except json.JSONDecodeError:
                    value = {"__bad__": line[:80]}
                out.append(value if isinstance(value, dict) else {"__bad__": value})
        return out
    return [dict(r) for r in csv.DictReader(io.StringIO(text))]


def upsert(store: Store, rows: list[dict[str, Any]], *, now: datetime) -> CatalogReport:
    if len(rows) > MAX_ITEMS:
        raise UnicxValidationError(
            f"at most {MAX_ITEMS:,} items per request, got {len(rows):,}",
            issues=[FieldIssue("items", "max_items", f"at most {MAX_ITEMS:,}")],
        )
    good: dict[str, CatalogItem] = {}
    errors: list[RowError] = []
    for n, row in enumerate(rows, start=1):
        if "__bad__" in row:
            errors.append(RowError(row=n, reason="not a JSON object"))
            continue
        try:
            item = CatalogItem.model_validate(row)
        except (ValidationError, ValueError) as exc:
            reason = exc.errors()[0] if isinstance(exc, ValidationError) else {"msg": str(exc)}
            where = ".".join(str(p) for p in reason.get("loc", ())) or "row"
            errors.append(RowError(row=n, reason=f"{where}: {reason['msg']}"[:300]))
            continue
        good[item.item_id] = item
    fields = ("item_id", "name", "category", "price", "available", "image", "url", "launched_at",
              "currency")  # fmt: skip
    stamp = pa.timestamp("us", tz="UTC")
    columns = {f: [getattr(i, f) for i in good.values()] for f in fields}
    columns["updated_at"] = pa.array([now] * len(good), stamp)
    columns["source"] = pa.array([SOURCE_FEED] * len(good), pa.string())
    columns["observed_at"] = pa.nulls(len(good), stamp)
    table = pa.table(columns, schema=SCHEMA)
    with store.session() as s, s.transaction():
        s.register("_catalog_new", table)
        try:
            s.execute(
                "INSERT OR REPLACE INTO catalog_items BY NAME SELECT * FROM _catalog_new",
                step="catalog.upsert",
            )
        finally:
            s.unregister("_catalog_new")
    return CatalogReport(accepted=len(good), rejected=len(errors), errors=errors[:100])


def put_item(store: Store, item_id: str, body: dict[str, Any], *, now: datetime) -> CatalogItem:
    """Create or replace one item; a bad field is a ValidationError naming it, nothing saved."""
    if "id" in body and body["id"] != item_id:
        raise UnicxValidationError(
            "the body's id differs from the path's",
            issues=[FieldIssue("id", "mismatch", f"expected {item_id[:60]!r} or no id")],
        )
    try:
        item = CatalogItem.model_validate({**body, "id": item_id})
    except ValidationError as exc:
        issues = [
            FieldIssue(".".join(str(p) for p in e["loc"]) or "$", e["type"], e["msg"])
            for e in exc.errors()[:20]
        ]
        raise UnicxValidationError(
            f"{issues[0].field}: {issues[0].message}", issues=issues
        ) from None
    upsert(store, [{**item.model_dump(), "id": item_id}], now=now)
    return item


def list_items(store: Store, *, offset: int, limit: int) -> tuple[int, list[CatalogItemPublic]]:
    """The total number of items and one page of them, by id."""
    with store.session() as s:
        row = s.fetchone("SELECT count(*) FROM catalog_items", step="catalog.count")
        items = s.fetch_dicts(
            f"SELECT {ITEM_COLUMNS} FROM catalog_items ORDER BY item_id LIMIT ? OFFSET ?",
            [limit, offset],
            step="catalog.list",
        )
    return (int(row[0]) if row else 0), [CatalogItemPublic.model_validate(i) for i in items]


def get_item(store: Store, item_id: str) -> CatalogItemPublic:
    with store.session() as s:
        rows = s.fetch_dicts(
            f"SELECT {ITEM_COLUMNS} FROM catalog_items WHERE item_id = ?",
            [item_id],
            step="catalog.get",
        )
    if not rows:
        raise NotFoundError(f"no catalog item {item_id!r}")
    return CatalogItemPublic.model_validate(rows[0])
