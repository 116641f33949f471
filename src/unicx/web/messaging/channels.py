"""Channel settings: each channel's provider config, what every field means, secrets shown
only as set or not set and changed through write-only inputs (channels:write)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.channels.base import channel_names, get_channel
from unicx.channels.config import read_config, redacted, save_config
from unicx.errors import NotFoundError, UnicxError, ValidationError
from unicx.web.deps import page_for
from unicx.web.messaging.common import tabs
from unicx.web.messaging.settings_form import FormField, form_fields, is_set, read_form, shown
from unicx.web.nav import _
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebUser, Depends(page_for(Permission.channels_read))]
Writer = Annotated[WebUser, Depends(page_for(Permission.channels_write))]
Name = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]
ABOUT = {
    "email": _("E-mail through your SMTP server; opens and clicks are tracked when switched on."),
    "sms": _("Text messages through your SMS provider's HTTP API."),
    "push": _("Mobile push notifications through your push provider's HTTP API."),
    "webhook": _("Signed HTTP calls to your own systems, retried with back-off."),
    "web": _("Messages your website shows on its pages (fetched by the browser SDK)."),
    "in_app": _("Messages your mobile app shows in its inbox."),
}


@dataclass
class ChannelView:
    name: str
    about: str
    address: str
    fields: list[FormField]
    config: dict[str, Any]
    errors: dict[str, str]


def _view(ctx: Ctx, name: str, errors: dict[str, str] | None = None) -> ChannelView:
    cls = get_channel(name)
    if cls is None:
        raise NotFoundError(f"unknown channel {name!r}")
    with ctx.store.session() as s:
        config = redacted(read_config(s, name))
    return ChannelView(name, ABOUT.get(name, ""), cls.address_kind,
                       form_fields(cls.config_model), config, errors or {})  # fmt: skip


@router.get("/messaging/channels")
async def channels(request: Request, ctx: Ctx, user: Reader) -> Response:
    views = await run_in_threadpool(lambda: [_view(ctx, n) for n in channel_names()])
    saved = request.query_params.get("saved")
    return render(request, "messaging/channels.html", user=user, tabs=tabs(request, user),
                  views=views, saved=saved, **HELPERS)  # fmt: skip


@router.post("/messaging/channels/{name}")
async def save_channel(request: Request, ctx: Ctx, user: Writer, name: Name) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    view = await run_in_threadpool(_view, ctx, name)
    raw = read_form(view.fields, form, view.config)

    def run() -> None:
        with ctx.store.session() as s, s.transaction():
            save_config(s, name, raw, now=ctx.clock.now(), allow=ctx.settings.outbound_allow)

    try:
        await run_in_threadpool(run)
    except ValidationError as exc:
        return _refused(request, ctx, user, name, exc)
    return RedirectResponse(f"/messaging/channels?saved={name}#ch-{name}", status_code=303)


def _refused(request: Request, ctx: Ctx, user: WebUser, name: str, exc: UnicxError) -> Response:
    """The page again with the server's message at each field it names (config.<path>)."""
    issues = getattr(exc, "issues", None) or []
    errors = {i.field.removeprefix("config."): i.message for i in issues}
    views = [_view(ctx, n, errors if n == name else None) for n in channel_names()]
    return render(request, "messaging/channels.html", user=user, tabs=tabs(request, user),
                  views=views, saved=None, failed=name, message=exc.message,
                  status=400, **HELPERS)  # fmt: skip


# Each setting's name in words (the last part of its path); the model's description follows.
LABELS = {
    "host": _("Server"),
    "port": _("Port"),
    "security": _("Encryption"),
    "username": _("User name"),
    "password": _("Password"),
    "from_address": _("From address"),
    "from_name": _("From name"),
    "reply_to": _("Reply-to address"),
    "timeout_s": _("Timeout (s)"),
    "track_opens": _("Track opens"),
    "track_clicks": _("Track clicks"),
    "sender": _("Sender"),
    "max_segments": _("Most SMS parts"),
    "fold_diacritics": _("Remove diacritics"),
    "default_region": _("Default region"),
    "url": _("Provider URL"),
    "method": _("HTTP method"),
    "headers": _("Extra headers"),
    "kind": _("Authentication"),
    "token": _("Token"),
    "body_template": _("Body template"),
    "provider_id_path": _("Message id in the answer"),
    "bounce_statuses": _("Hard-bounce statuses"),
    "receipt_token": _("Receipt token"),
    "signing_secret": _("Signing secret"),
    "max_attempts": _("Most tries"),
    "backoff_base_s": _("First retry after (s)"),
    "backoff_cap_s": _("Longest wait (s)"),
    "ttl_days": _("Kept for (days)"),
    "max_per_profile": _("Most per person"),
}
HELPERS: dict[str, Any] = {"labels": LABELS, "shown": shown, "is_set": is_set}
