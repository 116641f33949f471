"""A segment that a journey, an offer or an audience sync uses cannot vanish silently: the
delete is refused with 409 naming them, unless forced (API ``?force=true``, CLI ``--force``),
which reports them. Real server, marketer key (the lowest role that deletes segments)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import ServerProcess, bearer
from unicx.cli.main import app

pytestmark = pytest.mark.slow
HAS_EMAIL = {"has": "email"}
JOURNEY = {
    "name": "Chào VIP",
    "entry": {"type": "segment", "segment": "Khách VIP"},
    "start": "done",
    "nodes": {"done": {"type": "exit"}},
}
OFFER = {"name": "Banner VIP", "placement": "homepage_banner", "channel": "web",
         "template": "Chào bạn", "eligibility": {"segment": "Khách VIP"}}  # fmt: skip
AUDIENCE = {"name": "VIP Meta", "segment": "Khách VIP", "destination": "meta_custom_audience"}


def _post(server: ServerProcess, key: dict[str, str], path: str, body: Any) -> dict[str, Any]:
    res = httpx.post(f"{server.url}{path}", headers=key, json=body)
    assert res.status_code in (200, 201), res.text
    answer: dict[str, Any] = res.json()
    return answer


def _marketer(server: ServerProcess, ws: Workspace) -> dict[str, str]:
    made = _post(server, bearer(ws.secret_key), "/v1/keys", {"name": "m", "role": "marketer"})
    return bearer(made["secret_key"])


def _segment(server: ServerProcess, key: dict[str, str], name: str) -> str:
    made = _post(server, key, "/v1/segments", {"name": name, "definition": HAS_EMAIL})
    return str(made["segment_id"])


def test_delete_in_use_is_refused_unless_forced(
    server: ServerProcess, workspace: Workspace
) -> None:
    marketer = _marketer(server, workspace)
    sid = _segment(server, marketer, "Khách VIP")
    _post(server, marketer, "/v1/journeys", {"definition": JOURNEY})
    _post(server, marketer, "/v1/offers", OFFER)
    _post(server, marketer, "/v1/audiences", AUDIENCE)
    url = f"{server.url}/v1/segments/{sid}"
    refused = httpx.delete(url, headers=marketer)
    assert refused.status_code == 409, refused.text
    message = refused.json()["message"]
    for name in ("Chào VIP", "Banner VIP", "VIP Meta"):
        assert name in message, message
    assert httpx.get(url, headers=marketer).status_code == 200  # still there
    forced = httpx.delete(url, headers=marketer, params={"force": "true"})
    assert forced.status_code == 200, forced.text
    used = {(u["kind"], u["name"]) for u in forced.json()["used_by"]}
    assert used == {("journey", "Chào VIP"), ("offer", "Banner VIP"), ("audience", "VIP Meta")}
    assert httpx.get(url, headers=marketer).status_code == 404


def test_unused_segment_deletes_and_segment_refs_always_block(
    server: ServerProcess, workspace: Workspace
) -> None:
    marketer = _marketer(server, workspace)
    base = _segment(server, marketer, "Base")
    _post(server, marketer, "/v1/segments", {"name": "On top", "definition": {"segment": "Base"}})
    url = f"{server.url}/v1/segments/{base}"
    for params in ({}, {"force": "true"}):  # the other segment would stop compiling
        res = httpx.delete(url, headers=marketer, params=params)
        assert res.status_code == 409 and "On top" in res.json()["message"], res.text
    lone = _segment(server, marketer, "Lone")
    assert httpx.delete(f"{server.url}/v1/segments/{lone}", headers=marketer).status_code == 204


def test_cli_force_reports_users(workspace: Workspace) -> None:
    ws = str(workspace.path)
    runner = CliRunner()
    server = ServerProcess(workspace.path).start()
    try:
        marketer = _marketer(server, workspace)
        _segment(server, marketer, "Khách VIP")
        _post(server, marketer, "/v1/audiences", AUDIENCE)
    finally:
        server.stop()
    refused = runner.invoke(app, ["segments", "delete", "Khách VIP", "-w", ws])
    assert refused.exit_code != 0 and "VIP Meta" in refused.output, refused.output
    forced = runner.invoke(app, ["segments", "delete", "Khách VIP", "--force", "-w", ws])
    assert forced.exit_code == 0, forced.output
    assert "audience VIP Meta" in forced.output and "deleted" in forced.output
