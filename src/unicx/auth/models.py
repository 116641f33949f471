"""Public and internal models of sources, write keys, secret keys and roles."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class Role(StrEnum):
    admin = "admin"
    marketer = "marketer"
    analyst = "analyst"
    viewer = "viewer"


class Permission(StrEnum):
    events_read = "events:read"
    events_delete = "events:delete"
    sources_read = "sources:read"
    sources_write = "sources:write"
    keys_manage = "keys:manage"
    profiles_read = "profiles:read"
    profiles_write = "profiles:write"
    identity_manage = "identity:manage"
    imports_write = "imports:write"
    privacy_export = "privacy:export"
    privacy_erase = "privacy:erase"
    audit_read = "audit:read"
    segments_read = "segments:read"
    segments_write = "segments:write"
    segments_export = "segments:export"
    reports_read = "reports:read"
    models_read = "models:read"
    models_train = "models:train"
    # Serving recommendations and decisions to a site or app backend (reads the person).
    personalize_serve = "personalize:serve"
    # Catalog, recommendation rules, offers and content blocks.
    personalize_write = "personalize:write"
    # Journey definitions and their analytics; channel providers and the messaging policy;
    # the message log.
    journeys_read = "journeys:read"
    journeys_write = "journeys:write"
    channels_read = "channels:read"
    channels_write = "channels:write"
    messages_read = "messages:read"
    # Changing a person's inbox state (seen, clicked, dismissed) on their behalf.
    messages_write = "messages:write"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(Permission),
    Role.analyst: frozenset(
        {
            Permission.events_read,
            Permission.sources_read,
            Permission.profiles_read,
            Permission.segments_read,
            Permission.reports_read,
            Permission.models_read,
            Permission.journeys_read,
            Permission.channels_read,
            Permission.messages_read,
        }
    ),
    # Marketers load and correct audience data; exporting or erasing a person stays with admins.
    Role.marketer: frozenset(
        {
            Permission.events_read,
            Permission.sources_read,
            Permission.profiles_read,
            Permission.profiles_write,
            Permission.imports_write,
            Permission.segments_read,
            Permission.segments_write,
            Permission.segments_export,
            Permission.reports_read,
            Permission.models_read,
            Permission.models_train,
            Permission.personalize_serve,
            Permission.personalize_write,
            Permission.journeys_read,
            Permission.journeys_write,
            Permission.channels_read,
            Permission.channels_write,
            Permission.messages_read,
            Permission.messages_write,
        }
    ),
    Role.viewer: frozenset({Permission.sources_read}),
}


class Principal(BaseModel):
    """Who is calling the management API."""

    key_id: str
    name: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


class SourceCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="Human name of the source.")


class WriteKeyPublic(BaseModel):
    key_id: str
    write_key: str = Field(description="Use as HTTP Basic user name on /v1/track etc.")
    created_at: datetime
    revoked_at: datetime | None = None


class SourcePublic(BaseModel):
    source_id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None = None
    write_keys: list[WriteKeyPublic] = Field(default_factory=list)

    def for_role(self, role: Role) -> SourcePublic:
        """Viewers see that keys exist (id, dates, last 4 characters), not the keys: a write
        key is public on a website, but a viewer's read access is no way to collect them."""
        if role != Role.viewer:
            return self
        keys = [
            k.model_copy(update={"write_key": "wk_…" + k.write_key[-4:]}) for k in self.write_keys
        ]
        return self.model_copy(update={"write_keys": keys})


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: Role = Role.analyst


class ApiKeyPublic(BaseModel):
    key_id: str
    name: str
    role: Role
    prefix: str = Field(description="First characters of the secret, to recognise it.")
    created_at: datetime
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyPublic):
    secret_key: str = Field(description="Shown once; only its hash is stored.")
