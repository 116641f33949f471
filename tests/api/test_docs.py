"""The API documentation is served offline (no CDN) to a browser that logs in with Basic."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient

from tests.conftest import Workspace


def _browser_login(secret: str) -> dict[str, str]:
    # What a browser sends after its Basic prompt: any user name, the secret key as password.
    return {"Authorization": "Basic " + base64.b64encode(f"me:{secret}".encode()).decode()}


def test_swagger_ui_and_its_assets_are_local(client: TestClient, workspace: Workspace) -> None:
    auth = _browser_login(workspace.secret_key)
    page = client.get("/docs", headers=auth)
    assert page.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing off-box
    js = client.get("/docs/assets/swagger-ui-bundle.js", headers=auth)
    assert js.status_code == 200 and len(js.content) > 100_000
    spec = client.get("/openapi.json", headers=auth).json()
    assert {"/v1/track", "/v1/batch", "/v1/events", "/v1/sources", "/v1/keys"} <= set(spec["paths"])
    assert spec["paths"]["/v1/track"]["post"]["security"] == [{"writeKey": []}]
    assert "SegmentMessage" in spec["components"]["schemas"]
