"""`unicx segments` locally and through a running server, YAML files, and the templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import ServerProcess
from tests.segments.fixture import NOW, build, members
from unicx.cli.main import app
from unicx.segments.service import SegmentService
from unicx.segments.templates import TEMPLATES, create_from_template
from unicx.store import Store
from unicx.workspace import open_store

runner = CliRunner()
REACHABLE = """
name: Reachable
description: People we can e-mail
definition:
  all:
    - has: email
    - consent: email
"""


def _built(workspace: Workspace) -> None:
    store = open_store(workspace.settings)
    build(store, workspace.settings)
    store.close()


def test_cli_locally(workspace: Workspace, tmp_path: Path) -> None:
    _built(workspace)
    ws = str(workspace.path)
    file = tmp_path / "reachable.yaml"
    file.write_text(REACHABLE)
    applied = runner.invoke(app, ["segments", "apply", str(file), "-w", ws])
    assert applied.exit_code == 0, applied.output
    file.write_text(REACHABLE.replace("    - consent: email\n", ""))
    again = runner.invoke(app, ["segments", "apply", str(tmp_path), "-w", ws])
    assert again.exit_code == 0 and "version 2, 3" in again.output, again.output
    listed = json.loads(runner.invoke(app, ["segments", "list", "--json", "-w", ws]).stdout)
    assert [(s["name"], s["size"]) for s in listed] == [("Reachable", 3)]
    page = runner.invoke(
        app, ["segments", "members", "Reachable", "--traits", "plan", "--json", "-w", ws]
    )
    assert [m["profile_id"] for m in json.loads(page.stdout)["members"]] == ["pa", "pb", "pc"]
    preview = runner.invoke(app, ["segments", "preview", str(file), "--json", "-w", ws])
    assert json.loads(preview.stdout)["count"] == 3
    out = tmp_path / "ads.csv"
    exported = runner.invoke(
        app, ["segments", "export", "Reachable", "--format", "hashed", "-o", str(out), "-w", ws]
    )
    assert exported.exit_code == 0 and len(out.read_text().splitlines()) == 4
    refreshed = runner.invoke(app, ["segments", "refresh", "--json", "-w", ws])
    assert json.loads(refreshed.stdout)["entered"] == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("definition:\n  all: []\n", "definition.all"),
        ("definition: {trait: revenu, op: gt, value: 1}\n", "did you mean 'revenue'"),
        ("a: &a [1, 2]\nb: [*a, *a]\n", "aliases"),
        ("definition: [unclosed\n", "not valid YAML"),
    ],
)
def test_cli_rejects_bad_files(
    workspace: Workspace, tmp_path: Path, text: str, message: str
) -> None:
    _built(workspace)
    file = tmp_path / "bad.yaml"
    file.write_text(text)
    result = runner.invoke(app, ["segments", "validate", str(file), "-w", str(workspace.path)])
    assert result.exit_code == 1
    assert message in result.output.replace("\n", " ")


def test_cli_through_running_server(workspace: Workspace, tmp_path: Path) -> None:
    _built(workspace)
    file = tmp_path / "reachable.yaml"
    file.write_text(REACHABLE)
    ws = str(workspace.path)
    server = ServerProcess(workspace.path).start()
    try:
        assert runner.invoke(app, ["segments", "apply", str(file), "-w", ws]).exit_code == 0
        listed = json.loads(runner.invoke(app, ["segments", "list", "--json", "-w", ws]).stdout)
        assert [(s["name"], s["size"]) for s in listed] == [("Reachable", 1)]
        made = runner.invoke(
            app, ["segments", "templates", "--create", "one_time_buyers", "-w", ws]
        )
        assert made.exit_code == 0 and "One-time buyers" in made.output, made.output
        out = tmp_path / "m.parquet"
        exported = runner.invoke(
            app,
            ["segments", "export", "Reachable", "--format", "parquet", "-o", str(out), "-w", ws],
        )
        assert exported.exit_code == 0 and out.stat().st_size > 0
    finally:
        server.stop()


# Expected by hand from fixture.py at NOW (revenue: alice 6M, chi 6M, em 1M, bob 0.5M; chi's
# second order is worth 0 so it does not count).
EXPECTED = {
    "high_value": {"pa", "pc"},
    "new_customers": {"pa", "pc"},
    "one_time_buyers": {"pb", "pc", "pe"},
    "cart_abandoners": {"pb"},
    "dormant_subscribers": set(),
    # sku-whisky first appeared 40 d ago in em's order; beer and sake 4 d ago (alice, then chi).
    "receptive_to_new": {"pa", "pc", "pe"},
}


def test_templates(workspace: Workspace) -> None:
    store: Store = open_store(workspace.settings)
    build(store, workspace.settings)
    service = SegmentService(store, workspace.settings)
    try:
        for t in TEMPLATES:
            segment = create_from_template(service, t.key, now=NOW)
            assert segment.kind == "template" and segment.name == t.title
            if t.key in EXPECTED:
                assert members(store, segment.segment_id) == EXPECTED[t.key], t.key
    finally:
        store.close()


def test_delete_by_name(workspace: Workspace, tmp_path: Path) -> None:
    """`segments delete <name>` retires the segment (it used to report success and keep it),
    and a segment referenced by another is refused by name as by id."""
    _built(workspace)
    ws = str(workspace.path)
    file = tmp_path / "reachable.yaml"
    file.write_text(REACHABLE)
    users = tmp_path / "users.yaml"
    users.write_text("name: Uses reachable\ndefinition: {segment: Reachable}\n")
    for f in (file, users):
        assert runner.invoke(app, ["segments", "apply", str(f), "-w", ws]).exit_code == 0
    refused = runner.invoke(app, ["segments", "delete", "Reachable", "-w", ws])
    assert refused.exit_code == 1 and "used by segment 'Uses reachable'" in refused.output
    for name in ("uses reachable", "Reachable"):  # names match case-insensitively
        deleted = runner.invoke(app, ["segments", "delete", name, "-w", ws])
        assert deleted.exit_code == 0, deleted.output
    listed = json.loads(runner.invoke(app, ["segments", "list", "--json", "-w", ws]).stdout)
    assert listed == []
    store = open_store(workspace.settings)
    try:
        with store.session() as s:
            left = s.fetchone("SELECT count(*) FROM segment_members", step="test.members")
        assert left == (0,)
    finally:
        store.close()
    gone = runner.invoke(app, ["segments", "delete", "Reachable", "-w", ws])
    assert gone.exit_code == 1 and "no segment" in gone.output
