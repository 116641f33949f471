"""Report parameters (echoed in every answer), rows, and the CSV form of a report."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, model_validator

from unicx.csvfile import safe_cell

GeoLevel = Literal["country", "city"]
ItemLevel = Literal["category", "product"]
FunnelBy = Literal["none", "utm_source", "utm_medium", "utm_campaign", "channel"]
CohortBy = Literal["first_purchase", "first_seen"]
Period = Literal["week", "month"]


class ReportParams(BaseModel):
    """The range and segment a report covers, as resolved (defaults filled in)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: date = Field(alias="from", description="First local day of the range (inclusive).")
    to: date = Field(description="Local day after the range (exclusive).")
    segment: str | None = Field(default=None, description="Segment id the report is limited to.")
    timezone: str = Field(description="Workspace time zone the days are in.")
    currency: str = Field(description="Workspace currency of every amount.")


class GeographyParams(ReportParams):
    level: GeoLevel
    limit: int


class ProductsParams(ReportParams):
    level: ItemLevel
    limit: int
    previous_from: date = Field(description="First day of the previous period of equal length.")


class AffinityParams(ReportParams):
    level: ItemLevel
    min_support: float
    min_count: int
    item: str | None
    limit: int
    buyers: int = Field(description="Buyers in the range (and segment) naming an item.")


class FunnelStage(BaseModel):
    """One lifecycle stage: the events that reach it (see docs/reports.md)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    events: list[str] = Field(default_factory=list, max_length=50, description="track names")
    types: list[Literal["track", "page", "screen", "identify", "group", "alias"]] = Field(
        default_factory=list, description="call types; any call of these types matches"
    )
    min_count: int = Field(default=1, ge=1, le=100, description="distinct instants needed")

    @model_validator(mode="after")
    def _matches_something(self) -> FunnelStage:
        if not self.events and not self.types:
            raise ValueError("a stage needs events (track names) or types (call types)")
        return self


class FunnelConfig(BaseModel):
    """The stages of ``<workspace>/funnel.yaml``, in order."""

    model_config = ConfigDict(extra="forbid")

    stages: list[FunnelStage] = Field(min_length=2, max_length=10)

    @model_validator(mode="after")
    def _unique_names(self) -> FunnelConfig:
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError("stage names must be unique")
        return self


class FunnelParams(ReportParams):
    by: FunnelBy
    stages: list[FunnelStage]
    stages_source: str = Field(description="'default' or the funnel.yaml file they came from.")


class CohortParams(ReportParams):
    by: CohortBy
    period: Period
    periods: int


class GeoRow(BaseModel):
    country: str | None
    city: str | None = Field(description="Only at level=city.")
    active_users: int
    buyers: int
    orders: int
    revenue: float
    revenue_per_user: float | None
    revenue_per_buyer: float | None
    average_order_value: float | None
    conversion: float | None = Field(description="buyers / active_users")


class ProductRow(BaseModel):
    item: str = Field(description="product id (or sku), or the category at level=category")
    name: str | None
    category: str | None
    views: int
    adds: int
    buyers: int
    units: float
    orders: int
    revenue: float
    previous_revenue: float
    growth: float | None = Field(description="(revenue - previous) / previous; null if 0")


class AffinityRow(BaseModel):
    item_a: str
    name_a: str | None
    item_b: str
    name_b: str | None
    buyers_a: int
    buyers_b: int
    buyers_both: int
    support: float = Field(description="buyers_both / buyers")
    confidence: float = Field(description="P(b | a) = buyers_both / buyers_a")
    lift: float = Field(description="confidence / P(b)")


class FunnelRow(BaseModel):
    group: str | None = Field(description="First-touch value of `by` (null: none, or by=none)")
    step: int
    stage: str
    people: int
    conversion_from_previous: float | None
    conversion_from_first: float | None
    drop_off: int | None = Field(description="people of the previous stage who stopped here")
    median_seconds_from_previous: float | None


class CohortRow(BaseModel):
    cohort: date = Field(description="First local day of the cohort's week or month")
    size: int
    active: list[int | None] = Field(description="people active in period 0..n-1")
    retention: list[float | None] = Field(description="active / size; null: not started yet")


class Report(BaseModel):
    """A report's answer: the parameters it ran with and its rows."""

    model_config = ConfigDict(serialize_by_alias=True)
    params: ReportParams
    rows: Sequence[BaseModel]

    @classmethod
    def kind(cls) -> str:
        """The report's name in URLs and commands: GeographyReport is ``geography``."""
        return cls.__name__.removesuffix("Report").lower()

    @classmethod
    def row_type(cls) -> type[BaseModel]:
        row: type[BaseModel] = get_args(cls.model_fields["rows"].annotation)[0]
        return row

    def filename(self) -> str:
        return f"{self.kind()}-{self.params.from_}-{self.params.to}.csv"

    def list_width(self) -> int:
        """How many columns each list field of a row spreads over in the CSV form."""
        return 0

    def csv(self) -> str:
        """A header row, then one line per row; list fields become ``name_0 … name_n-1``."""
        fields = self.row_type().model_fields
        lists = {f for f, info in fields.items() if get_origin(info.annotation) is list}
        width = range(self.list_width())
        header = [c for f in fields for c in ([f"{f}_{i}" for i in width] if f in lists else [f])]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([safe_cell(h) for h in header])
        for row in self.rows:
            values: list[Any] = []
            for f in fields:
                value = getattr(row, f)
                values.extend(value if f in lists else [value])
            writer.writerow([safe_cell(v) for v in values])
        return out.getvalue()


class GeographyReport(Report):
    params: GeographyParams
    rows: list[GeoRow]


class ProductsReport(Report):
    params: ProductsParams
    rows: list[ProductRow]


class AffinityReport(Report):
    params: AffinityParams
    rows: list[AffinityRow]


class FunnelReport(Report):
    params: FunnelParams
    rows: list[FunnelRow]


class CohortsReport(Report):
    params: CohortParams
    rows: list[CohortRow]

    def list_width(self) -> int:
        return self.params.periods
