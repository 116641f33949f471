"""What the settings pages share: the permission aliases, the form fields, the page that shows a
new secret once, and the redirect that reports what was done."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from unicx.auth.models import Permission
from unicx.errors import FieldIssue
from unicx.web.deps import page_for
from unicx.web.session import WebUser
from unicx.web.templating import render

SourcesReader = Annotated[WebUser, Depends(page_for(Permission.sources_read))]
SourcesWriter = Annotated[WebUser, Depends(page_for(Permission.sources_write))]
# API keys and dashboard users both hand out a role: only who may issue keys (admins) may.
KeyManager = Annotated[WebUser, Depends(page_for(Permission.keys_manage))]
AuditReader = Annotated[WebUser, Depends(page_for(Permission.audit_read))]
NameField = Annotated[str, Form(max_length=200)]
# A secret on a page must not stay in a cache or come back with the browser's history.
NO_STORE = {"Cache-Control": "no-store"}


def _(text: str) -> str:
    """Marks a message for extraction; the template translates it where it shows it."""
    return text


NAME_REQUIRED = _("Enter a name.")


def field_errors(issues: list[FieldIssue] | None) -> dict[str, str]:
    """The first problem of each form field (a message id), shown at the field."""
    found: dict[str, str] = {}
    for issue in issues or []:
        found.setdefault(issue.field, issue.message)
    return found


def shown_once(
    request: Request, user: WebUser, *, kind: str, secret: str, subject: str, back: str
) -> Response:
    """The new key or password, on this answer only (the lists never show it again)."""
    return render(
        request,
        "settings/shown_once.html",
        user=user,
        headers=NO_STORE,
        kind=kind,
        secret=secret,
        subject=subject,
        back=back,
    )


def done(path: str, what: str) -> RedirectResponse:
    """Back to the list after a change, saying what changed (``?done=``)."""
    return RedirectResponse(f"{path}?{urlencode({'done': what})}", status_code=303)
