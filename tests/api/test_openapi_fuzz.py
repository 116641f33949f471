"""Schemathesis over our own OpenAPI document, against a real server: no input yields a 500.

Cases cover every documented operation, ingest included (with a valid write key, so generated
bodies reach the validator rather than bouncing off auth).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.helpers import ServerProcess, basic, bearer
from unicx.api import create_app
from unicx.config import load_settings
from unicx.workspace import InitResult, init_workspace

_INGEST = (
    "/v1/track",
    "/v1/identify",
    "/v1/page",
    "/v1/screen",
    "/v1/group",
    "/v1/alias",
    "/v1/batch",
)


# Building the document needs only the routes, not a running app or a workspace.
schema = schemathesis.openapi.from_dict(create_app(load_settings()).openapi())


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, InitResult]]:
    """One server for the whole module: the cases only add events, never change keys."""
    path = tmp_path_factory.mktemp("fuzz") / "ws"
    keys = init_workspace(load_settings(workspace=path))
    proc = ServerProcess(path).start()
    yield proc, keys
    assert proc.stop() == 0


def test_served_document_is_the_one_fuzzed(live: tuple[ServerProcess, InitResult]) -> None:
    server, keys = live
    served = httpx.get(f"{server.url}/openapi.json", headers=bearer(keys.secret_key))
    assert served.json() == create_app(load_settings()).openapi()


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: Any, live: tuple[ServerProcess, InitResult]) -> None:
    server, keys = live
    auth = basic(keys.write_key) if case.path in _INGEST else bearer(keys.secret_key)
    response = case.call(base_url=server.url, headers=auth)
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, response.text
