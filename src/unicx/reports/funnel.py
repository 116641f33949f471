"""Lifecycle funnel: people per stage, conversion, drop-off and median time between stages.

A person reaches stage 1 at the ``min_count``-th distinct instant of a stage-1 event in the
range, and stage k at the ``min_count``-th distinct instant of a stage-k event at or after
reaching stage k-1. Events at the same instant count once, so the line items of one imported
order are one purchase and "retention" (a second Order Completed) needs a later order.

Stages come from ``<workspace>/funnel.yaml`` (validated; see docs/reports.md), else DEFAULT.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from unicx.config import Settings
from unicx.errors import FieldIssue, ValidationError
from unicx.profiles.computed_sql import EVENT_CHANNEL
from unicx.reports.models import FunnelBy, FunnelConfig, FunnelStage
from unicx.reports.scope import Window, events_step, fetch, ratio
from unicx.store import Session
from unicx.yamlfile import read_yaml

FUNNEL_FILE = "funnel.yaml"
MAX_FILE_BYTES = 64 * 1024

DEFAULT = FunnelConfig(
    stages=[
        FunnelStage(name="awareness", types=["page", "screen", "track"]),
        FunnelStage(name="interest", events=["Product Viewed"]),
        FunnelStage(name="intent", events=["Product Added", "Checkout Started"]),
        FunnelStage(name="purchase", events=["Order Completed"]),
        FunnelStage(name="retention", events=["Order Completed"], min_count=2),
    ]
)

# First-touch breakdowns: the value of the person's earliest in-range event that has one.
TOUCH = {
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "channel": EVENT_CHANNEL,
}


def load_stages(settings: Settings) -> tuple[list[FunnelStage], str]:
    """The workspace's stages and where they came from ('default' or the file name)."""
    path = settings.workspace / FUNNEL_FILE
    if not path.is_file():
        return DEFAULT.stages, "default"
    return parse_stages(path).stages, FUNNEL_FILE


def parse_stages(path: Path) -> FunnelConfig:
    raw = read_yaml(path, max_bytes=MAX_FILE_BYTES)
    try:
        return FunnelConfig.model_validate(raw)
    except PydanticValidationError as exc:
        issues = [
            FieldIssue(".".join([FUNNEL_FILE, *map(str, e["loc"])]), e["type"], e["msg"])
            for e in exc.errors()
        ]
        first = issues[0]
        raise ValidationError(f"{first.field}: {first.message}", issues=issues) from None


def _match(k: int, stage: FunnelStage) -> str:
    tests = []
    if stage.events:
        tests.append(f"(type = 'track' AND list_contains($s{k}_events, event))")
    if stage.types:
        tests.append(f"list_contains($s{k}_types, type)")
    return " OR ".join(tests)


def _lists(stages: list[FunnelStage]) -> tuple[list[str], list[str]]:
    """Per-person aggregates (stage 1: its first instant when min_count is 1, else like the
    others: the list of its instants) and, per stage, the list it reads; stages matching the
    same events share one list."""
    aggregates, sources = [], []
    seen: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}
    for k, stage in enumerate(stages, 1):
        if k == 1 and stage.min_count == 1:
            aggregates.append(f"min(timestamp) FILTER (WHERE {_match(k, stage)}) AS t1")
            sources.append("")
            continue
        key = (tuple(stage.events), tuple(stage.types))
        if key not in seen:
            seen[key] = f"h{k}"
            aggregates.append(f"list(timestamp) FILTER (WHERE {_match(k, stage)}) AS h{k}")
        sources.append(seen[key])
    return aggregates, sources


def _reached(instants: str, min_count: int) -> str:
    """The min_count-th distinct instant of a list (no sort needed for the first)."""
    if min_count == 1:
        return f"list_min({instants})"
    return f"list_sort(list_distinct({instants}))[{min_count}]"


def sql(window: Window, stages: list[FunnelStage], by: FunnelBy) -> str:
    touch = f", {TOUCH[by]} AS touch" if by != "none" else ""
    group = "arg_min(touch, timestamp) FILTER (WHERE touch IS NOT NULL)"
    if by == "none":
        group = "NULL::VARCHAR"
    lists, sources = _lists(stages)
    aggregates = ",\n    ".join(lists)
    first = sources[0] and f", {_reached(sources[0], stages[0].min_count)} AS t1"
    reach = [f"r1 AS (SELECT *{first} FROM per_person)"]
    for k, stage in enumerate(stages[1:], 2):
        later = f"[x FOR x IN {sources[k - 1]} IF x >= t{k - 1}]"
        reach.append(
            f"r{k} AS (SELECT *, {_reached(later, stage.min_count)} AS t{k} FROM r{k - 1})"
        )
    reach_steps = ",\n".join(reach)
    steps = ", ".join(
        f"{{'step': {k}, 't': t{k}, 'prev': {f't{k - 1}' if k > 1 else 'NULL::TIMESTAMPTZ'}}}"
        for k in range(1, len(stages) + 1)
    )
    return f"""WITH {events_step("profile_id, timestamp, type, event" + touch, window)},
per_person AS (
  SELECT profile_id, {group} AS grp,
    {aggregates}
  FROM ev GROUP BY profile_id
),
{reach_steps},
stage_times AS (
  SELECT grp, unnest([{steps}], recursive := true) FROM r{len(stages)} WHERE t1 IS NOT NULL
),
per_stage AS (
  SELECT grp, step, count(t) AS people, median(epoch(t) - epoch(prev)) AS median_s
  FROM stage_times GROUP BY grp, step
)
SELECT grp AS "group", step, list_extract($names, step) AS stage, people,
       {ratio("people", "lag(people) OVER w")} AS conversion_from_previous,
       {ratio("people", "first_value(people) OVER w")} AS conversion_from_first,
       lag(people) OVER w - people AS drop_off,
       round(median_s, 1) AS median_seconds_from_previous
FROM per_stage
WINDOW w AS (PARTITION BY grp ORDER BY step)
ORDER BY max(people) OVER (PARTITION BY grp) DESC, grp NULLS LAST, step"""


def rows(
    session: Session, window: Window, *, stages: list[FunnelStage], by: FunnelBy
) -> list[dict[str, Any]]:
    params = window.params(names=[s.name for s in stages])
    for k, stage in enumerate(stages, 1):
        params[f"s{k}_events"] = stage.events
        params[f"s{k}_types"] = list(stage.types)
    found = fetch(session, sql(window, stages, by), params, step="reports.funnel")
    if found or by != "none":
        return found
    # Nobody in range: still one row per stage, so the funnel's shape shows.
    return [
        {"group": None, "step": k, "stage": s.name, "people": 0, "conversion_from_previous": None,
         "conversion_from_first": None, "drop_off": 0 if k > 1 else None,
         "median_seconds_from_previous": None}
        for k, s in enumerate(stages, 1)
    ]  # fmt: skip
