"""`unicx init` asks for the personalization consent model and records it in unicx.toml."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from unicx.cli.main import app
from unicx.config import load_settings

runner = CliRunner()


def _recorded(ws: Path) -> bool:
    return bool(tomllib.loads((ws / "unicx.toml").read_text())["personalization_opt_in"])


def test_scripts_choose_with_a_flag_and_default_to_opt_in(tmp_path: Path) -> None:
    out = runner.invoke(app, ["init", "-w", str(tmp_path / "a"), "--consent-model", "opt-out"])
    assert out.exit_code == 0, out.output
    assert "opt-out" in out.output
    assert _recorded(tmp_path / "a") is False
    assert load_settings(workspace=tmp_path / "a").personalization_opt_in is False

    # No flag, no terminal (CliRunner's stdin is not a tty): the default, recorded and printed.
    out = runner.invoke(app, ["init", "-w", str(tmp_path / "b"), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["consent_model"] == "opt-in"
    assert _recorded(tmp_path / "b") is True

    bad = runner.invoke(app, ["init", "-w", str(tmp_path / "c"), "--consent-model", "maybe"])
    assert bad.exit_code != 0 and not (tmp_path / "c" / "unicx.db").exists()


def test_an_existing_unicx_toml_decides_and_a_contradiction_is_refused(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "unicx.toml").write_text("personalization_opt_in = false\n")
    refused = runner.invoke(app, ["init", "-w", str(ws), "--consent-model", "opt-in"])
    assert refused.exit_code != 0 and "already sets personalization_opt_in" in refused.output
    out = runner.invoke(app, ["init", "-w", str(ws), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["consent_model"] == "opt-out"
    assert (ws / "unicx.toml").read_text().count("personalization_opt_in") == 1


def _read_until(fd: int, text: str, timeout: float = 60.0) -> str:
    seen = b""
    deadline = time.monotonic() + timeout
    while text.encode() not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"no {text!r} in {seen.decode(errors='replace')!r}"
        if select.select([fd], [], [], left)[0]:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
    return seen.decode(errors="replace")


@pytest.mark.slow
def test_a_person_at_a_terminal_is_asked(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "unicx.cli.main", "init", "-w", str(ws)],
        stdin=follower, stdout=follower, stderr=follower, close_fds=True,
    )  # fmt: skip
    os.close(follower)
    try:
        asked = _read_until(leader, "[opt-in]: ")
        assert "Personalization consent model" in asked
        os.write(leader, b"maybe\n")  # not an answer: asked again
        _read_until(leader, "answer opt-in or opt-out")
        os.write(leader, b"opt-out\n")
        shown = _read_until(leader, "secret key")
        assert proc.wait(timeout=60) == 0, shown
    finally:
        os.close(leader)
        if proc.poll() is None:
            proc.kill()
    assert "opt-out" in shown
    assert _recorded(ws) is False
