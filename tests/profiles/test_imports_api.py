"""Imports over HTTP (POST /v1/imports) and from the command line, with or without a server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import ServerProcess, bearer
from tests.profiles.imports_data import ORDERS, ORDERS_HEADER, count, events, write_csv
from unicx.api import create_app
from unicx.cli.main import app as cli
from unicx.workspace import open_store

runner = CliRunner()
ORDER_MAP = ",".join(f"{c}={c}" for c in ORDERS_HEADER)


def _csv_bytes(tmp_path: Path) -> bytes:
    return write_csv(tmp_path / "o.csv", ORDERS_HEADER, ORDERS).read_bytes()


def test_upload_imports_and_lists(client: TestClient, workspace: Workspace, tmp_path: Path) -> None:
    auth = bearer(workspace.secret_key)
    res = client.post(
        "/v1/imports",
        headers=auth,
        data={"kind": "orders", "mapping": ORDER_MAP},
        files={"file": ("../../..\\evil orders.csv", _csv_bytes(tmp_path), "text/csv")},
    )
    assert res.status_code == 200, res.text
    report = res.json()
    assert (report["kind"], report["accepted"], report["events_written"]) == ("orders", 4, 4)
    assert report["file_name"] == "evil_orders.csv" and report["actor"].startswith("api:")
    store = client.app.state.ctx.store  # type: ignore[attr-defined]
    assert len(events(store)) == 4
    # The upload was kept inside the workspace and removed after the import.
    assert not list((workspace.path / "imports").glob("upload_*"))
    assert not list(workspace.path.parent.parent.rglob("evil*"))
    listed = client.get("/v1/imports", headers=auth).json()
    assert [i["import_id"] for i in listed] == [report["import_id"]]
    one = client.get(f"/v1/imports/{report['import_id']}", headers=auth)
    assert one.status_code == 200 and one.json()["accepted"] == 4
    assert client.get("/v1/imports/imp_nope", headers=auth).status_code == 404
    again = client.post(
        "/v1/imports",
        headers=auth,
        data={
            "kind": "orders",
            "mapping": json.dumps(dict(p.split("=") for p in ORDER_MAP.split(","))),
        },
        files={"file": ("orders.csv", _csv_bytes(tmp_path), "text/csv")},
    )
    assert again.json()["already_imported"] == 4 and again.json()["events_written"] == 0


def test_upload_bad_requests(client: TestClient, workspace: Workspace, tmp_path: Path) -> None:
    auth = bearer(workspace.secret_key)
    files = {"file": ("o.csv", _csv_bytes(tmp_path), "text/csv")}
    cases = [
        ({"kind": "customers"}, files, 400, "kind"),
        ({"kind": "orders", "mapping": "{not json"}, files, 400, "mapping"),
        ({"kind": "orders", "mapping": "sku=nope"}, files, 400, "not in the file"),
        ({"kind": "orders", "max_errors": "-1"}, files, 400, "whole number"),
        ({"kind": "orders", "colour": "red"}, files, 400, "unknown form field"),
        ({}, {"kind": (None, "orders")}, 400, "file part"),  # multipart, but no file
        (
            {"kind": "profiles"},
            {"file": ("x.bin", bytes(range(256)) * 8, "application/octet-stream")},
            400,
            "binary",
        ),
    ]
    for data, upload, status, text in cases:
        res = client.post("/v1/imports", headers=auth, data=data, files=upload)
        assert res.status_code == status, (data, res.text)
        assert text in res.text, res.text
    res = client.post("/v1/imports", headers=auth, json={"kind": "orders"})
    assert res.status_code == 415
    assert client.post("/v1/imports", data={"kind": "orders"}, files=files).status_code == 401
    assert count(client.app.state.ctx.store, "events") == 0  # type: ignore[attr-defined]


def test_upload_over_the_limit_is_413(workspace: Workspace, tmp_path: Path) -> None:
    settings = workspace.settings.model_copy(update={"import_max_bytes": 4096})
    with TestClient(create_app(settings)) as small:
        big = b"email\n" + b"a@example.vn\n" * 2000
        res = small.post(
            "/v1/imports",
            headers=bearer(workspace.secret_key),
            data={"kind": "profiles"},
            files={"file": ("crm.csv", big, "text/csv")},
        )
        assert res.status_code == 413, res.text
        assert "import_max_bytes" in res.json()["message"]
        huge = small.post(  # refused on its Content-Length, before reading the body
            "/v1/imports",
            headers=bearer(workspace.secret_key),
            data={"kind": "profiles"},
            files={"file": ("crm.csv", big * 10, "text/csv")},
        )
        assert huge.status_code == 413, huge.text
        assert count(small.app.state.ctx.store, "events") == 0  # type: ignore[attr-defined]


def test_cli_import_on_a_closed_workspace(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", ORDERS_HEADER, ORDERS)
    ws = ["--workspace", str(workspace.path)]
    res = runner.invoke(cli, ["import", "orders", str(path), *ws, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["events_written"] == 4
    human = runner.invoke(cli, ["import", "orders", str(path), *ws])
    assert human.exit_code == 0, human.output
    assert "already imported before" in human.output
    listed = runner.invoke(cli, ["import", "list", *ws, "--json"])
    assert len(json.loads(listed.stdout)) == 2
    bad = runner.invoke(cli, ["import", "orders", str(path), *ws, "--map", "sku=Nope"])
    assert bad.exit_code == 1 and "not in the file" in bad.output
    missing = runner.invoke(cli, ["import", "profiles", str(tmp_path / "none.csv"), *ws])
    assert missing.exit_code == 1 and "no such file" in missing.output
    store = open_store(workspace.settings)
    try:
        assert count(store, "events") == 4
    finally:
        store.close()


@pytest.mark.slow
def test_cli_import_goes_through_a_running_server(
    server: ServerProcess, workspace: Workspace, tmp_path: Path
) -> None:
    crm = write_csv(tmp_path / "crm.csv", ["Email", "Ten"], [["an@example.vn", "An"], ["x", "X"]])
    args = ["import", "profiles", str(crm), "--workspace", str(workspace.path)]
    res = runner.invoke(cli, [*args, "--map", "email=Email,first_name=Ten", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert (report["accepted"], report["rejected"]) == (1, 1)
    assert report["actor"].startswith("api:")  # imported by the server, not this process
    assert Path(report["rejects_path"]).is_file()
