"""What the messaging pages share: their tabs, the page size and the pager's links."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request

from unicx.auth.models import Permission
from unicx.web.nav import _
from unicx.web.session import WebUser

PAGE_SIZE = 50
MAX_PAGE = 10_000

# (path, label, permission): the tabs under Messaging, shown when the role may open them.
TABS = (
    ("/messaging", _("Message log"), Permission.messages_read),
    ("/messaging/dead", _("Dead letters"), Permission.messages_read),
    ("/messaging/channels", _("Channels"), Permission.channels_read),
    ("/messaging/policy", _("Caps and quiet hours"), Permission.channels_read),
    ("/messaging/suppressions", _("Suppression list"), Permission.messages_read),
    ("/messaging/audiences", _("Ad audiences"), Permission.segments_read),
)


@dataclass(frozen=True)
class Tab:
    href: str
    label: str
    current: bool


def tabs(
    request: Request, user: WebUser, table: tuple[tuple[str, str, Permission], ...] = TABS
) -> list[Tab]:
    here = request.url.path.rstrip("/")
    return [Tab(href, label, href == here) for href, label, perm in table if user.can(perm)]


def page_links(request: Request, page: int, has_next: bool) -> dict[str, str | None]:
    """The previous and next page's URLs, the filters kept."""
    query = {k: v for k, v in request.query_params.items() if k not in ("page", "lang")}

    def link(n: int) -> str:
        return f"{request.url.path}?{urlencode({**query, 'page': n})}"

    return {
        "prev": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if has_next else None,
    }


def clean(value: str | None) -> str | None:
    """A filter from the URL: empty means none."""
    value = (value or "").strip()
    return value or None
