"""Test helpers: a real `unicx serve` subprocess on a free loopback port."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# Stand-ins for providers (SMTP server, SMS gateway, webhook receiver) listen on loopback, which
# the outbound guard refuses by default (unicx.channels.outbound): the fixtures that start one
# allow exactly this address, nothing else.
LOOPBACK = ["127.0.0.1"]
LOOPBACK_ENV = {"UNICX_OUTBOUND_ALLOW": '["127.0.0.1"]'}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def basic(write_key: str) -> dict[str, str]:
    token = base64.b64encode(f"{write_key}:".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def eventually(predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll ``predicate`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def quiet_hours_off(client: httpx.Client, secret: str) -> None:
    """Turn the default quiet hours off for a test that sends marketing messages on the wall
    clock (or one moved a little): run in the Vietnamese evening, it would wait for the
    morning. Quiet hours have their own tests (tests/channels/test_policy.py)."""
    admin = bearer(secret)
    r = client.get("/v1/messaging/policy", headers=admin)
    assert r.status_code == 200, r.text
    r = client.put(
        "/v1/messaging/policy", headers=admin, json={"policy": {**r.json(), "quiet_hours": None}}
    )
    assert r.status_code == 200, r.text


@dataclass
class ServerProcess:
    """`unicx serve` as a child process, so tests can SIGTERM or SIGKILL it."""

    workspace: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    env: dict[str, str] = field(default_factory=dict)  # UNICX_* settings for this server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # Generous: start-up (imports, migrations, the serving index) is seconds on a quiet machine
    # but was seen past 30 s on a loaded 2-core one; only a server that never answers fails.
    def start(self, timeout: float = 120.0) -> ServerProcess:
        self.log_path = self.workspace.parent / f"server-{self.port}.log"
        log = self.log_path.open("ab")
        cmd = [
            sys.executable,
            "-m",
            "unicx.cli.main",
            "serve",
            "--workspace",
            str(self.workspace),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        env = {**os.environ, "UNICX_LOG_LEVEL": "WARNING", **self.env}
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}: {self.log()}")
            try:
                # Any answer (401 without a key) means the app is up and routing.
                if httpx.get(f"{self.url}/v1/me", timeout=1).status_code == 401:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.kill()  # never leave a server behind a failed test
        raise RuntimeError(f"server did not start: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        self.proc = None
        return code

    def kill(self) -> None:
        self.stop(signal.SIGKILL)
