"""`unicx messaging` on a workspace file: channel configs (secrets never shown), the policy,
the message log, dead letters and replaying one after a real journey run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.channels.test_sms_push import recorder  # noqa: F401  (fixture of `ran`)
from tests.cli.test_journeys_cli import Ran, cli, ok_json, ran, write  # noqa: F401
from tests.conftest import Workspace

SMTP = """
config:
  host: smtp.example.vn
  port: 587
  security: starttls
  username: shop
  password: "hunter2-very-secret"
  from_address: shop@example.vn
"""


def test_channels_and_channel_set(workspace: Workspace, tmp_path: Path) -> None:
    ws = workspace.path
    channels = {c["name"]: c for c in ok_json(ws, "messaging", "channels")}
    assert {"email", "sms", "push", "webhook", "in_app"} <= set(channels)
    assert channels["email"]["required_parts"] == ["subject", "html"]
    assert channels["email"]["config"]["port"] == 25  # the defaults before any change
    saved = ok_json(ws, "messaging", "channel-set", "email", str(write(tmp_path, "e.yaml", SMTP)))
    assert saved["config"]["password"] == "***" and saved["config"]["port"] == 587
    listed = cli(ws, "messaging", "channels", "--json")
    assert (
        "hunter2" not in listed.output and "hunter2" not in cli(ws, "messaging", "channels").output
    )
    email = next(c for c in json.loads(listed.stdout) if c["name"] == "email")
    assert (email["config"]["host"], email["config"]["password"]) == ("smtp.example.vn", "***")
    human = cli(ws, "messaging", "channels")
    assert "host=smtp.example.vn" in human.output and "(text)" in human.output


@pytest.mark.parametrize(
    ("name", "text", "code", "message"),
    [
        ("emial", "host: x\n", 1, "unknown channel 'emial'"),
        ("email", "hots: x\n", 1, "config.hots"),
        ("email", "port: [unclosed\n", 1, "not valid YAML/JSON"),
        ("email", "- host\n", 1, "expected a channel config"),
        ("email", "port: 99999999\n", 1, "config.port"),
        ("webhook", "max_attempts: 0\n", 1, "config.max_attempts"),
    ],
)
def test_channel_set_refuses(
    workspace: Workspace, tmp_path: Path, name: str, text: str, code: int, message: str
) -> None:
    ws = workspace.path
    result = cli(ws, "messaging", "channel-set", name, str(write(tmp_path, "c.yaml", text)))
    assert result.exit_code == code and message in result.output, result.output
    assert "Traceback" not in result.output
    email = next(c for c in ok_json(ws, "messaging", "channels") if c["name"] == "email")
    assert email["config"]["host"] == "127.0.0.1"  # nothing was saved


def test_channel_set_missing_file(workspace: Workspace) -> None:
    result = cli(workspace.path, "messaging", "channel-set", "email", "no-such-file.yaml")
    assert result.exit_code == 2 and "does not exist" in result.output


POLICY = """
caps:
  - {channel: email, max: 1, per: 1d}
  - {channel: "*", max: 3, per: 7d}
quiet_hours: {start: "22:00", end: "07:30", channels: [email, sms]}
timezone: Asia/Bangkok
require_consent: true
"""


def test_policy(workspace: Workspace, tmp_path: Path) -> None:
    ws = workspace.path
    default = ok_json(ws, "messaging", "policy")
    assert default["timezone"] == "Asia/Ho_Chi_Minh" and default["require_consent"] is False
    result = cli(ws, "messaging", "policy-set", str(write(tmp_path, "p.yaml", POLICY)))
    assert result.exit_code == 0 and "email ≤ 1 per 1d" in result.output, result.output
    now = ok_json(ws, "messaging", "policy")
    assert (now["timezone"], now["require_consent"]) == ("Asia/Bangkok", True)
    assert now["quiet_hours"]["end"] == "07:30:00"
    assert [(c["channel"], c["max"], c["per"]) for c in now["caps"]] == [
        ("email", 1, "1d"),
        ("*", 3, "7d"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # The 5-a-week email cap can never apply under 2 messages a month in total.
        ("caps: [{channel: email, max: 5, per: 7d}, {channel: '*', max: 2, per: 30d}]\n",
         "policy.caps[0]: can never apply"),
        ("caps: [{channel: fax, max: 1, per: 1d}]\n", "unknown channel 'fax'"),
        ("caps: [{channel: sms, max: 1, per: 1s}]\n", "between 1 minute and 366 days"),
        ("timezone: Mars/Olympus\n", "unknown time zone"),
        ("quiet_hours: {start: '22:00', end: '22:00'}\n", "same time"),
        ("cap: []\n", "policy.cap"),
        ("caps: {\n", "not valid YAML/JSON"),
    ],
)  # fmt: skip
def test_policy_set_refuses(workspace: Workspace, tmp_path: Path, text: str, message: str) -> None:
    ws = workspace.path
    before = ok_json(ws, "messaging", "policy")
    result = cli(ws, "messaging", "policy-set", str(write(tmp_path, "p.yaml", text)))
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output
    assert ok_json(ws, "messaging", "policy") == before


def test_messages_dead_and_replay(ran: Ran) -> None:  # noqa: F811 (the fixture)
    ws = ran.workspace.path
    dead = ok_json(ws, "messaging", "dead")
    assert len(dead) == 3 and all("503" in (m["last_error"] or "") for m in dead)
    assert {m["address"] for m in dead} == {ran.recorder.url}
    assert ok_json(ws, "messaging", "dead", "--channel", "email") == []
    log = ok_json(ws, "messaging", "messages", "--journey", "Welcome hook", "--status", "dead")
    assert {m["message_id"] for m in log} == {m["message_id"] for m in dead}
    (alice,) = ok_json(ws, "messaging", "messages", "--profile", "pa")
    assert (alice["channel"], alice["status"], alice["journey_id"]) == (
        "webhook",
        "dead",
        ran.journey_id,
    )
    assert [h["status"] for h in alice["history"]] == ["dead"]
    assert ok_json(ws, "messaging", "messages", "--journey", "other") == []
    assert alice["message_id"] in cli(ws, "messaging", "messages").output
    assert alice["message_id"] in cli(ws, "messaging", "dead").output

    replayed = ok_json(ws, "messaging", "replay", alice["message_id"])
    assert (replayed["status"], replayed["previous_status"]) == ("queued", "dead")
    twice = cli(ws, "messaging", "replay", alice["message_id"])
    assert twice.exit_code == 1 and "only dead or failed" in twice.output
    unknown = cli(ws, "messaging", "replay", "msg_nope")
    assert unknown.exit_code == 1 and "no message 'msg_nope'" in unknown.output

    ran.recorder.answer((200, b"{}", 0.0))
    ran.step()
    (sent,) = ok_json(ws, "messaging", "messages", "--status", "sent")
    assert sent["message_id"] == alice["message_id"]
    assert [h["status"] for h in sent["history"]][:2] == ["dead", "replayed"]
    assert len(ok_json(ws, "messaging", "dead")) == 2
    assert len(ran.recorder.seen) == 4  # only the replayed message went out again
