"""One journey: its canvas with the numbers of every node and branch, goal conversion vs the
holdout, versions, and the status actions the user's role allows."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from unicx.api.deps import Ctx
from unicx.journeys import definition as jd
from unicx.journeys.analytics import branch_conversion, journey_stats
from unicx.journeys.models import JourneyStats
from unicx.journeys.service import JourneyService
from unicx.web.journeys.graph import Figures, draw
from unicx.web.session import WebUser
from unicx.web.templating import render


def figures(stats: JourneyStats, branches: dict[str, dict[str, tuple[int, int]]]) -> Figures:
    return Figures(
        entered=stats.entered,
        holdout=stats.holdout,
        outcomes={node: n.outcomes for node, n in stats.nodes.items()},
        here={node: n.now_here or 0 for node, n in stats.nodes.items()},
        converted=branches,
    )


def actions(status: str, latest: int, published: int | None) -> list[str]:
    """The status changes a journey allows now (JourneyService.set_status's rules)."""
    if status == "archived":
        return []
    out = ["publish"] if status == "draft" or published != latest else []
    out += {"published": ["pause"], "paused": ["resume"]}.get(status, [])
    return [*out, "archive"]


def page(
    request: Request,
    ctx: Ctx,
    user: WebUser,
    ref: str,
    *,
    version: int | None = None,
    errors: dict[str, str] | None = None,
    failure: str | None = None,
    status: int = 200,
) -> Response:
    svc = JourneyService(ctx.store, outbound_allow=ctx.settings.outbound_allow)
    journey = svc.get(ref)
    shown = version or journey.latest_version
    raw = journey.definition if shown == journey.latest_version else svc.definition(ref, shown)
    defn = jd.parse_definition(raw)
    stats = journey_stats(ctx.store, journey.journey_id)
    branches: dict[str, dict[str, tuple[int, int]]] = {}
    for b in branch_conversion(ctx.store, journey.journey_id):
        branches.setdefault(b.node_id, {})[b.outcome] = (b.people, b.converted)
    return render(
        request, "journeys/detail.html", user=user, journey=journey, defn=defn, stats=stats,
        drawing=draw(defn, figures(stats, branches)), versions=svc.versions(ref), shown=shown,
        actions=actions(journey.status, journey.latest_version, journey.published_version),
        errors=errors or {}, failure=failure, done=request.query_params.get("done"),
        status=status,
    )  # fmt: skip
