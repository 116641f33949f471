"""`unicx journeys` on a workspace file (and once through a running server): the lifecycle,
validation that names every problem, simulation, stats after a real run, and bad files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tests.channels.test_sms_push import Recorder, recorder  # noqa: F401  (the fixture)
from tests.conftest import Workspace
from tests.helpers import ServerProcess
from tests.segments.fixture import build
from unicx.channels.outbox import Outbox
from unicx.cli.main import app
from unicx.clock import Clock
from unicx.config import CONFIG_FILENAME, load_settings
from unicx.journeys.worker import JourneyEngine
from unicx.segments.models import SegmentCreate
from unicx.segments.service import SegmentService
from unicx.workspace import open_store

runner = CliRunner()

# YAML 1.1 would read `no:` as false and 10:30 as 630: the CLI must read them as JSON would.
WELCOME = """
name: Welcome
entry: {type: event, event: Signed Up}
goal: {event: Order Completed, within: 7d}
start: wait
nodes:
  wait: {type: wait, until: {at: 10:30}, next: bought, stage: interest}
  bought:
    type: condition
    event_since_entry: {event: Order Completed}
    yes: done
    no: hello
  hello:
    type: message
    channel: in_app
    content: {title: "Chào {{ traits.first_name | default('bạn') }}", body: Ưu đãi 10%}
    next: done
  done: {type: exit}
"""

BROKEN = """
name: Broken
entry: {type: event, event: Signed Up}
start: check
nodes:
  check:
    type: condition
    condition: {has: email}
    yes: tag
    no: mail
  tag: {type: set_trait, trait: tagged, value: true, next: check}
  mail: {type: message, channel: emial, content: {subject: x, html: y}, next: done}
  done: {type: exit}
  orphan: {type: exit}
