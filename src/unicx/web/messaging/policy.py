"""Frequency caps and quiet hours: the messaging policy every marketing message passes at
send time, shown in words and changed here (channels:write, like PUT /v1/messaging/policy)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.channels.base import channel_names
from unicx.channels.policy import MessagingPolicy, check_policy, read_policy, save_policy
from unicx.errors import ValidationError
from unicx.web.deps import page_for
from unicx.web.messaging.common import tabs
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebUser, Depends(page_for(Permission.channels_read))]
Writer = Annotated[WebUser, Depends(page_for(Permission.channels_write))]
BLANK_ROWS = 2
MAX_ROWS = 50
_INDEX = re.compile(r"\[(\d+)\]")


def _read(ctx: Ctx) -> MessagingPolicy:
    with ctx.store.session() as s:
        return read_policy(s)


def _page(request: Request, user: WebUser, policy: dict[str, Any], **extra: Any) -> Response:
    caps = list(policy.get("caps", []))
    rows = caps + [{"channel": "*", "max": "", "per": ""}] * BLANK_ROWS
    return render(request, "messaging/policy.html", user=user, tabs=tabs(request, user),
                  policy=policy, rows=rows, channels=channel_names(),
                  saved=request.query_params.get("saved"), **extra)  # fmt: skip


@router.get("/messaging/policy")
async def policy_page(request: Request, ctx: Ctx, user: Reader) -> Response:
    policy = await run_in_threadpool(_read, ctx)
    return _page(request, user, policy.model_dump(mode="json"), errors={})


def from_form(form: dict[str, Any], channels: list[str]) -> tuple[dict[str, Any], list[int]]:
    """The policy as the form says it, and the form rows the caps came from (blank rows are
    dropped)."""
    caps, rows = [], []
    for i in range(MAX_ROWS):
        cap_max, per = (
            str(form.get(f"cap-{i}-max", "")).strip(),
            str(form.get(f"cap-{i}-per", "")).strip(),
        )
        if f"cap-{i}-channel" not in form or (not cap_max and not per):
            continue
        max_value: Any = int(cap_max) if cap_max.isdigit() else cap_max
        caps.append({"channel": form[f"cap-{i}-channel"], "max": max_value, "per": per})
        rows.append(i)
    quiet = None
    if form.get("quiet_on"):
        quiet = {"start": form.get("quiet_start") or None, "end": form.get("quiet_end") or None,
                 "channels": [c for c in channels if form.get(f"quiet-{c}")]}  # fmt: skip
    policy = {"caps": caps, "quiet_hours": quiet, "timezone": str(form.get("timezone", "")).strip(),
              "require_consent": bool(form.get("require_consent"))}  # fmt: skip
    return policy, rows


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Each issue at the form field it names: ``policy.caps[1].per`` → ``caps.1.per`` (the
    page shows the kept rows again in order, so the index is the row's)."""
    out: dict[str, str] = {}
    for issue in exc.issues:
        path = _INDEX.sub(r".\1", issue.field).removeprefix("policy.")
        out.setdefault(".".join(path.split(".")[:3]), issue.message)
    return out


@router.post("/messaging/policy")
async def save(request: Request, ctx: Ctx, user: Writer) -> Response:
    form = dict(await request.form())
    raw, rows = from_form(form, channel_names())

    def run() -> None:
        policy = check_policy(raw, channel_names())
        with ctx.store.session() as s, s.transaction():
            save_policy(s, policy, now=ctx.clock.now())

    try:
        await run_in_threadpool(run)
    except ValidationError as exc:
        shown = {**raw, "caps": [_form_row(form, i) for i in rows]}
        return _page(request, user, shown, errors=field_errors(exc), message=exc.message,
                     status=400)  # fmt: skip
    return RedirectResponse("/messaging/policy?saved=1", status_code=303)


def _form_row(form: dict[str, Any], i: int) -> dict[str, Any]:
    return {k: form.get(f"cap-{i}-{k}", "") for k in ("channel", "max", "per")}
