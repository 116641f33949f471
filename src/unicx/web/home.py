"""Home: the workspace at a glance (KPIs) and the realtime pipeline's health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.web.deps import page_for
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Anyone = Annotated[WebUser, Depends(page_for(Permission.sources_read))]


@router.get("/home")
def home(request: Request, ctx: Ctx, user: Anyone) -> Response:
    stages = ctx.runtime.status()
    return render(request, "home.html", user=user, stages=stages)
