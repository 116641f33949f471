"""The CLI's remote path: error answers of the server come back as the same UnicxError class
(a 503 stays retryable, a 400 keeps its field paths), and commands print them as they would
print the local error. The server is a stub transport; test_serve.py runs a real one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from unicx.cli import client as client_module
from unicx.cli.client import Client, Operation, RemoteClient, api
from unicx.cli.main import app
from unicx.config import Settings, load_settings
from unicx.errors import (
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
    ValidationError,
    WorkspaceLockedError,
)

runner = CliRunner()
Answer = Callable[[httpx.Request], httpx.Response]


def _remote(tmp_path: Path, answer: Answer) -> RemoteClient:
    http = httpx.Client(base_url="http://unicx.test", transport=httpx.MockTransport(answer))
    return RemoteClient(load_settings(workspace=tmp_path), http)


def _fails(status: int, body: dict[str, Any]) -> Answer:
    return lambda _: httpx.Response(status, json={"success": False, **body})


def _never(store: Any, settings: Settings) -> Any:
    raise AssertionError("the remote client must not run the local side")


OP = Operation(_never, api("GET", "/v1/segments"))


def test_a_503_overloaded_stays_retryable(tmp_path: Path) -> None:
    remote = _remote(tmp_path, _fails(503, {"error": "overloaded", "message": "busy"}))
    with pytest.raises(UnavailableError) as caught:
        remote.run(OP)
    assert caught.value.retryable
    assert (caught.value.code, caught.value.message) == ("overloaded", "busy")


def test_a_503_of_a_known_class_is_that_class(tmp_path: Path) -> None:
    body = {"error": "workspace_locked", "message": "locked"}
    with pytest.raises(WorkspaceLockedError) as caught:
        _remote(tmp_path, _fails(503, body)).run(OP)
    assert caught.value.retryable


def test_client_errors_keep_their_class(tmp_path: Path) -> None:
    with pytest.raises(PermissionDeniedError):
        _remote(tmp_path, _fails(403, {"error": "forbidden", "message": "no"})).run(OP)
    # Starlette's own 404 (an unknown path) is still a NotFoundError, with its code.
    with pytest.raises(NotFoundError) as caught:
        _remote(tmp_path, _fails(404, {"error": "http_error", "message": "Not Found"})).run(OP)
    assert caught.value.code == "http_error"
    # A proxy's HTML error page has no JSON body: its text is the message.
    with pytest.raises(UnavailableError, match="bad gateway"):
        _remote(tmp_path, lambda _: httpx.Response(503, text="bad gateway")).run(OP)


ISSUES = [
    {"field": "nodes.welcome.template", "rule": "required", "message": "a template is needed"},
    {"field": "nodes.bought.next", "rule": "unknown_node", "message": "no node 'gone'"},
]


def test_validation_issues_keep_their_paths(tmp_path: Path) -> None:
    body = {"error": "invalid", "message": "2 problems", "issues": ISSUES}
    with pytest.raises(ValidationError) as caught:
        _remote(tmp_path, _fails(400, body)).run(OP)
    assert [(i.field, i.rule) for i in caught.value.issues] == [
        ("nodes.welcome.template", "required"),
        ("nodes.bought.next", "unknown_node"),
    ]


@pytest.fixture
def through_stub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[str]]:
    """Every command's client is the stub server; yields the paths it was asked for."""
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(f"{request.method} {request.url.path}")
        body = {"error": "invalid", "message": "definition is invalid", "issues": ISSUES}
        return httpx.Response(400, json={"success": False, **body})

    @contextmanager
    def stub(settings: Settings) -> Iterator[Client]:
        yield _remote(tmp_path, answer)

    monkeypatch.setattr(client_module, "open_client", stub)
    yield asked


def test_a_server_validation_error_shows_its_field_paths(
    through_stub: list[str], tmp_path: Path
) -> None:
    definition = tmp_path / "j.yaml"
    definition.write_text("name: j\nnodes: {}\n", encoding="utf-8")
    res = runner.invoke(app, ["journeys", "create", str(definition), "-w", str(tmp_path)])
    assert res.exit_code == 1
    assert through_stub == ["POST /v1/journeys"]
    assert "definition is invalid" in res.output
    assert "nodes.welcome.template: a template is needed" in res.output
    assert "nodes.bought.next: no node 'gone'" in res.output
    res = runner.invoke(app, ["journeys", "validate", str(definition), "-w", str(tmp_path)])
    assert res.exit_code == 1
    assert "node welcome  nodes.welcome.template: a template is needed" in res.output


def test_the_workspace_store_is_used_when_no_server_holds_it(tmp_path: Path) -> None:
    runner.invoke(app, ["init", "-w", str(tmp_path), "--json"])
    with client_module.open_client(load_settings(workspace=tmp_path)) as client:
        assert not isinstance(client, RemoteClient)
        ran = client.run(Operation(lambda store, _: "local", api("GET", "/never")))
    assert ran == "local"