"""


def cli(ws: Path | str, *args: str) -> Result:
    return runner.invoke(app, [*args, "-w", str(ws)])


def ok_json(ws: Path | str, *args: str) -> Any:
    result = cli(ws, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_lifecycle(workspace: Workspace, tmp_path: Path) -> None:
    ws, file = workspace.path, write(tmp_path, "welcome.yaml", WELCOME)
    assert "valid Welcome: 4 nodes" in cli(ws, "journeys", "validate", str(file)).output
    created = cli(ws, "journeys", "create", str(file))
    assert created.exit_code == 0, created.output
    jid = created.stdout.strip()  # the id alone on stdout, for scripts
    assert jid.startswith("jrn_") and "\n" not in jid
    shown = ok_json(ws, "journeys", "show", "welcome")  # by name, any case
    assert shown["journey_id"] == jid and shown["status"] == "draft"
    nodes = shown["definition"]["nodes"]
    assert nodes["bought"]["no"] == "hello" and nodes["wait"]["until"]["at"] == "10:30"
    again = cli(ws, "journeys", "create", str(file))
    assert again.exit_code == 1 and "already exists" in again.output

    published = ok_json(ws, "journeys", "publish", jid)
    assert (published["status"], published["published_version"]) == ("published", 1)
    file.write_text(WELCOME.replace("Ưu đãi 10%", "Ưu đãi 20%"), encoding="utf-8")
    updated = cli(ws, "journeys", "update", jid, str(file))
    assert updated.exit_code == 0 and "version 2" in updated.output
    assert "new entrants get version 1" in updated.output
    assert ok_json(ws, "journeys", "publish", "Welcome")["published_version"] == 2
    assert ok_json(ws, "journeys", "pause", jid)["status"] == "paused"
    assert "published" in cli(ws, "journeys", "resume", jid).output
    moved = ok_json(ws, "journeys", "migrate", jid, "--from", "1")
    assert moved == {"moved": 0, "stayed": 0, "to_version": 2}
    missing = cli(ws, "journeys", "migrate", jid, "--from", "1", "--to", "9")
    assert missing.exit_code == 1 and "no version 9" in missing.output
    (listed,) = ok_json(ws, "journeys", "list")
    assert (listed["name"], listed["latest_version"], listed["entered"]) == ("Welcome", 2, 0)
    table = cli(ws, "journeys", "list")
    assert jid in table.output  # the id is never cut short in the table
    assert ok_json(ws, "journeys", "archive", jid)["status"] == "archived"
    refused = cli(ws, "journeys", "pause", jid)
    assert refused.exit_code == 1 and "journey is archived" in refused.output
    assert "Traceback" not in refused.output
    gone = cli(ws, "journeys", "show", "jrn_nope")
    assert gone.exit_code == 1 and "no journey 'jrn_nope'" in gone.output


def test_validate_names_every_problem(workspace: Workspace, tmp_path: Path) -> None:
    file = write(tmp_path, "broken.yaml", BROKEN)
    result = cli(workspace.path, "journeys", "validate", str(file))
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.output.splitlines()
    cycle = next(line for line in lines if "cycle without a wait" in line)
    assert "node check" in cycle and "check → tag → check" in cycle
    channel = next(line for line in lines if "unknown channel" in line)
    assert "node mail" in channel and "nodes.mail.channel" in channel and "'email'" in channel
    assert any("node orphan" in line and "cannot be reached" in line for line in lines)
    as_json = cli(workspace.path, "journeys", "validate", str(file), "--json")
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    assert data["valid"] is False
    rules = {i["field"]: i["rule"] for i in data["issues"]}
    assert rules["nodes.mail.channel"] == "unknown_channel"
    assert rules["nodes.check"] == "cycle_without_wait"
    assert rules["nodes.orphan"] == "unreachable"
    # Nothing was saved by validating, and create refuses the same file.
    refused = cli(workspace.path, "journeys", "create", str(file))
    assert refused.exit_code == 1 and "unknown channel" in refused.output
    assert ok_json(workspace.path, "journeys", "list") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: [unclosed\n", "not valid YAML/JSON"),
        ("", "expected a journey definition"),
        ("- a\n- b\n", "expected a journey definition"),
        ("a: &a [1, 2]\nb: [*a, *a]\n", "aliases"),
        ("name: !!binary aGVsbG8=\n", "JSON cannot"),
        ("name: x\nstart: a\nnodes: {a: {type: wait, for: 0d, next: a}}\n", "longer than zero"),
        ('{"name": "x",', "not valid YAML/JSON"),
    ],
)
def test_bad_files(workspace: Workspace, tmp_path: Path, text: str, message: str) -> None:
    file = write(tmp_path, "bad.yaml", text)
    for command in ("validate", "create", "simulate"):
        result = cli(workspace.path, "journeys", command, str(file))
        assert result.exit_code == 1, (command, result.output)
        assert message in result.output.replace("\n", " "), (command, result.output)
        assert "Traceback" not in result.output


def test_bad_json_file_and_missing_files(workspace: Workspace, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.json", '{"name": NaN}')
    result = cli(workspace.path, "journeys", "validate", str(bad))
    assert result.exit_code == 1 and "bad.json" in result.output
    for args in (("create", "nope.yaml"), ("validate", "nope.json"), ("update", "x", "nope.yml")):
        missing = cli(workspace.path, "journeys", *args)
        assert missing.exit_code == 2 and "does not exist" in missing.output
    sim = cli(workspace.path, "journeys", "simulate", str(tmp_path / "nope.yaml"))
    assert sim.exit_code == 1 and "no file" in sim.output
    no_ws = cli(tmp_path / "elsewhere", "journeys", "list")
    assert no_ws.exit_code == 1 and "no workspace" in no_ws.output


def test_simulate(workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A fixed start (10:31 in Ho Chi Minh City): how many buy before the 10:30 wait ends
    # depends on the hour the simulation starts, and must not depend on when CI runs.
    start = datetime(2026, 3, 2, 3, 31, tzinfo=UTC)
    monkeypatch.setattr("unicx.cli.journeys._now", lambda: start)
    ws, file = workspace.path, write(tmp_path, "welcome.yaml", WELCOME)
    args = ["journeys", "simulate", str(file), "--generated", "--people", "400", "--days", "10"]
    args += ["--event", "Order Completed=0.5", "--seed", "3"]
    data = ok_json(ws, *args)
    assert ok_json(ws, *args) == data  # same seed, same answer
    assert data["people"] == 400 and data["in_progress"] == 0
    assert data["exits"] == {"completed": 400}
    bought = data["nodes"]["bought"]["outcomes"]
    # The event comes at a uniform time over 10 days, the wait ends at the first 10:30.
    assert bought["yes"] + bought["no"] == 400 and 0 < bought["yes"] < 60
    assert data["messages"] == {"in_app": bought["no"]}
    assert data["converted"] >= bought["yes"]
    other = ok_json(ws, *args[:-1], "4")
    assert other["nodes"]["bought"] != data["nodes"]["bought"]
    human = cli(ws, *args)
    assert "400 people over 10 days" in human.output and "nothing was sent" in human.output
    # A saved journey by name; the real workspace has no profiles, so nobody is sampled.
    jid = cli(ws, "journeys", "create", str(file)).stdout.strip()
    assert ok_json(ws, "journeys", "simulate", "Welcome")["people"] == 0
    assert ok_json(ws, "journeys", "simulate", jid, "--generated", "--people", "5")["people"] == 5
    assert ok_json(ws, "messaging", "messages") == []  # nothing was sent or queued
    for bad, message in ((["--event", "Order Completed"], "NAME=RATE"),
                         (["--event", "x=2"], "between 0 and 1"),
                         (["--people", "0"], "--people")):  # fmt: skip
        result = cli(ws, "journeys", "simulate", str(file), *bad)
        assert result.exit_code in (1, 2) and message in result.output, result.output
    unknown = cli(ws, "journeys", "simulate", "No such journey")
    assert unknown.exit_code == 1 and "no journey" in unknown.output


HOOK = """
name: Welcome hook
entry: {type: segment, segment: Reachable}
goal: {event: Order Completed, within: 7d}
start: hook
nodes:
  hook: {type: webhook, url: "URL", next: done, stage: interest}
  done: {type: exit}
