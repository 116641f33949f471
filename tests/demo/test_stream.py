"""stream_demo_events against a real `unicx serve`: delivery, and clear errors when it fails."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from tests.helpers import ServerProcess, bearer, free_port
from unicx.config import Settings, load_settings
from unicx.demo import generate_events, stream
from unicx.demo.stream import DemoServerNotReadyError, DemoStreamError, stream_demo_events
from unicx.workspace import InitResult, init_workspace

pytestmark = pytest.mark.slow  # a real server process


@dataclass
class Running:
    server: ServerProcess
    keys: InitResult

    @property
    def settings(self) -> Settings:
        return load_settings(workspace=self.server.workspace, port=self.server.port)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One server for the module: starting one costs more than all these tests together."""
    path = tmp_path_factory.mktemp("stream") / "ws"
    keys = init_workspace(load_settings(workspace=path))
    server = ServerProcess(path).start()
    try:
        yield Running(server, keys)
    finally:
        server.stop()


def test_streams_every_event_and_prints_a_summary(running: Running) -> None:
    console = Console(record=True, width=120)
    sent = stream_demo_events(
        running.settings, write_key=running.keys.write_key, users=12, seed=3, console=console
    )
    generated = {e["messageId"] for e in generate_events(users=12, seed=3)}
    assert sent == len(generated)
    stored = httpx.get(
        f"{running.server.url}/v1/events",
        params={"limit": 1000},
        headers=bearer(running.keys.secret_key),
    ).json()
    assert generated <= {e["messageId"] for e in stored}
    assert f"demo stream sent {sent} events from 12 people" in console.export_text()


def test_a_rejected_event_is_named_in_the_error(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*, users: int, seed: int) -> Iterator[dict[str, Any]]:
        yield {"type": "track", "event": "Product Viewed", "anonymousId": "a1"}
        yield {"type": "track", "event": "Product Viewed"}  # neither userId nor anonymousId

    monkeypatch.setattr(stream, "generate_events", broken)
    with pytest.raises(DemoStreamError) as caught:
        stream_demo_events(
            running.settings,
            write_key=running.keys.write_key,
            users=1,
            seed=1,
            console=Console(quiet=True),
        )
    assert "event 1 batch[1].userId: user_or_anonymous_id" in caught.value.message


def test_a_wrong_write_key_is_reported(running: Running) -> None:
    with pytest.raises(DemoStreamError, match="401"):
        stream_demo_events(
            running.settings, write_key="wk_wrong", users=2, seed=1, console=Console(quiet=True)
        )


def test_no_server_times_out_clearly(tmp_path: Path) -> None:
    settings = load_settings(workspace=tmp_path, port=free_port())
    with pytest.raises(DemoServerNotReadyError, match="did not answer within"):
        stream_demo_events(
            settings,
            write_key="wk_x",
            users=1,
            seed=1,
            console=Console(quiet=True),
            ready_timeout=0.3,
        )
