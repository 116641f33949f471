"""Dependencies of the dashboard's routes: the signed-in user, their role, their language, and
the CSRF check every state-changing request passes.

Pages declare what they need as ``Annotated`` aliases (:data:`Viewer`, :func:`page_for`); the
CSRF check is a dependency of the whole web router, so no POST can forget it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from unicx.api.deps import Ctx
from unicx.auth.models import Permission
from unicx.auth.sessions import SESSION_COOKIE, SessionService
from unicx.errors import PermissionDeniedError, UnicxError
from unicx.web.i18n import pick_language
from unicx.web.session import WebUser

LANG_COOKIE = "unicx_lang"
LOGIN_CSRF_COOKIE = "unicx_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LoginRequiredError(UnicxError):
    """The page needs a signed-in user (the web answers with a redirect to /login)."""

    code = "login_required"


class CsrfError(PermissionDeniedError):
    """A state-changing request without the form's CSRF token."""

    code = "csrf_failed"


def queue_cookie(request: Request, name: str, value: str | None, *, max_age: int = 0) -> None:
    """A cookie for the response (set by web.security's middleware; ``None`` deletes it)."""
    request.state.cookies = [*getattr(request.state, "cookies", []), (name, value, max_age)]


def current_user(request: Request, ctx: Ctx) -> WebUser | None:
    """The signed-in user, if any; also settles the page's language."""
    token = request.cookies.get(SESSION_COOKIE)
    session = SessionService(ctx.store).resolve(token)
    user = WebUser(session, token) if session is not None and token else None
    _settle_language(request, ctx, user)
    return user


def _settle_language(request: Request, ctx: Ctx, user: WebUser | None) -> None:
    """``?lang=`` wins and is remembered (on the user, or in a cookie before sign-in)."""
    asked = request.query_params.get("lang")
    known = user.session.language if user else request.cookies.get(LANG_COOKIE)
    language = pick_language(asked, known)
    if asked and language != known:
        if user is not None:
            SessionService(ctx.store).set_language(user.user_id, language)
        else:
            queue_cookie(request, LANG_COOKIE, language, max_age=365 * 86400)
    request.state.language = language


MaybeUser = Annotated[WebUser | None, Depends(current_user)]


def signed_in(user: MaybeUser) -> WebUser:
    if user is None:
        raise LoginRequiredError("sign in to see this page")
    return user


def page_for(permission: Permission) -> Callable[[WebUser], WebUser]:
    """A signed-in user whose role has ``permission`` (403 otherwise)."""

    def check(user: Annotated[WebUser, Depends(signed_in)]) -> WebUser:
        if not user.can(permission):
            raise PermissionDeniedError(
                f"role {user.role.value} lacks permission {permission.value}"
            )
        return user

    return check


SignedIn = Annotated[WebUser, Depends(signed_in)]


async def check_csrf(request: Request, user: MaybeUser) -> None:
    """Every POST/PUT/PATCH/DELETE carries the session's token (form field or htmx header);
    before sign-in, the login form's double-submit cookie stands in for the session."""
    request.state.login_csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    if request.method not in UNSAFE_METHODS:
        return
    expected = user.csrf_token if user else request.cookies.get(LOGIN_CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER) or await _form_token(request)
    if not expected or not sent or not secrets.compare_digest(expected, sent):
        raise CsrfError("the form's security token is missing or stale; reload the page")


async def _form_token(request: Request) -> str | None:
    if "form" not in request.headers.get("content-type", ""):
        return None
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else None
