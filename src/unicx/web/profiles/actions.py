"""Profile 360's admin actions: undo a merge, export the person, erase the person.

Each needs the permission the API route needs (identity:manage, privacy:export,
privacy:erase); the web router's CSRF check guards all three. Erasure asks for the person's
e-mail or profile id typed back, so a slip of the mouse cannot erase someone.
"""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.identity.service import IdentityService
from unicx.privacy.erasure import erase_profile
from unicx.privacy.export import export_profile
from unicx.web.deps import page_for
from unicx.web.profiles import view
from unicx.web.profiles.pages import ProfileId, render360
from unicx.web.session import WebUser

router = APIRouter(include_in_schema=False)
MergeId = Annotated[str, Path(min_length=1, max_length=64)]
IdentityManager = Annotated[WebUser, Depends(page_for(Permission.identity_manage))]
Exporter = Annotated[WebUser, Depends(page_for(Permission.privacy_export))]
Eraser = Annotated[WebUser, Depends(page_for(Permission.privacy_erase))]


def _profile_url(profile_id: str, note: str) -> str:
    return f"/profiles/{quote(profile_id, safe='')}?done={note}"


@router.post("/profiles/{profile_id}/merges/{merge_id}/undo")
async def unmerge(ctx: Ctx, user: IdentityManager, profile_id: ProfileId,
                  merge_id: MergeId) -> Response:  # fmt: skip
    """Undo a merge: the identifiers it moved go back to the other profile."""
    service = IdentityService(ctx.store, ctx.settings)
    await run_in_threadpool(service.unmerge, merge_id, actor=user.user_id)
    return RedirectResponse(_profile_url(profile_id, "unmerged"), status_code=303)


@router.post("/profiles/{profile_id}/export")
async def export(ctx: Ctx, user: Exporter, profile_id: ProfileId) -> Response:
    """Everything held on the person as a JSON download (recorded in the audit log)."""
    data = await run_in_threadpool(export_profile, ctx.store, profile_id, actor=user.user_id)
    body = json.dumps(data.model_dump(mode="json"), ensure_ascii=False, indent=2)
    filename = f"unicx-profile-{profile_id[:64]}.json".replace('"', "")
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type="application/json", headers=headers)


@router.post("/profiles/{profile_id}/erase")
async def erase(
    request: Request,
    ctx: Ctx,
    user: Eraser,
    profile_id: ProfileId,
    confirm: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Erase the person once their e-mail or profile id is typed back; then they are gone
    from search and from Profile 360 (404)."""
    person = await run_in_threadpool(view.load, ctx, profile_id)
    if not confirms(person, confirm):
        return render360(request, user, person, status=400, confirm=confirm,
                         erase_error="mismatch")  # fmt: skip
    recommender = ctx.recommender
    await run_in_threadpool(
        erase_profile, ctx.store, ctx.settings, profile_id, actor=user.user_id,
        forget_buffered=None if recommender is None else recommender.log.forget,
    )  # fmt: skip
    return RedirectResponse("/profiles?done=erased", status_code=303)


def confirms(person: view.Profile360, typed: str) -> bool:
    """The typed text names this person: their profile id, or one of their e-mails."""
    text = typed.strip()
    if not text:
        return False
    emails = {i.id_value.lower() for i in person.identifiers if i.id_type == "email"}
    return text == person.profile.profile_id or text.lower() in emails
