"""Settings: dashboard users (admins): list, create with a role (the generated password is
shown once), disable, reset a password. Disabling or resetting ends the user's sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from starlette.responses import Response

from unicx.api.deps import Ctx
from unicx.auth.models import Role
from unicx.auth.sessions import SessionService
from unicx.auth.users import DashboardUserPublic, UserService
from unicx.errors import ConflictError, FieldIssue, NotFoundError, ValidationError
from unicx.web.session import WebUser
from unicx.web.settings.common import KeyManager, _, done, field_errors, shown_once
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
UserId = Annotated[str, Path(max_length=64)]
USERS = "/settings/users"
BAD_EMAIL = _("Enter a valid e-mail address.")
TAKEN = _("A user with this e-mail exists already.")


def _users_page(
    request: Request, ctx: Ctx, user: WebUser, *, issues: list[FieldIssue] | None = None,
    email: str = "", role: Role = Role.viewer, status: int = 200,
) -> Response:  # fmt: skip
    people = UserService(ctx.store).list_users()
    people.sort(key=lambda u: (u.disabled_at is not None, u.email))
    return render(request, "settings/users.html", user=user, people=people, roles=list(Role),
                  errors=field_errors(issues), email=email, role=role, status=status)  # fmt: skip


@router.get(USERS)
def users(request: Request, ctx: Ctx, user: KeyManager) -> Response:
    return _users_page(request, ctx, user)


@router.post(USERS)
def create_user(
    request: Request, ctx: Ctx, user: KeyManager,
    email: Annotated[str, Form(max_length=320)],
    role: Annotated[Role, Form()] = Role.viewer,
) -> Response:  # fmt: skip
    try:
        created = UserService(ctx.store).create(email, role)
    except (ValidationError, ConflictError) as exc:
        message = TAKEN if isinstance(exc, ConflictError) else BAD_EMAIL
        issue = FieldIssue("email", "invalid", message)
        return _users_page(request, ctx, user, issues=[issue], email=email, role=role,
                           status=409 if isinstance(exc, ConflictError) else 400)  # fmt: skip
    return shown_once(request, user, kind="password", secret=created.password,
                      subject=f"{created.email} ({created.role.value})", back=USERS)  # fmt: skip


def _other_user(ctx: Ctx, user: WebUser, user_id: str) -> DashboardUserPublic:
    """The user to change; never the admin's own account (that is /account's job, and an
    admin disabling themself could leave no admin)."""
    if user_id == user.user_id:
        raise ValidationError("change your own account at /account, not here")
    found = next((u for u in UserService(ctx.store).list_users() if u.user_id == user_id), None)
    if found is None:
        raise NotFoundError(f"no dashboard user {user_id!r}")
    return found


@router.post(USERS + "/{user_id}/disable")
def disable_user(ctx: Ctx, user: KeyManager, user_id: UserId) -> Response:
    target = _other_user(ctx, user, user_id)
    UserService(ctx.store).disable(target.email)
    SessionService(ctx.store).end_all(target.user_id)
    return done(USERS, "disabled")


@router.post(USERS + "/{user_id}/reset")
def reset_password(request: Request, ctx: Ctx, user: KeyManager, user_id: UserId) -> Response:
    target = _other_user(ctx, user, user_id)
    reset = UserService(ctx.store).reset_password(target.email)
    SessionService(ctx.store).end_all(target.user_id)
    return shown_once(request, user, kind="password", secret=reset.password,
                      subject=reset.email, back=USERS)  # fmt: skip
