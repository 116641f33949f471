"""Who is looking at a page: the signed-in dashboard user, with their role's permissions."""

from __future__ import annotations

from dataclasses import dataclass

from unicx.auth.models import Permission, Principal, Role
from unicx.auth.sessions import DashboardSession


@dataclass(frozen=True)
class WebUser:
    session: DashboardSession
    token: str

    @property
    def user_id(self) -> str:
        return self.session.user_id

    @property
    def email(self) -> str:
        return self.session.email

    @property
    def role(self) -> Role:
        return self.session.role

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token

    def principal(self) -> Principal:
        return self.session.principal()

    def can(self, permission: Permission) -> bool:
        return self.principal().can(permission)