"""


@dataclass
class Ran:
    """A journey that really ran on the workspace: three people through a webhook node whose
    receiver answered 503, so their messages are dead."""

    workspace: Workspace
    journey_id: str
    recorder: Recorder

    def step(self) -> None:
        """One engine tick and one dispatch, as the server's threads would do them."""
        settings = load_settings(workspace=self.workspace.path)  # with its unicx.toml
        store = open_store(settings)
        try:
            clock = Clock()
            JourneyEngine(store, settings, clock).tick()
            Outbox(store, settings, clock).dispatch()
        finally:
            store.close()


@pytest.fixture
def ran(
    workspace: Workspace,
    tmp_path: Path,
    recorder: Recorder,  # noqa: F811 (the fixture)
) -> Iterator[Ran]:
    store = open_store(workspace.settings)
    try:
        build(store, workspace.settings)
        body = SegmentCreate(name="Reachable", definition={"has": "email"})
        SegmentService(store, workspace.settings).create(body)
    finally:
        store.close()
    ws = workspace.path
    # The receiver listens on loopback: the CLI and the dispatch read this allow-list.
    (ws / CONFIG_FILENAME).write_text('outbound_allow = ["127.0.0.1"]\n')
    hook = write(tmp_path, "hook.json", json.dumps({"signing_secret": "s" * 32, "max_attempts": 1}))
    assert cli(ws, "messaging", "channel-set", "webhook", str(hook)).exit_code == 0
    file = write(tmp_path, "hook.yaml", HOOK.replace("URL", recorder.url))
    jid = cli(ws, "journeys", "create", str(file)).stdout.strip()
    assert cli(ws, "journeys", "publish", jid).exit_code == 0
    recorder.answer((503, b"{}", 0.0))
    done = Ran(workspace, jid, recorder)
    done.step()
    assert len(recorder.seen) == 3
    yield done


def test_stats_after_a_real_run(ran: Ran) -> None:
    ws = ran.workspace.path
    data = ok_json(ws, "journeys", "stats", "Welcome hook")
    assert (data["entered"], data["in_progress"], data["holdout"]) == (3, 0, 0)
    assert data["exits"] == {"completed": 3}
    assert data["messages"] == {"webhook": {"dead": 3}}
    assert data["nodes"]["hook"]["visits"] == 3
    assert data["stages"] == [{"stage": "interest", "people": 3, "converted": 0}]
    assert data["goal"]["messaged"] == {"people": 3, "converted": 0, "rate": 0.0}
    assert data["goal"]["uplift"] is None
    human = cli(ws, "journeys", "stats", ran.journey_id)
    assert human.exit_code == 0, human.output
    out = human.output
    assert "3 entered, 0 in progress" in out and "exits: completed 3" in out
    assert "webhook messages: dead 3" in out and "messaged 0/3 (0.0%)" in out
    assert "stage interest: 3 people" in out
    (listed,) = ok_json(ws, "journeys", "list")
    assert (listed["entered"], listed["in_progress"]) == (3, 0)
    missing = cli(ws, "journeys", "stats", "nope")
    assert missing.exit_code == 1 and "no journey" in missing.output


def test_through_a_running_server(workspace: Workspace, tmp_path: Path) -> None:
    ws = workspace.path
    good, bad = write(tmp_path, "w.yaml", WELCOME), write(tmp_path, "b.yaml", BROKEN)
    server = ServerProcess(ws).start(timeout=90)  # a loaded machine imports slowly
    try:
        jid = cli(ws, "journeys", "create", str(good)).stdout.strip()
        assert jid.startswith("jrn_")
        assert ok_json(ws, "journeys", "publish", "Welcome")["status"] == "published"
        (listed,) = ok_json(ws, "journeys", "list")
        assert (listed["journey_id"], listed["status"]) == (jid, "published")
        # Each issue survives the trip through the API, with its node.
        refused = cli(ws, "journeys", "validate", str(bad))
        assert refused.exit_code == 1
        assert "node mail" in refused.output and "node orphan" in refused.output
        sim = ok_json(ws, "journeys", "simulate", jid, "--generated", "--people", "50")
        assert sim["people"] == 50 and sim["exits"] == {"completed": 50}
        stats = ok_json(ws, "journeys", "stats", "Welcome")
        assert stats["journey_id"] == jid and stats["entered"] == 0
        channels = ok_json(ws, "messaging", "channels")
        assert "webhook" in {c["name"] for c in channels}
        gone = cli(ws, "journeys", "pause", "nope")
        assert gone.exit_code == 1 and "no journey" in gone.output
    finally:
        server.stop()
