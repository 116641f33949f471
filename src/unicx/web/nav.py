"""The areas of the left navigation, in order; each needs a permission to be shown.

An area's ``root`` is its first path segment: :func:`is_web_path` uses the roots to tell
dashboard pages (HTML errors, security headers) from the API (JSON errors)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request

from unicx.auth.models import Permission

if TYPE_CHECKING:
    from unicx.web.session import WebUser


def _(text: str) -> str:
    """Marks a label for extraction; templates translate it when they render."""
    return text


@dataclass(frozen=True)
class Area:
    root: str
    label: str
    permission: Permission
    demo_only: bool = False


AREAS: tuple[Area, ...] = (
    Area("home", _("Home"), Permission.sources_read),
    Area("profiles", _("Profiles"), Permission.profiles_read),
    Area("segments", _("Segments"), Permission.segments_read),
    Area("reports", _("Reports"), Permission.reports_read),
    Area("journeys", _("Journeys"), Permission.journeys_read),
    Area("messaging", _("Messaging"), Permission.messages_read),
    Area("models", _("Models"), Permission.models_read),
    Area("settings", _("Settings"), Permission.sources_read),
    Area("demo-inbox", _("Demo inbox"), Permission.messages_read, demo_only=True),
)
# Pages outside the navigation that are still the dashboard's.
OTHER_ROOTS = frozenset({"", "login", "logout", "account", "static"})
WEB_ROOTS = OTHER_ROOTS | {a.root for a in AREAS}


def is_web_path(path: str) -> bool:
    return path.strip("/").split("/", 1)[0] in WEB_ROOTS


@dataclass(frozen=True)
class NavLink:
    href: str
    label: str
    current: bool


def areas(request: Request, user: WebUser | None) -> list[NavLink]:
    """The links this user may follow, the current area marked."""
    if user is None:
        return []
    here = request.url.path.strip("/").split("/", 1)[0]
    demo = bool(getattr(request.app.state, "demo", False))
    return [
        NavLink(f"/{a.root}", a.label, a.root == here)
        for a in AREAS
        if user.can(a.permission) and (demo or not a.demo_only)
    ]


# Role names as the dashboard shows them (marked here so the catalogs carry them).
ROLE_LABELS = (_("admin"), _("marketer"), _("analyst"), _("viewer"))
