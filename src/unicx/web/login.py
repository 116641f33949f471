"""Signing in and out, changing one's password, and the root redirect."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from unicx.api.deps import Ctx
from unicx.auth.login_limit import LoginLimiter
from unicx.auth.sessions import SESSION_COOKIE, SESSION_HOURS, SessionService
from unicx.auth.users import UserService
from unicx.errors import RateLimitedError, ValidationError
from unicx.web.deps import LOGIN_CSRF_COOKIE, MaybeUser, SignedIn, queue_cookie
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
HOME = "/home"


def safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect to another host is refused silently."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    return target


def login_url(path: str) -> str:
    return "/login" if path in ("/", HOME) else f"/login?next={quote(path, safe='/')}"


@router.get("/")
async def root(user: MaybeUser) -> RedirectResponse:
    return RedirectResponse(HOME if user else "/login", status_code=303)


@router.get("/login", response_model=None)
def login_page(request: Request, user: MaybeUser, next: str | None = None) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, next=next)


def _login_form(request: Request, *, next: str | None, error: str | None = None,
                email: str = "", status: int = 200) -> Response:  # fmt: skip
    if LOGIN_CSRF_COOKIE not in request.cookies:
        queue_cookie(request, LOGIN_CSRF_COOKIE, request.state.login_csrf, max_age=3600)
    return render(request, "login.html", user=None, next=next or "", error=error, email=email,
                  status=status)  # fmt: skip


@router.post("/login", response_model=None)
def login(
    request: Request,
    ctx: Ctx,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    limiter: LoginLimiter = request.app.state.login_limiter
    address = request.client.host if request.client else "unknown"
    try:
        limiter.check(account=email, address=address)
    except RateLimitedError:
        return _login_form(request, next=next, error="too_many", email=email, status=429)
    user = UserService(ctx.store).verify(email, password)
    if user is None:
        limiter.failed(account=email, address=address)
        return _login_form(request, next=next, error="wrong", email=email, status=400)
    limiter.succeeded(account=email)
    token = SessionService(ctx.store).start(user.user_id)
    queue_cookie(request, SESSION_COOKIE, token, max_age=SESSION_HOURS * 3600)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, ctx: Ctx, user: MaybeUser) -> RedirectResponse:
    if user is not None:
        SessionService(ctx.store).end(user.token)
    queue_cookie(request, SESSION_COOKIE, None)
    return RedirectResponse("/login", status_code=303)


@router.get("/account")
def account(request: Request, user: SignedIn) -> Response:
    return render(request, "account.html", user=user)


@router.post("/account/password")
def change_password(
    request: Request,
    ctx: Ctx,
    user: SignedIn,
    current_password: Annotated[str, Form(max_length=1024)],
    new_password: Annotated[str, Form(max_length=1024)],
) -> Response:
    try:
        UserService(ctx.store).change_password(
            user.user_id, current=current_password, new=new_password
        )
    except ValidationError as exc:
        return render(request, "account.html", user=user, issues=exc.issues, status=400)
    # The change ended every session (this one too): start a fresh one for this browser.
    SessionService(ctx.store).end_all(user.user_id)
    token = SessionService(ctx.store).start(user.user_id)
    queue_cookie(request, SESSION_COOKIE, token, max_age=SESSION_HOURS * 3600)
    return RedirectResponse("/account?changed=1", status_code=303)
