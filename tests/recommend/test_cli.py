"""`unicx catalog` and `unicx recommend` on a workspace (no server)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.recommend.test_serving import _shop
from unicx.cli.main import app
from unicx.config import load_settings
from unicx.workspace import open_store

runner = CliRunner()


def test_catalog_import_train_and_recommend(workspace: Workspace, tmp_path: Path) -> None:
    store = open_store(workspace.settings)
    _shop(store)
    store.close()
    ws = str(workspace.path)
    (workspace.path / "unicx.toml").open("a").write("personalization_opt_in = false\n")
    assert load_settings(workspace=workspace.path).personalization_opt_in is False
    csv = tmp_path / "products.csv"
    csv.write_text("id,name,category,price,available\nb3,Bia Hà Nội,beer,17000,còn hàng\n"
                   ",no id,beer,1,yes\nt3,Trà ô long,tea,-1,yes\n", encoding="utf-8")  # fmt: skip
    out = runner.invoke(app, ["catalog", "import", str(csv), "--workspace", ws])
    assert out.exit_code == 0, out.output
    assert "accepted 1, rejected 2" in out.output and "row 3" in out.output
    assert runner.invoke(app, ["train", "--workspace", ws, "--model", "recommend"]).exit_code == 0
    got = runner.invoke(app, ["recommend", "for", "p8", "--k", "2", "--json", "--workspace", ws])
    assert got.exit_code == 0, got.output
    body = json.loads(got.output)
    assert body["personalized"] and body["items"][0]["item_id"] == "b3"
    assert body["items"][0]["name"] == "Bia Hà Nội"
    similar = runner.invoke(app, ["recommend", "similar", "t1", "--workspace", ws])
    assert similar.exit_code == 0 and "t2" in similar.output
    missing = runner.invoke(app, ["recommend", "for", "nobody", "--workspace", ws])
    assert missing.exit_code == 1 and "no profile" in missing.output
