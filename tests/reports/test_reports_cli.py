"""`unicx reports …` on the workspace file and through the server holding it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import ServerProcess
from tests.reports.data import load_shop
from unicx.cli.main import app
from unicx.workspace import open_store

runner = CliRunner()
JUNE = ["--from", "2024-06-01", "--to", "2024-07-01"]


@pytest.fixture
def ws(workspace: Workspace) -> str:
    store = open_store(workspace.settings)
    load_shop(store)
    store.close()
    return str(workspace.path)


def test_table_json_and_csv(ws: str, tmp_path: Path) -> None:
    table = runner.invoke(app, ["reports", "geography", *JUNE, "-w", ws], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "active users" in table.output and "Singapore" in table.output
    assert "50.0%" in table.output  # Vietnam's conversion
    as_json = runner.invoke(app, ["reports", "funnel", *JUNE, "--json", "-w", ws])
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.stdout)
    assert body["params"]["from"] == "2024-06-01"
    assert [r["people"] for r in body["rows"]] == [5, 3, 2, 2, 1]
    out = tmp_path / "aff.csv"
    saved = runner.invoke(
        app, ["reports", "affinity", *JUNE, "--min-count", "1", "--csv", str(out), "-w", ws]
    )
    assert saved.exit_code == 0, saved.output
    assert out.read_text().splitlines()[1].startswith("sake,,wine,,2,1,1,")
    cohorts = runner.invoke(
        app, ["reports", "cohorts", "--from", "2024-05-01", *JUNE[2:], "--periods", "2", "-w", ws]
    )
    assert cohorts.exit_code == 0 and "2024-05-01" in cohorts.output, cohorts.output


def test_bad_options_are_one_line_errors(ws: str) -> None:
    for args, message in [
        (["geography", "--from", "2024-13-01"], "from: expected YYYY-MM-DD"),
        (["products", *JUNE, "--level", "sku"], "level: must be one of category, product"),
        (["funnel", "--from", "2024-07-01", "--to", "2024-06-01"], "from: from (2024-07-01)"),
        (["geography", *JUNE, "--segment", "nope"], "segment: no active segment"),
    ]:
        result = runner.invoke(app, ["reports", *args, "-w", ws])
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_through_a_running_server(workspace: Workspace) -> None:
    store = open_store(workspace.settings)
    load_shop(store)
    store.close()
    server = ServerProcess(workspace.path).start()
    try:
        ws = str(workspace.path)
        result = runner.invoke(
            app, ["reports", "products", *JUNE, "--level", "product", "--json", "-w", ws]
        )
        assert result.exit_code == 0, result.output
        assert [r["item"] for r in json.loads(result.stdout)["rows"]] == ["S1", "B1", "W1"]
        missing = runner.invoke(app, ["reports", "cohorts", "--segment", "nope", "-w", ws])
        assert missing.exit_code == 1 and "no active segment" in missing.output
    finally:
        server.stop()
