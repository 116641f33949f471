"""The configuration documents the official browser SDKs fetch before they send anything.

Segment's analytics.js (analytics-next) loads ``{cdn}/v1/projects/{writeKey}/settings`` and sends
to ``{protocol}://{apiHost}/{t|i|p|s|g|a}`` (one call) or ``.../b`` (a batch): so ``apiHost`` is
unicx's host *without* scheme but *with* ``/v1`` (as Segment's own ``api.segment.io/v1``).
The RudderStack JS SDK (v3) loads ``{configUrl}/sourceConfig/?p=…&v=…&writeKey=…`` and sends
to the data plane URL given to ``load()``; its config only has to name the source, enable it
and list no device-mode destinations. Both documents switch the SDKs' own telemetry (Segment's
``/m`` metrics, RudderStack's error and metrics reporting) off: nothing leaves for a vendor.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from unicx.auth.models import SourcePublic


class SegmentIoSettings(BaseModel):
    """The ``Segment.io`` integration: where analytics-next sends events."""

    apiKey: str = Field(description="The write key, sent back in every event body.")
    apiHost: str = Field(description="unicx's host and port plus /v1, without scheme.")
    protocol: str = Field(description="http or https.")
    unbundledIntegrations: list[str] = Field(default_factory=list)
    addBundledMetadata: bool = True
    maybeBundledConfigIds: dict[str, list[str]] = Field(default_factory=dict)


class SegmentIntegrations(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    segment_io: SegmentIoSettings = Field(alias="Segment.io")


class SegmentMetrics(BaseModel):
    """analytics-next's own usage metrics: never sampled, and pointed at unicx in any case."""

    sampleRate: float = 0.0
    host: str


class SegmentSettings(BaseModel):
    """What ``GET /v1/projects/{writeKey}/settings`` answers (Segment's CDN settings)."""

    integrations: SegmentIntegrations
    plan: dict[str, dict[str, object]] = Field(default_factory=dict)
    edgeFunction: dict[str, object] = Field(default_factory=dict)
    analyticsNextEnabled: bool = True
    middlewareSettings: dict[str, object] = Field(default_factory=dict)
    enabledMiddleware: dict[str, bool] = Field(default_factory=dict)
    metrics: SegmentMetrics
    legacyVideoPluginsEnabled: bool = False
    remotePlugins: list[object] = Field(default_factory=list)


def segment_settings(write_key: str, *, base_url: str) -> SegmentSettings:
    parts = urlsplit(base_url)
    api_host = f"{parts.netloc}{parts.path.rstrip('/')}/v1"
    integration = SegmentIoSettings(apiKey=write_key, apiHost=api_host, protocol=parts.scheme)
    return SegmentSettings(
        integrations=SegmentIntegrations(segment_io=integration),
        metrics=SegmentMetrics(host=api_host),
    )


class Toggle(BaseModel):
    enabled: bool = False


class StatsCollection(BaseModel):
    """RudderStack's error and metrics reporting (to its own servers): off."""

    errors: Toggle = Field(default_factory=Toggle)
    metrics: Toggle = Field(default_factory=Toggle)


class RudderSourceSettings(BaseModel):
    statsCollection: StatsCollection = Field(default_factory=StatsCollection)


class RudderSource(BaseModel):
    id: str
    name: str
    writeKey: str
    enabled: bool = True
    workspaceId: str = "unicx"
    config: RudderSourceSettings = Field(default_factory=RudderSourceSettings)
    destinations: list[object] = Field(
        default_factory=list, description="No device-mode destinations: unicx receives all."
    )


class RudderSourceConfig(BaseModel):
    """What ``GET /sourceConfig/`` answers (RudderStack's control-plane source config)."""

    isHosted: bool = False
    source: RudderSource


def rudder_source_config(source: SourcePublic, write_key: str) -> RudderSourceConfig:
    return RudderSourceConfig(
        source=RudderSource(id=source.source_id, name=source.name, writeKey=write_key)
    )
