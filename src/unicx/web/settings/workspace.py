"""Settings: the workspace's settings with their descriptions (never a secret), and the audit
log (privacy: who exported, erased or changed what), paged on the server."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Query, Request
from pydantic import SecretBytes, SecretStr
from starlette.responses import Response

from unicx.api.deps import Ctx
from unicx.config import Settings
from unicx.privacy.audit import list_audit
from unicx.web.i18n import translations
from unicx.web.settings.common import AuditReader, SourcesReader
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
AUDIT_PAGE = 50
# A setting named like a credential is never shown, whatever its type (a future field that
# forgets SecretStr stays hidden too).
SECRET_NAME = re.compile(r"secret|password|passwd|token|api_?key|private|credential|dsn", re.I)
HIDDEN = "••••••"
KNOWN_ACTIONS = ("profile.export", "profile.erase", "consent.update")


@dataclass(frozen=True)
class SettingRow:
    name: str
    value: str | None  # None: not set
    changed: bool  # differs from the default
    secret: bool
    description: str
    english: bool = True  # the description is still the English of config.py


def is_secret(name: str, value: Any) -> bool:
    return bool(SECRET_NAME.search(name)) or isinstance(value, SecretStr | SecretBytes)


def without_userinfo(text: str) -> str:
    """A URL with ``user:password@`` keeps only its host (credentials never reach the page)."""
    parts = urlsplit(text)
    if parts.username is None and parts.password is None:
        return text
    host = parts.hostname or ""
    netloc = f"{HIDDEN}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def shown(value: Any) -> str | None:
    """A setting's value as text (lists and tables compact; URLs without credentials)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Path | datetime):
        return str(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    text = str(value)
    return without_userinfo(text) if "://" in text else text


def setting_rows(settings: Settings) -> list[SettingRow]:
    rows = []
    for name, info in type(settings).model_fields.items():
        value = getattr(settings, name)
        secret = is_secret(name, value)
        default = info.get_default(call_default_factory=True)
        rows.append(SettingRow(name=name, value=HIDDEN if secret else shown(value),
                               changed=value != default, secret=secret,
                               description=info.description or ""))  # fmt: skip
    return rows


def in_language(rows: list[SettingRow], language: str) -> list[SettingRow]:
    """Descriptions from the catalog (settings.po keeps them keyed by the English text, so a
    description changed in config.py shows in English until it is translated again). Looked up
    directly, not through the template's ``_()``, which would trust the text as markup."""
    text = translations(language).gettext
    return [
        replace(r, description=text(r.description), english=text(r.description) == r.description)
        for r in rows
    ]


@router.get("/settings/workspace")
def workspace(request: Request, ctx: Ctx, user: SourcesReader) -> Response:
    rows = in_language(setting_rows(ctx.settings), request.state.language)
    return render(request, "settings/workspace.html", user=user, rows=rows)


@router.get("/settings/audit")
def audit(
    request: Request, ctx: Ctx, user: AuditReader,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    action: Annotated[str, Query(max_length=64)] = "",
) -> Response:  # fmt: skip
    # One more row than the page tells whether a next page exists without counting the log.
    entries = list_audit(ctx.store, limit=AUDIT_PAGE + 1, offset=(page - 1) * AUDIT_PAGE,
                         action=action.strip() or None)  # fmt: skip
    return render(request, "settings/audit.html", user=user, entries=entries[:AUDIT_PAGE],
                  page=page, more=len(entries) > AUDIT_PAGE, action=action.strip(),
                  actions=KNOWN_ACTIONS, detail=_detail)  # fmt: skip


def _detail(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
