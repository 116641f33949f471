"""The visual builder: /segments/new and /segments/{id}/edit, the live preview and saving.

Every request re-reads the posted fields into a tree (unicx.web.segments.form), writes the
definition and asks the same service as ``POST /v1/segments/preview``: the count shown is the
API's count. Errors come back at the field whose definition path they name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.errors import ConflictError, FieldIssue, ValidationError
from unicx.segments.models import Preview, SegmentCreate, SegmentPublic, SegmentUpdate
from unicx.segments.names import EditorNames, editor_names
from unicx.segments.service import SegmentService
from unicx.segments.templates import template
from unicx.web.deps import page_for
from unicx.web.i18n import translations
from unicx.web.segments import labels
from unicx.web.segments.fields import FieldError, from_definition, place
from unicx.web.segments.form import FIELDS, Built, Node, apply_action, parse_form, to_definition
from unicx.web.segments.sizes import when
from unicx.web.session import WebUser
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebUser, Depends(page_for(Permission.segments_read))]
Writer = Annotated[WebUser, Depends(page_for(Permission.segments_write))]
TemplateKey = Annotated[str, Query(alias="template", max_length=64)]
SAMPLE = 10


@dataclass
class Outcome:
    """What the builder shows for one state of the form."""

    tree: Node
    names: EditorNames
    built: Built | None = None
    preview: Preview | None = None
    errors: list[FieldError] = field(default_factory=list)
    # A condition was just added: its empty fields are not errors yet, the count waits.
    pending: bool = False

    @property
    def error_at(self) -> dict[str, str]:
        return {f"{e.key}-{e.field}": e.message for e in self.errors}

    @property
    def slots(self) -> list[tuple[str, str]]:
        """Every error slot of the form (the preview re-fills them all, clearing old ones)."""
        nodes = [(n.key, f) for n in self.tree.walk() for f in FIELDS[n.kind]]
        return [*nodes, ("form", "definition")]

    @property
    def definition_json(self) -> str:
        if self.built is None:
            return ""
        return json.dumps(self.built.definition, ensure_ascii=False, indent=2)


async def _posted(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _strict(form: dict[str, str]) -> bool:
    return form.get("allow_unseen") != "on"


def evaluate(
    ctx: Any, tree: Node, *, strict: bool, preview: bool = True, page: bool = False
) -> Outcome:
    """The definition of ``tree`` and (when asked) its live count and sample; ``page``: the
    whole page is drawn, with the event names it suggests."""
    outcome = Outcome(tree, editor_names(ctx.store, seen=page))
    if not tree.children:
        return outcome
    outcome.built = to_definition(tree, outcome.names)
    if outcome.built.issues:
        outcome.errors = place(outcome.built.issues, outcome.built)
    elif preview:
        service = SegmentService(ctx.store, ctx.settings)
        try:
            outcome.preview = service.preview(
                outcome.built.definition, strict=strict, sample=SAMPLE
            )
        except ValidationError as exc:
            outcome.errors = place(_issues(exc), outcome.built)
    return outcome


def localized(outcome: Outcome, request: Request) -> Outcome:
    """The builder's own messages in the page's language (the service's stay as worded)."""
    gettext = translations(request.state.language).gettext
    outcome.errors = [FieldError(e.key, e.field, gettext(e.message)) for e in outcome.errors]
    return outcome


def _issues(exc: ValidationError) -> list[FieldIssue]:
    return exc.issues or [FieldIssue("definition", exc.code, exc.message)]


def _page(
    request: Request,
    user: WebUser,
    outcome: Outcome,
    *,
    values: dict[str, str],
    segment: SegmentPublic | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "segments/builder.html",
        user=user,
        status=status,
        o=localized(outcome, request),
        values=values,
        segment=segment,
        labels=labels,
        when=when,
    )


@router.get("/segments/new")
async def new(request: Request, ctx: Ctx, user: Reader, template_key: TemplateKey = "") -> Response:
    raw = template(template_key).definition if template_key else {}
    tree = from_definition(raw)
    outcome = await run_in_threadpool(evaluate, ctx, tree, strict=not template_key, page=True)
    values = {"allow_unseen": "on"} if template_key else {}
    if template_key:
        gettext = translations(request.state.language).gettext
        title, description = labels.template_text(template_key)
        values["name"] = gettext(title)
        values["description"] = gettext(description).replace("%%", "%")
    return _page(request, user, outcome, values=values)


@router.get("/segments/{segment_id}/edit")
async def edit(request: Request, ctx: Ctx, user: Reader, segment_id: str) -> Response:
    service = SegmentService(ctx.store, ctx.settings)
    segment = await run_in_threadpool(service.get, segment_id[:100])
    tree = from_definition(segment.definition)
    outcome = await run_in_threadpool(evaluate, ctx, tree, strict=False, page=True)
    values = {"name": segment.name, "description": segment.description, "allow_unseen": "on"}
    return _page(request, user, outcome, values=values, segment=segment)


@router.post("/segments/preview")
async def preview(request: Request, ctx: Ctx, user: Reader) -> Response:
    """The live count, sample, JSON and error slots for the posted form (htmx, on change)."""
    form = await _posted(request)
    outcome = await run_in_threadpool(evaluate, ctx, parse_form(form), strict=_strict(form))
    return render(
        request,
        "segments/_preview.html",
        user=user,
        o=localized(outcome, request),
        labels=labels,
        when=when,
    )


@router.post("/segments/builder")
async def rebuild(request: Request, ctx: Ctx, user: Reader) -> Response:
    """Add or remove a condition or group (``do``), then show the tree and its preview."""
    form = await _posted(request)
    tree = parse_form(form)
    action = form.get("do", "")[:100]
    apply_action(tree, action)
    outcome = await run_in_threadpool(evaluate, ctx, tree, strict=_strict(form))
    if action.startswith("add:") and outcome.errors:
        outcome.errors, outcome.pending = [], True
    return render(
        request,
        "segments/_rebuilt.html",
        user=user,
        o=localized(outcome, request),
        labels=labels,
        when=when,
    )


@router.post("/segments/new")
async def create(request: Request, ctx: Ctx, user: Writer) -> Response:
    form = await _posted(request)
    return await _save(request, ctx, user, form, None)


@router.post("/segments/{segment_id}/edit")
async def update(request: Request, ctx: Ctx, user: Writer, segment_id: str) -> Response:
    form = await _posted(request)
    service = SegmentService(ctx.store, ctx.settings)
    segment = await run_in_threadpool(service.get, segment_id[:100])
    return await _save(request, ctx, user, form, segment)


async def _save(
    request: Request, ctx: Ctx, user: WebUser, form: dict[str, str], segment: SegmentPublic | None
) -> Response:
    outcome = await run_in_threadpool(
        evaluate, ctx, parse_form(form), strict=_strict(form), preview=False, page=True
    )
    values = {k: form.get(k, "") for k in ("name", "description", "allow_unseen")}
    if not outcome.errors:
        try:
            saved = await run_in_threadpool(_store, ctx, user, form, outcome, segment)
            return RedirectResponse(f"/segments/{saved.segment_id}", status_code=303)
        except ValidationError as exc:
            outcome.errors = place(_issues(exc), outcome.built)
        except ConflictError as exc:
            outcome.errors = [FieldError("form", "name", exc.message)]
    return _page(request, user, outcome, values=values, segment=segment, status=400)


def _store(
    ctx: Any, user: WebUser, form: dict[str, str], o: Outcome, segment: SegmentPublic | None
) -> SegmentPublic:
    name, description = form.get("name", "").strip(), form.get("description", "").strip()
    if not name or len(name) > 100:
        raise ValidationError("name", issues=[FieldIssue("name", "name", labels.NAME_RULE)])
    if len(description) > 2000:
        raise ValidationError(
            "description", issues=[FieldIssue("description", "length", labels.DESCRIPTION_RULE)]
        )
    if o.built is None:
        raise ValidationError(
            "definition", issues=[FieldIssue("definition", "empty", labels.EMPTY_RULE)]
        )
    service = SegmentService(ctx.store, ctx.settings)
    actor = user.principal().key_id
    strict = _strict(form)
    if segment is None:
        body = SegmentCreate(name=name, description=description, definition=o.built.definition)
        return service.create(body, actor=actor, strict=strict)
    change = SegmentUpdate(name=name, description=description, definition=o.built.definition)
    return service.update(segment.segment_id, change, actor=actor, strict=strict)
