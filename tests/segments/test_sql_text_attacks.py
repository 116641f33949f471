"""Text that reaches SQL outside custom traits: segment conditions (validate, preview) and the
report filters, tried with an analyst key against a real server. Every value is a bound
parameter and every name comes from a checked list, so hostile text matches literally or is
refused with 400; it never runs, never writes a file and never causes a 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Workspace
from tests.helpers import ServerProcess, basic, bearer

pytestmark = pytest.mark.slow


def _hostile(target: Path) -> list[str]:
    return [
        f"x'); COPY (SELECT key_hash FROM api_keys) TO '{target}'; --",
        f"x\"); COPY (SELECT 1) TO '{target}'; --",
        "' OR 1=1 --",
        "$now",
        "?",
        'main."api_keys"',
    ]


def _definitions(text: str) -> list[dict[str, Any]]:
    return [
        {"event": "Order Completed", "where": [{"property": "sku", "op": "eq", "value": text}]},
        {"event": text},
        {"trait": text, "op": "exists"},
        {"trait": "email", "op": "contains", "value": text},
        {"context": "city", "op": "in", "value": [text]},
        {"segment": text},
        {"event": "Order Completed", "where": [{"property": text, "op": "exists"}]},
    ]


def test_segment_and_report_text_never_runs(
    server: ServerProcess, workspace: Workspace, tmp_path: Path
) -> None:
    admin = bearer(workspace.secret_key)
    made = httpx.post(f"{server.url}/v1/keys", headers=admin, json={"name": "a", "role": "analyst"})
    analyst = bearer(made.json()["secret_key"])
    event = {"userId": "u1", "event": "Order Completed", "properties": {"sku": "A"},
             "context": {"traits": {"email": "an@example.vn"}}}  # fmt: skip
    assert httpx.post(f"{server.url}/v1/track", headers=basic(workspace.write_key), json=event)
    target = tmp_path / "leak.csv"
    for text in _hostile(target):
        for definition in _definitions(text):
            for route in ("/v1/segments/validate", "/v1/segments/preview"):
                res = httpx.post(
                    f"{server.url}{route}",
                    headers=analyst,
                    json={"definition": definition},
                    params={"strict": "false"},
                )
                assert res.status_code in (200, 400), (route, definition, res.text)
                if route.endswith("preview") and res.status_code == 200:
                    assert res.json()["count"] == 0, (definition, res.text)
        for report in ("geography", "products", "funnel"):
            res = httpx.get(
                f"{server.url}/v1/reports/{report}", headers=analyst, params={"segment": text}
            )
            assert res.status_code in (400, 404), (report, res.text)
    assert not target.exists()
    keys = httpx.get(f"{server.url}/v1/keys", headers=admin)
    assert keys.status_code == 200 and len(keys.json()) >= 2
