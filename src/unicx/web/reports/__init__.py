"""Reports: geography, products, affinity, lifecycle funnel, cohort retention and
recommendation performance, each as a chart, the table it is drawn from and a CSV download.

Every page reads its filter from the URL (so a view can be shared) and calls the same services
as ``/v1/reports`` (unicx.reports) and ``/v1/reports/recommendations`` (unicx.recommend); the
CSV is the report's own CSV form, as the API serves it. A filter the reports refuse answers
400 with the message at its field.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from unicx.api.context import AppContext
from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.errors import NotFoundError, ValidationError
from unicx.reports.models import Report
from unicx.segments.service import SegmentService
from unicx.web.deps import page_for
from unicx.web.i18n import Formatter, translations
from unicx.web.reports import charts, filters
from unicx.web.reports.people import COHORTS, FUNNEL, RECOMMENDATIONS
from unicx.web.reports.sales import AFFINITY, GEOGRAPHY, PRODUCTS
from unicx.web.reports.views import Kind, Words
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebUser, Depends(page_for(Permission.reports_read))]
KINDS = {k.key: k for k in (GEOGRAPHY, PRODUCTS, AFFINITY, FUNNEL, COHORTS, RECOMMENDATIONS)}


@router.get("/reports")
def index(request: Request, user: Reader) -> Response:
    return render(request, "reports/index.html", user=user, kinds=list(KINDS.values()))


@router.get("/reports/{key}")
def report(request: Request, ctx: Ctx, user: Reader, key: str) -> Response:
    kind = KINDS.get(key)
    if kind is None:
        raise NotFoundError(f"no report named {key!r}")
    asked = filters.read(request.query_params, kind.options, segments=kind.segments)
    segments = _segments(ctx, user, kind)
    if segments and asked.segment and asked.segment not in {*segments, *segments.values()}:
        asked.problems.append(filters.Problem("segment", filters.UNKNOWN_SEGMENT))
    answer = None if asked.problems else _run(ctx, kind, asked)
    if answer is not None and request.query_params.get("format") == "csv":
        return _csv(answer)
    return _page(request, ctx, kind, asked, answer, user=user, segments=segments)


def _run(ctx: AppContext, kind: Kind, asked: filters.Filter) -> Report | None:
    """The report, or None with the reasons added to the filter's problems."""
    try:
        result: Report = kind.run(ctx, asked)
    except (ValidationError, NotFoundError) as exc:
        asked.problems.extend(filters.problems_of(exc))
        return None
    return result


def _csv(answer: Report) -> Response:
    return Response(
        answer.csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{answer.filename()}"'},
    )


def _words(request: Request, ctx: AppContext) -> Words:
    lang = request.state.language
    fmt = Formatter(lang, ZoneInfo(ctx.settings.timezone))
    return Words(translations(lang).gettext, fmt, lang, ctx.settings.currency)


def _segments(ctx: AppContext, user: WebUser, kind: Kind) -> dict[str, str]:
    """Active segments (id → name) for the filter's list, if the user may see segments."""
    if not kind.segments or not user.can(Permission.segments_read):
        return {}
    return {s.segment_id: s.name for s in SegmentService(ctx.store, ctx.settings).all()}


def _links(request: Request) -> dict[str, str]:
    """The CSV download (the same filter) and the page without any filter."""
    query = {k: v for k, v in request.query_params.items() if k not in ("lang", "format")}
    return {
        "csv": f"{request.url.path}?{urlencode({**query, 'format': 'csv'})}",
        "reset": request.url.path,
    }


def _page(
    request: Request,
    ctx: AppContext,
    kind: Kind,
    asked: filters.Filter,
    answer: Report | None,
    *,
    user: WebUser,
    segments: dict[str, str],
) -> Response:
    view = kind.draw(answer, _words(request, ctx)) if answer is not None else None
    context: dict[str, Any] = {
        "kind": kind,
        "asked": asked,
        "answer": answer,
        "view": view,
        "problems": {p.field: p for p in asked.problems},
        "segments": segments,
        "links": _links(request),
        "timezone": ctx.settings.timezone,
        "last_day": answer.params.to - timedelta(days=1) if answer is not None else None,
    }
    if view is not None and answer is not None and answer.rows:
        context["fig_json"] = charts.to_json(view.figure)
        context["chart_title"] = view.figure.layout.title.text
    status = 400 if asked.problems else 200
    return render(request, "reports/report.html", user=user, status=status, **context)
